// Known answers for SORSA, EVA, LoLDU and DoRA (the shared table in adapters.test.ts covers
// the generic properties: identity at init, ΔW = merged − base, parameter counts, errors).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LuDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { backendReady } from "../../src/nn/backend";
import { eigh } from "../../src/linalg/decompose";
import { luDecompose, luReconstruct } from "../../src/linalg/lu";
import { Rng } from "../../src/core/random";
import { SorsaAdapter } from "../../src/adapters/sorsa";
import { EvaAdapter, evaPca, evaRankAllocation } from "../../src/adapters/eva";
import { LolduAdapter } from "../../src/adapters/loldu";
import { DoraAdapter } from "../../src/adapters/dora";
import { stopGradient } from "../../src/adapters/dora/adapter";
import { createAdapter } from "../../src/adapters";

const rand = (r: number, c: number, seed: number): number[][] => {
  const g = new Rng(seed);
  return Array.from({ length: r }, () => Array.from({ length: c }, () => g.normal()));
};
const maxAbsDiff = (a: number[][], b: number[][]): number =>
  Math.max(...a.map((row, i) => Math.max(...row.map((v, j) => Math.abs(v - b[i][j])))));
const arr = (t: tf.Tensor2D): number[][] => {
  const a = t.arraySync();
  t.dispose();
  return a;
};

test("setup", async () => {
  await backendReady();
});

test("LU: hand 2×2 case with a row swap", () => {
  const f = luDecompose([
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(f.perm, [1, 0]);
  assert.ok(Math.abs(f.L[1][0] - 1 / 3) < 1e-15);
  assert.ok(Math.abs(f.D[0] - 3) < 1e-15 && Math.abs(f.D[1] - 2 / 3) < 1e-15);
  assert.ok(Math.abs(f.U[0][1] - 4 / 3) < 1e-15 && f.U[1][1] === 1 && f.U[1][0] === 0);
  assert.ok(
    maxAbsDiff(luReconstruct(f), [
      [1, 2],
      [3, 4],
    ]) < 1e-14,
  );
});

test("LU: matches ml-matrix's LuDecomposition on a square matrix; P L D U reproduces rectangular ones", () => {
  const a = rand(6, 6, 1);
  const f = luDecompose(a);
  const ref = new LuDecomposition(new MlMatrix(a));
  assert.deepEqual(f.perm, Array.from(ref.pivotPermutationVector));
  const Lref = ref.lowerTriangularMatrix.to2DArray();
  const Uref = ref.upperTriangularMatrix.to2DArray();
  assert.ok(maxAbsDiff(f.L, Lref) < 1e-12);
  assert.ok(
    maxAbsDiff(
      f.U.map((row, j) => row.map((v) => v * f.D[j])),
      Uref,
    ) < 1e-12,
  );
  for (const [m, n] of [
    [7, 4],
    [4, 7],
  ]) {
    const b = rand(m, n, m * 10 + n);
    const g = luDecompose(b);
    assert.ok(maxAbsDiff(luReconstruct(g), b) < 1e-12, `${m}×${n}`);
    assert.ok(
      g.L.every((row) => row.every((v) => Math.abs(v) <= 1 + 1e-15)),
      "partial pivoting keeps |L| ≤ 1",
    );
  }
  assert.throws(() => luDecompose([[1, NaN]]), /m:/);
});

test("LoLDU: r + 1 parameters, identity at init, and ΔW = s·P L_r diag(z) U_r − s0·P L_r diag(d_r) U_r", () => {
  const w = rand(12, 8, 2); // [in, out]
  const ad = new LolduAdapter(tf.tensor2d(w), { r: 5, alpha: 10 });
  assert.equal(ad.parameterCount(), 6);
  assert.equal(
    ad.trainableVariables().reduce((s, v) => s + v.size, 0),
    6,
  );
  assert.ok(maxAbsDiff(arr(ad.effectiveWeight()), w) < 1e-5);
  assert.ok(
    maxAbsDiff(
      arr(ad.deltaW()),
      w.map((r) => r.map(() => 0)),
    ) === 0,
  );
  // Independent float64 answer from the torch-layout LU.
  const wt = w[0].map((_, o) => w.map((row) => row[o]));
  const f = luDecompose(wt);
  const z = [0.3, -1, 2, 0.5, 1.5];
  const s = 0.7;
  ad.z.assign(tf.tensor1d(z));
  ad.s.assign(tf.scalar(s));
  const s0 = 10 / 5;
  const expT = wt.map(() => new Array<number>(12).fill(0));
  for (let i = 0; i < 8; i++)
    for (let j = 0; j < 5; j++)
      for (let c = 0; c < 12; c++) expT[f.perm[i]][c] += f.L[i][j] * (s * z[j] - s0 * f.D[j]) * f.U[j][c];
  const exp = w.map((_, c) => expT.map((row) => row[c]));
  const dd = maxAbsDiff(arr(ad.deltaW()), exp);
  assert.ok(dd < 1e-4, `ΔW off by ${dd}`);
  ad.merge();
  assert.ok(
    maxAbsDiff(
      ad.base.arraySync(),
      w.map((r, i) => r.map((v, o) => v + exp[i][o])),
    ) < 1e-4,
  );
  ad.unmerge();
  assert.ok(
    maxAbsDiff(
      ad.base.arraySync(),
      Array.from(w, (r) => Array.from(Float32Array.from(r))),
    ) === 0,
    "unmerge restores W0 exactly",
  );
  assert.throws(() => new LolduAdapter(tf.tensor2d(w), { r: 9 }), /config\.r/);
  assert.throws(() => new LolduAdapter(tf.tensor2d(w), { r: 2, alpha: -1 }), /config\.alpha/);
  ad.dispose();
});

test("SORSA: reconstructs W0 at init, orthonormal regulariser 0 at init and positive once the frame drifts", () => {
  const w = rand(12, 8, 3);
  const ad = new SorsaAdapter(tf.tensor2d(w), { r: 3, gamma: 4e-4, lr: 1e-3 });
  assert.equal(ad.parameterCount(), 3 * (12 + 8 + 1));
  const rec = tf.add(ad.residual, tf.matMul(tf.mul(ad.left, ad.sigma), ad.right)) as tf.Tensor2D;
  const recErr = maxAbsDiff(arr(rec), w);
  assert.ok(recErr < 1e-5, `reconstruction error ${recErr}`);
  assert.ok(maxAbsDiff(arr(ad.effectiveWeight()), w) < 1e-5);
  assert.ok(ad.orthoLoss().arraySync() < 1e-5);
  // σ_p are the top singular values, descending.
  const sig = ad.sigma.arraySync();
  assert.ok(sig[0] >= sig[1] && sig[1] >= sig[2] && sig[2] > 0);
  // Drift the frame: scale the first column of V_p (left) by 2 → V_pᵀV_p − I = diag(3, 0, 0) → ‖·‖_F = 3.
  tf.tidy(() => ad.left.assign(tf.mul(ad.left, tf.tensor1d([2, 1, 1])) as tf.Tensor2D));
  const lo = ad.orthoLoss().arraySync();
  assert.ok(Math.abs(lo - 3) < 1e-4, `L_o = ${lo}`);
  assert.ok(Math.abs(ad.regLoss().arraySync() - (4e-4 / 1e-3) * lo) < 1e-5);
  const { grads } = tf.variableGrads(() => ad.regLoss(), ad.trainableVariables());
  for (const g of Object.values(grads)) assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
  assert.throws(() => new SorsaAdapter(tf.tensor2d(w), { r: 2, gamma: -1 }), /config\.gamma/);
  assert.throws(() => new SorsaAdapter(tf.tensor2d(w), { r: 2, alpha: 1 } as never), /config/);
  ad.dispose();
});

test("EVA: A's columns are the top principal directions of the calibration inputs (eigh of the covariance)", () => {
  const g = new Rng(5);
  // Inputs with a clear variance ordering along random directions.
  const scales = [5, 3, 2, 1, 0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1];
  const batches = Array.from({ length: 4 }, () =>
    tf.tensor2d(Array.from({ length: 40 }, () => scales.map((s) => s * g.normal() + 1))),
  );
  const ad = new EvaAdapter(tf.tensor2d(rand(12, 8, 6)), { r: 3, alpha: 6, tau: 0.999999 });
  ad.init({ inputs: batches });
  const all = batches.flatMap((b) => b.arraySync());
  const n = all.length;
  const mean = all[0].map((_, j) => all.reduce((s, r) => s + r[j], 0) / n);
  const cov = mean.map((_, i) =>
    mean.map((__, j) => all.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1)),
  );
  const e = eigh(cov); // ascending
  const A = ad.A.arraySync();
  for (let c = 0; c < 3; c++) {
    const v = e.vectors.map((row) => row[11 - c]);
    const dot = A.reduce((s, row, i) => s + row[c] * v[i], 0);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-4, `component ${c}: |cos| = ${dot}`);
  }
  assert.ok(ad.B.arraySync().every((row) => row.every((v) => v === 0)));
  assert.ok(ad.pca && ad.pca.batchesUsed === 4);
  const ev = e.values.slice().reverse();
  const total = ev.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(ad.pca.explainedVarianceRatio[0] - ev[0] / total) < 1e-6);
  // Repeating the same batch converges at the second one.
  const rep = evaPca([batches[0], batches[0], batches[1]], 2, { tau: 0.99 });
  assert.equal(rep.batchesUsed, 2);
  assert.ok(rep.converged);
  assert.throws(() => ad.init({}), /ctx\.inputs/);
  assert.throws(() => new EvaAdapter(tf.tensor2d(rand(12, 8, 6)), { r: 2, tau: 2 }), /config\.tau/);
  batches.forEach((b) => b.dispose());
  ad.dispose();
});

test("EVA rank redistribution: global top explained variance, capped at ρ·r, α_l = α·r_l/r", () => {
  const ratios = [
    [0.5, 0.3, 0.1, 0.05],
    [0.2, 0.1, 0.05, 0.01],
    [0.01, 0.01, 0.0, 0.0],
  ];
  const a = evaRankAllocation(ratios, { r: 2, rho: 2, alpha: 4 });
  // budget 6 from caps of 4: 0.5, 0.3, 0.2, 0.1 (L0), 0.1 (L1), 0.05 (L0) → [4, 2, 0]
  assert.deepEqual(a.ranks, [4, 2, 0]);
  assert.deepEqual(a.alphas, [8, 4, 0]);
  const b = evaRankAllocation(ratios, { r: 2, rho: 1 });
  assert.deepEqual(b.ranks, [2, 2, 2]);
  assert.throws(() => evaRankAllocation(ratios, { r: 2, rho: 0.5 }), /opts\.rho/);
  assert.throws(() => evaRankAllocation([], { r: 2 }), /explainedVarianceRatios/);
});

test("DoRA: magnitude = per-output-unit norms of W0 [in, out], merged == base at init, column norms of W' = m", () => {
  const w = rand(12, 8, 7);
  const ad = new DoraAdapter(tf.tensor2d(w), { r: 2, alpha: 4, seed: 1 });
  assert.equal(ad.parameterCount(), 2 * (12 + 8) + 8);
  const norms = w[0].map((_, o) => Math.sqrt(w.reduce((s, row) => s + row[o] * row[o], 0)));
  const m = ad.magnitude.arraySync();
  norms.forEach((v, o) => assert.ok(Math.abs(m[o] - v) < 1e-5));
  assert.ok(maxAbsDiff(arr(ad.effectiveWeight()), w) < 1e-5);
  const wNew = rand(2, 8, 8);
  ad.B.assign(tf.tensor2d(wNew));
  ad.magnitude.assign(tf.tensor1d(norms.map((v, o) => v * (1 + 0.1 * o))));
  const eff = arr(ad.effectiveWeight());
  eff[0].forEach((_, o) => {
    const n = Math.sqrt(eff.reduce((s, row) => s + row[o] * row[o], 0));
    assert.ok(Math.abs(n - norms[o] * (1 + 0.1 * o)) < 1e-4);
  });
  // forward == x · W' after the change.
  const x = tf.tensor2d(rand(3, 12, 9));
  const y = arr(ad.forward(x));
  const yRef = arr(tf.matMul(x, tf.tensor2d(eff)));
  assert.ok(maxAbsDiff(y, yRef) < 1e-4);
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(ad.forward(x))) as tf.Scalar, ad.trainableVariables());
  for (const g of Object.values(grads)) assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
  ad.dispose();
});

test("stopGradient: identity forward, zero gradient", () => {
  const x = tf.variable(tf.tensor1d([1, 2, 3]));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.add(tf.mul(stopGradient(x), x), x)) as tf.Scalar, [x]);
  assert.equal(value.arraySync(), 1 + 4 + 9 + 6);
  // d/dx [sg(x)·x + x] = sg(x) + 1 (the stopped factor contributes nothing).
  assert.deepEqual(Array.from(grads[x.name].dataSync()), [2, 3, 4]);
});

test("registry: the four methods are created by name", () => {
  const w = tf.tensor2d(rand(12, 8, 10));
  for (const [name, cfg] of [
    ["sorsa", { r: 2 }],
    ["eva", { r: 2 }],
    ["loldu", { r: 8 }],
    ["dora", { r: 2 }],
  ] as const) {
    const ad = createAdapter(name, w, cfg);
    assert.equal(ad.method, name);
    ad.dispose();
  }
  w.dispose();
});
