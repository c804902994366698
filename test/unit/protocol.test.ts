// The protocol helpers: validation splits never overlap, grid selection extends past an edge
// winner (checked against a known unimodal score), paired checks decide on the interval.
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeDataset } from "../../src/data/dataset";
import { pairedCheck, selectOnValidation, validationSplit } from "../../src/papers/protocol";

test("validationSplit: disjoint parts covering the set, seeded", () => {
  const ds = makeDataset(
    "d",
    Float32Array.from({ length: 20 }, (_, i) => i),
    Int32Array.from({ length: 20 }, (_, i) => i % 2),
    [1],
    2,
  );
  const a = validationSplit(ds, 0.25, 3);
  const b = validationSplit(ds, 0.25, 3);
  assert.equal(a.val.n, 5);
  assert.equal(a.train.n, 15);
  assert.deepEqual(Array.from(a.val.x), Array.from(b.val.x));
  const all = [...a.val.x, ...a.train.x].sort((x, y) => x - y);
  assert.deepEqual(
    all,
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.throws(() => validationSplit(ds, 1, 0), /fraction: must lie in \(0, 1\)/);
});

test("selectOnValidation: an interior winner stays; an edge winner extends the grid toward the optimum", async () => {
  // Score peaks at lr = 0.01 (a parabola in log10 lr).
  const score = (lr: number) => -((Math.log10(lr) + 2) ** 2);
  const inner = await selectOnValidation([0.003, 0.01, 0.03], score);
  assert.equal(inner.best, 0.01);
  assert.equal(inner.extended, false);
  assert.equal(inner.tried.length, 3);
  const edge = await selectOnValidation([0.1, 0.3, 1], score);
  assert.equal(edge.extended, true);
  assert.deepEqual(
    edge.tried.slice(3).map((x) => Number(x.toPrecision(3))),
    [0.0333, 0.0111],
  );
  assert.ok(Math.abs(edge.best - 0.0111) < 1e-3, String(edge.best));
  const nan = await selectOnValidation([1, 2, 3], (v) => (v === 2 ? NaN : v === 1 ? 0.5 : 0.1), { maxExtensions: 0 });
  assert.equal(nan.best, 1, "NaN scores lose");
  await assert.rejects(selectOnValidation([], score), /grid/);
  await assert.rejects(selectOnValidation([1], score, { factor: 1 }), /opts\.factor/);
});

test("pairedCheck decides on the paired interval, not on the means", () => {
  const a = [0.8, 0.7, 0.9];
  const b = [0.78, 0.68, 0.88];
  assert.equal(pairedCheck("a beats b", a, b, "greater").pass, true);
  assert.equal(pairedCheck("a beats b by 0.05", a, b, "greater", { margin: 0.05 }).pass, false);
  assert.equal(pairedCheck("b below a", b, a, "less").pass, true);
  const noisy = pairedCheck("noisy", [0.8, 0.6, 0.9], [0.7, 0.7, 0.8], "greater");
  assert.equal(noisy.pass, false);
  assert.equal(noisy.kind, "evidence");
  assert.equal(pairedCheck("one seed", [1], [0], "greater").pass, false, "one seed never decides a comparison");
});
