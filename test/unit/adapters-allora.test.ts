// ALLoRA's known answers: the per-row coefficient c = 1/√(‖row‖² + 1/η²) on hand-computed
// rows, transformGrads scaling each row of A [in, r] and B [r, out] by its own c, the
// ablation switch, the coefficient trace, and named errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AlloraAdapter, alloraRowCoefficients, createAdapter } from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test("allora: row coefficients match 1/√(‖row‖² + 1/η²) by hand (zero row → η)", async () => {
  await backendReady();
  const cases: Array<{ rows: number[][]; eta: number }> = [
    {
      rows: [
        [3, 4],
        [0, 0],
        [1, -1],
      ],
      eta: 2,
    },
    { rows: [[0.1, 0.2, -0.2]], eta: 10 },
    { rows: [[5], [0]], eta: 0.5 },
  ];
  for (const { rows, eta } of cases) {
    const got = alloraRowCoefficients(tf.tensor2d(rows), eta).arraySync() as number[][];
    rows.forEach((row, i) => {
      const want = 1 / Math.sqrt(row.reduce((s, v) => s + v * v, 0) + 1 / (eta * eta));
      assert.ok(close(got[i][0], want, 1e-5), `row ${i} (η=${eta}): ${got[i][0]} vs ${want}`);
    });
  }
  assert.ok(close(alloraRowCoefficients(tf.zeros([1, 3]) as tf.Tensor2D, 7).dataSync()[0], 7, 1e-6));
  assert.throws(() => alloraRowCoefficients(tf.zeros([2, 2]) as tf.Tensor2D, 0), /eta: must be a positive/);
  assert.throws(() => alloraRowCoefficients(tf.zeros([2]) as never, 1), /theta: must be a 2-D/);
});

test("allora: transformGrads scales every row of A [in, r] and of B [r, out] by its own coefficient", async () => {
  await backendReady();
  const w0 = tf.zeros([3, 4]) as tf.Tensor2D;
  const ad = new AlloraAdapter(w0, { r: 2, eta: 4, seed: 1 });
  const A = [
    [1, 2],
    [0, 0],
    [-3, 0.5],
  ];
  const B = [
    [0, 0, 0, 0],
    [1, 1, 1, 1],
  ];
  ad.A.assign(tf.tensor2d(A));
  ad.B.assign(tf.tensor2d(B));
  const gA = [
    [1, -1],
    [2, 3],
    [0.5, 4],
  ];
  const gB = [
    [1, 2, 3, 4],
    [-1, 0, 1, 2],
  ];
  const out = ad.transformGrads({ [ad.A.name]: tf.tensor2d(gA), [ad.B.name]: tf.tensor2d(gB) });
  const c = (row: number[]) => 1 / Math.sqrt(row.reduce((s, v) => s + v * v, 0) + 1 / 16);
  const gotA = out[ad.A.name].arraySync() as number[][];
  const gotB = out[ad.B.name].arraySync() as number[][];
  gA.forEach((row, i) => row.forEach((g, j) => assert.ok(close(gotA[i][j], g * c(A[i]), 1e-5), `A[${i},${j}]`)));
  gB.forEach((row, i) => row.forEach((g, j) => assert.ok(close(gotB[i][j], g * c(B[i]), 1e-5), `B[${i},${j}]`)));
  // B's zero row (its state at init) gets the bound η = 4; the unit-norm-4 row gets 1/√(4 + 1/16).
  assert.ok(close(gotB[0][3], 4 * 4, 1e-5));
  assert.ok(close(gotB[1][3], 2 / Math.sqrt(4 + 1 / 16), 1e-5));
  // Keys of other variables are left to the caller (not returned).
  assert.deepEqual(Object.keys(ad.transformGrads({ other: tf.ones([2]) })), []);
  ad.dispose();
});

test("allora: adaptive=false returns no replacements (the c ≡ 1 ablation); s = 1 in ΔW = A B", async () => {
  await backendReady();
  const w0 = tf.randomNormal([5, 3], 0, 1, "float32", 2) as tf.Tensor2D;
  const ad = new AlloraAdapter(w0, { r: 2, adaptive: false, seed: 4 });
  assert.deepEqual(Object.keys(ad.transformGrads({ [ad.A.name]: tf.ones([5, 2]), [ad.B.name]: tf.ones([2, 3]) })), []);
  ad.B.assign(
    tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  );
  const a = ad.A.arraySync();
  const b = ad.B.arraySync();
  const d = ad.deltaW().arraySync();
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 3; j++) assert.ok(close(d[i][j], a[i][0] * b[0][j] + a[i][1] * b[1][j], 1e-5));
  ad.dispose();
});

test("allora: postStep records the mean coefficients and row norms at step 1 and every traceEvery steps", async () => {
  await backendReady();
  const ad = new AlloraAdapter(tf.zeros([4, 3]) as tf.Tensor2D, { r: 2, eta: 2, traceEvery: 5, seed: 1 });
  ad.A.assign(
    tf.tensor2d([
      [3, 4],
      [0, 0],
      [0, 0],
      [0, 0],
    ]),
  );
  for (let s = 1; s <= 10; s++) ad.postStep(s);
  assert.deepEqual(
    ad.trace.map((p) => p.step),
    [1, 5, 10],
  );
  const p = ad.trace[0];
  const cA = (1 / Math.sqrt(25 + 0.25) + 3 * 2) / 4;
  assert.ok(close(p.coefA, cA, 1e-5), `coefA ${p.coefA} vs ${cA}`);
  assert.ok(close(p.coefB, 2, 1e-6), "B = 0 → c = η on every row");
  assert.ok(close(p.normA, 5 / 4, 1e-5));
  assert.equal(p.normB, 0);
  ad.dispose();
});

test("allora: bad options fail naming the option", async () => {
  await backendReady();
  const w0 = tf.zeros([6, 4]) as tf.Tensor2D;
  const bad: Array<[object, RegExp]> = [
    [{ r: 2, eta: 0 }, /config\.eta/],
    [{ r: 2, eta: Number.NaN }, /config\.eta/],
    [{ r: 2, traceEvery: 1.5 }, /config\.traceEvery/],
    [{ r: 2, adaptive: "yes" }, /config\.adaptive/],
    [{ r: 2, alpha: 4 }, /unknown option "alpha"/],
  ];
  for (const [cfg, re] of bad) assert.throws(() => createAdapter("allora", w0, cfg), re);
});

test("allora view: the coefficient figure's rows are the seed means of the recorded traces", async () => {
  const { coefficientRows } = await import("../../src/papers/allora");
  const rec = (seed: number, b: number[]) =>
    ({
      id: "ALLoRA r=4",
      seed,
      extra: { alloraTrace: JSON.stringify([{ layer: 0, step: [1, 40], coefA: [9, 5], coefB: b }]) },
    }) as never;
  const rows = coefficientRows([rec(0, [10, 2]), rec(1, [8, 4])], "ALLoRA r=4");
  const b = rows.filter((r) => r.series === "W1 B rows").map((r) => [r.step, r.coefficient]);
  assert.deepEqual(b, [
    [1, 9],
    [40, 3],
  ]);
  assert.deepEqual(
    rows.filter((r) => r.series === "W1 A rows").map((r) => r.coefficient),
    [9, 5],
  );
});
