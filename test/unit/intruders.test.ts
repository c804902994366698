import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import {
  intruderCurve,
  intruderCurveDense,
  intruderDimensions,
  intruderDimensionsDense,
  scaleIntruders,
  scaleIntrudersDense,
} from "../../src/metrics/intruders";
import { relativeWeightChange } from "../../src/metrics/spectral";
import { svd } from "../../src/linalg";
import { Rng } from "../../src/core/random";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/intruders.json", "utf8"));

const T = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
const diag16 = () => Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i === j ? 16 - i : 0)));
const close = (a: number[], b: number[], tol: number, msg: string) => {
  assert.equal(a.length, b.length, msg + " length");
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${msg}[${i}]: ${v} vs ${b[i]}`));
};

test("hand check: W_t = W0 gives 0 intruders with every m_j = 1", () => {
  const r = intruderDimensions(diag16(), diag16());
  assert.equal(r.count, 0);
  assert.deepEqual(r.indices, []);
  assert.equal(r.maxCosine.length, 10);
  close(r.maxCosine, Array(10).fill(1), 1e-12, "m");
});

test("hand check: diag(16..1) + 100·uuᵀ gives m = [0.269, 0.917, 0.851, …] and exactly 1 intruder", () => {
  const w0 = diag16();
  const wt = w0.map((row) => row.map((v) => v + 100 / 16));
  const r = intruderDimensions(w0, wt);
  close(r.maxCosine.slice(0, 3), [0.269, 0.917, 0.851], 5e-4, "card values");
  close(r.maxCosine, fx.spike.maxCosine, 1e-9, "numpy");
  assert.equal(r.count, 1);
  assert.deepEqual(r.indices, [0]);
});

test("hand check: small noise or a spike along e4 gives 0 intruders", () => {
  const rng = new Rng(3);
  const noisy = diag16().map((row) => row.map((v) => v + 0.01 * rng.normal()));
  assert.equal(intruderDimensions(diag16(), noisy).count, 0);
  const spike = diag16();
  spike[3][3] += 100; // e4 is already a singular direction of W0
  const r = intruderDimensions(diag16(), spike);
  assert.equal(r.count, 0);
  assert.ok(r.maxCosine.every((m) => m > 0.999));
});

for (const [i, c] of (
  fx.cases as Array<{
    base: number[][];
    tuned: number[][];
    maxCosine: number[];
    counts: Record<string, number>;
    relativeChange: number;
  }>
).entries()) {
  test(`numpy fixture ${i} (${c.base.length}×${c.base[0].length}): max cosines, counts per ε, curve, relative change`, () => {
    const r = intruderDimensions(c.base, c.tuned, { k: 10 });
    close(r.maxCosine, c.maxCosine, 1e-8, "maxCosine");
    const eps = Object.keys(c.counts).map(Number);
    const curve = intruderCurve(c.base, c.tuned, eps);
    curve.forEach((p) => assert.equal(p.count, c.counts[String(p.epsilon)], `ε=${p.epsilon}`));
    assert.ok(Math.abs(relativeWeightChange(c.base, c.tuned) - c.relativeChange) < 1e-10);
  });
}

test("Dense helpers use the transpose: [in, out] kernels give the torch-layout answer", () => {
  const c = fx.cases[0];
  const torch = intruderDimensions(c.base, c.tuned);
  const dense = intruderDimensionsDense(T(c.base), T(c.tuned));
  close(dense.maxCosine, torch.maxCosine, 1e-10, "dense");
  assert.deepEqual(intruderCurveDense(T(c.base), T(c.tuned), [0.5, 0.9]), intruderCurve(c.base, c.tuned, [0.5, 0.9]));
  // Without the transpose the right singular vectors are used, which differ here.
  const wrong = intruderDimensions(T(c.base), T(c.tuned));
  assert.ok(wrong.maxCosine.some((m, j) => Math.abs(m - torch.maxCosine[j]) > 1e-3));
});

test("k is capped at min(rows, cols) and epsilons sweep monotonically", () => {
  const c = fx.cases[1]; // 9×14
  assert.equal(intruderDimensions(c.base, c.tuned, { k: 50 }).maxCosine.length, 9);
  const curve = intruderCurve(c.base, c.tuned, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i].count >= curve[i - 1].count);
  assert.equal(curve[0].count, 0);
});

test("scaleIntruders: λ = 1 is the identity, λ = 0 removes σ_j u_j v_jᵀ of the intruders only", () => {
  const w0 = diag16();
  const wt = w0.map((row) => row.map((v) => v + 100 / 16));
  const same = scaleIntruders(w0, wt, { lambda: 1 });
  close(same.weight.flat(), wt.flat(), 1e-9, "λ=1");
  const gone = scaleIntruders(w0, wt, { lambda: 0 });
  assert.deepEqual(gone.intruders.indices, [0]);
  const sOld = svd(wt).S;
  const sNew = svd(gone.weight).S;
  // σ_1 removed: the new spectrum is the old one without its top value, plus a zero.
  close(sNew.slice(0, 15), sOld.slice(1), 1e-8, "spectrum");
  assert.ok(sNew[15] < 1e-8);
  const dense = scaleIntrudersDense(T(w0), T(wt), { lambda: 0 });
  close(dense.weight.flat(), T(gone.weight).flat(), 1e-9, "dense layout");
});

test("bad input is rejected with named errors", () => {
  const a = diag16();
  assert.throws(() => intruderDimensions(a, [[1, 2]]), /tuned: shape 1×2 does not match/);
  assert.throws(() => intruderDimensions(a, a, { k: 0 }), /opts\.k/);
  assert.throws(() => intruderDimensions(a, a, { epsilon: 2 }), /opts\.epsilon/);
  assert.throws(() => intruderDimensions(a, a, { eps: 0.5 } as never), /unknown option "eps"/);
  assert.throws(() => intruderCurve(a, a, []), /epsilons/);
  assert.throws(() => intruderCurve(a, a, [0.5, NaN]), /epsilons\[1\]/);
  const bad = a.map((r) => [...r]);
  bad[2][3] = NaN;
  assert.throws(() => intruderDimensions(a, bad), /tuned: entry \[2\]\[3\] is NaN/);
});
