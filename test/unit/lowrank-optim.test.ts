import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  dequantizeGroups,
  FiraAdam,
  GaLoreAdam,
  galoreStateFloats,
  QGaLoreAdam,
  quantizedBytes,
  quantizeGroups,
} from "../../src/optim";
import { Rng } from "../../src/core/random";
import { MLP } from "../../src/nn/mlp";
import { backendReady } from "../../src/nn/backend";
import { seed } from "../../src/core/random";
import { assertOrthonormal, close, G_TALL, M, mm, norm, T, topEigvec } from "./lowrank-helpers";

/** One hand-computed projected AdamW step (galore-torch form) at rank 1 from W0 = 0. */
function handGaLoreStep(g: M, lr: number, alpha: number, eps: number, b1 = 0.9, b2 = 0.999): M {
  const [m, n] = [g.length, g[0].length];
  const right = m >= n;
  const q = right ? topEigvec(mm(T(g), g)) : topEigvec(mm(g, T(g)));
  const P = q.map((v) => [v]); // min×1
  const R = right ? mm(g, P) : mm(T(P), g); // m×1 or 1×n
  const N = R.map((row) => row.map((x) => ((1 - b1) * x) / (Math.sqrt((1 - b2) * x * x) + eps)));
  const step = (lr * Math.sqrt(1 - b2)) / (1 - b1);
  const back = right ? mm(N, T(P)) : mm(P, N);
  return back.map((row) => row.map((x) => -step * alpha * x));
}

async function oneStep(opt: tf.Optimizer, g: M): Promise<{ w: M; v: tf.Variable }> {
  const v = tf.variable(tf.zeros([g.length, g[0].length]), true);
  opt.applyGradients({ [v.name]: tf.tensor2d(g) });
  return { w: v.arraySync() as M, v };
}

for (const [label, g] of [
  ["tall 4×3 (right projection)", G_TALL],
  ["wide 3×4 (left projection)", T(G_TALL)],
] as const) {
  test(`GaLore step equals the hand-computed projected Adam step: ${label}`, async () => {
    await backendReady();
    const opt = new GaLoreAdam(0.1, { rank: 1, scale: 0.5, updateGap: 10, epsilon: 1e-6 });
    const { w, v } = await oneStep(opt, g as M);
    close(w, handGaLoreStep(g as M, 0.1, 0.5, 1e-6), 1e-5, "W");
    const [m, n] = [g.length, g[0].length];
    assert.equal(opt.stateFloats(), galoreStateFloats(m, n, 1));
    assert.equal(opt.stateFloats(), 2 * Math.max(m, n) + Math.min(m, n));
    opt.dispose();
    v.dispose();
  });
}

test("Fira's first step adds the φ-scaled residual (code form: G − α·PPᵀG)", async () => {
  await backendReady();
  const g = G_TALL;
  const [lr, alpha, eps, b1, b2] = [0.1, 0.5, 1e-6, 0.9, 0.999];
  const q = topEigvec(mm(T(g), g));
  const P = q.map((v) => [v]);
  const R = mm(g, P);
  const N = R.map((row) => row.map((x) => ((1 - b1) * x) / (Math.sqrt((1 - b2) * x * x) + eps)));
  const step = (lr * Math.sqrt(1 - b2)) / (1 - b1);
  for (const residual of ["code", "paper"] as const) {
    const keep = residual === "code" ? alpha : 1;
    const PPtG = mm(R, T(P));
    const phi = R.map((row, i) => norm(N[i]) / (norm(row) + 1e-8));
    const S = g.map((row, i) => row.map((x, j) => phi[i] * (x - keep * PPtG[i][j])));
    const back = mm(N, T(P));
    const want = g.map((row, i) => row.map((_, j) => -step * (alpha * back[i][j] + S[i][j])));
    const opt = new FiraAdam(lr, { rank: 1, scale: alpha, epsilon: eps, residual });
    const { w, v } = await oneStep(opt, g);
    close(w, want, 1e-5, `W (${residual})`);
    assert.equal(opt.stateFloats(), galoreStateFloats(4, 3, 1) + 1, "GaLore's state plus one norm");
    opt.dispose();
    v.dispose();
  }
});

test("state sizes: the card's M1 example (r = 64 on both hidden matrices) is 172,052 vs Adam's 538,644", async () => {
  await backendReady();
  seed(0);
  const model = new MLP({ sizes: [784, 256, 256, 10], activation: "relu", init: "he" });
  const params = model.variables().reduce((s, v) => s + v.size, 0);
  assert.equal(2 * params, 538644);
  const galore = new GaLoreAdam(1e-3, { rank: 64 });
  const fira = new FiraAdam(1e-3, { rank: 64 });
  const grads = Object.fromEntries(model.variables().map((v) => [v.name, tf.onesLike(v)]));
  galore.applyGradients(grads);
  fira.applyGradients(grads);
  assert.equal(galore.stateFloats(), 172052);
  assert.equal(fira.stateFloats(), 172054);
  // The head (256×10) and biases stay on full Adam: only the two hidden matrices are projected.
  const projected = model.weights.filter((w) => galore.projector(w.name) !== null).length;
  assert.equal(projected, 2);
  galore.dispose();
  fira.dispose();
  model.dispose();
});

test("projectors have orthonormal columns and refresh every T steps", async () => {
  await backendReady();
  const v = tf.variable(tf.zeros([20, 12]), true);
  const opt = new GaLoreAdam(1e-2, { rank: 5, updateGap: 3 });
  for (let t = 0; t < 7; t++) opt.applyGradients({ [v.name]: tf.randomNormal([20, 12], 0, 1, "float32", t) });
  assert.equal(opt.refreshCount(), 3, "refreshes at steps 1, 4, 7");
  const p = opt.projector(v.name)!;
  assert.deepEqual(p.shape, [12, 5]);
  assertOrthonormal(p);
  opt.dispose();
  v.dispose();
});

test("moment re-projection rotates M into the new subspace (P_newᵀ P_old M)", async () => {
  await backendReady();
  const v = tf.variable(tf.zeros([6, 8]), true);
  const a = new GaLoreAdam(1e-2, { rank: 2, updateGap: 1, reprojectMoments: true });
  const b = new GaLoreAdam(1e-2, { rank: 2, updateGap: 1 });
  const g1 = tf.randomNormal([6, 8], 0, 1, "float32", 11);
  const g2 = tf.randomNormal([6, 8], 0, 1, "float32", 12);
  const w0 = v.arraySync() as M;
  a.applyGradients({ [v.name]: g1 });
  a.applyGradients({ [v.name]: g2 });
  const wa = v.arraySync() as M;
  v.assign(tf.tensor2d(w0));
  b.applyGradients({ [v.name]: g1 });
  b.applyGradients({ [v.name]: g2 });
  const wb = v.arraySync() as M;
  const diff = Math.max(...wa.flatMap((r, i) => r.map((x, j) => Math.abs(x - wb[i][j]))));
  assert.ok(diff > 1e-6, "re-projection changes the second step");
  a.dispose();
  b.dispose();
  v.dispose();
});

test("bad options fail with the argument named", async () => {
  await backendReady();
  assert.throws(() => new GaLoreAdam(1e-3, { rank: 0 }), /opts\.rank/);
  assert.throws(() => new GaLoreAdam(-1, { rank: 2 }), /learningRate/);
  assert.throws(() => new GaLoreAdam(1e-3, { rank: 2, bogus: 1 } as never), /bogus/);
  assert.throws(() => new FiraAdam(1e-3, { rank: 2, residual: "x" as never }), /opts\.residual/);
  const v = tf.variable(tf.zeros([3, 4]), true);
  const opt = new GaLoreAdam(1e-3, { rank: 3, targets: [v.name] });
  assert.throws(() => opt.applyGradients({ [v.name]: tf.ones([3, 4]) }), /degenerate/);
  v.dispose();
});

test("quantize/dequantize round trips: exact on the grid, within half a step otherwise (INT8 and INT4)", () => {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 600 }, () => rng.normal());
  for (const bits of [8, 4]) {
    const q = quantizeGroups(x, bits, 256);
    assert.equal(q.scale.length, 3, "600 values in groups of 256");
    assert.ok(Math.max(...q.q) <= (1 << bits) - 1);
    const y = dequantizeGroups(q);
    for (let i = 0; i < x.length; i++) {
      const sc = q.scale[Math.floor(i / 256)];
      assert.ok(Math.abs(y[i] - x[i]) <= sc / 2 + 1e-6, `bits ${bits}, i ${i}: ${y[i]} vs ${x[i]}`);
    }
    // Values already on the grid come back exactly (re-quantizing the dequantized codes).
    const again = dequantizeGroups(quantizeGroups(y, bits, 256));
    for (let i = 0; i < y.length; i++) assert.ok(Math.abs(again[i] - y[i]) < 1e-5, `grid point ${i} moved`);
  }
  const c = dequantizeGroups(quantizeGroups([0.3, 0.3, 0.3], 8, 256));
  c.forEach((v) => assert.ok(Math.abs(v - 0.3) < 1e-7, "a constant group is exact"));
  assert.equal(quantizedBytes(512, 8, 256), 512 + 16);
  assert.equal(quantizedBytes(512, 4, 256), 256 + 16);
  assert.throws(() => quantizeGroups(x, 8, 256, "stochastic"), /rng/);
  assert.throws(() => quantizeGroups([1, NaN], 8, 256), /non-finite/);
});

test("stochastic rounding is unbiased over many draws; round to nearest is not", () => {
  // Two anchors fix the grid of the group at step 1/255: points 0 and 1; probes sit between grid points.
  const probes = [0.1234, 0.5, 0.70001, 0.0021];
  const x = [0, 1, ...probes];
  const draws = 4000;
  const rng = new Rng(7);
  const sum = new Float64Array(x.length);
  for (let k = 0; k < draws; k++) {
    const y = dequantizeGroups(quantizeGroups(x, 8, 256, "stochastic", rng));
    y.forEach((v, i) => (sum[i] += v));
  }
  const step = 1 / 255;
  const rtn = dequantizeGroups(quantizeGroups(x, 8, 256, "nearest"));
  probes.forEach((p, j) => {
    const mean = sum[j + 2] / draws;
    // SR error per draw is at most one step with variance ≤ step²/4: 5σ of the mean.
    const tol = (5 * step) / 2 / Math.sqrt(draws);
    assert.ok(Math.abs(mean - p) < tol, `SR mean ${mean} vs ${p} (tol ${tol})`);
  });
  // The RTN bias for 0.0021 (about half a step) is far beyond that tolerance.
  assert.ok(Math.abs(rtn[5] - 0.0021) > 1e-3);
});

test("Q-GaLore: round-to-nearest INT8 weights stall under updates below half a step; SR moves them", async () => {
  await backendReady();
  const make = (rounding: "nearest" | "stochastic") => {
    const v = tf.variable(tf.randomUniform([16, 12], -0.1, 0.1, "float32", 5), true);
    const opt = new QGaLoreAdam(1e-5, { rank: 2, weightRounding: rounding, seed: 1, groupSize: 64 });
    return { v, opt };
  };
  const moved: Record<string, number> = {};
  for (const rounding of ["nearest", "stochastic"] as const) {
    const { v, opt } = make(rounding);
    const g = tf.randomNormal([16, 12], 0, 1, "float32", 9);
    opt.applyGradients({ [v.name]: g }); // first step also puts the weights on the INT8 grid
    const w1 = v.dataSync().slice();
    for (let t = 0; t < 20; t++) opt.applyGradients({ [v.name]: g });
    const w2 = v.dataSync();
    // Compare INT8 codes: the group's min–max grid may shift slightly, codes only move by rounding.
    const [c1, c2] = [w1, w2].map((w) => quantizeGroups(w, 8, 64).q);
    moved[rounding] = c1.reduce((a, c, i) => a + (c !== c2[i] ? 1 : 0), 0);
    opt.dispose();
    v.dispose();
  }
  assert.equal(moved.nearest, 0, "lr 1e-5 is far below half an INT8 step (about 4e-4 here): no code changes");
  assert.ok(moved.stochastic > 10, `SR changed ${moved.stochastic} codes`);
});

test("Q-GaLore: state bytes (INT4 projector) and the lazy rule doubling T on a fixed subspace", async () => {
  await backendReady();
  const v = tf.variable(tf.zeros([40, 30]), true);
  const opt = new QGaLoreAdam(1e-3, { rank: 4, updateGap: 2, quantizeWeights: false });
  const g = tf.randomNormal([40, 30], 0, 1, "float32", 2);
  opt.applyGradients({ [v.name]: g });
  // Right projection (40 ≥ 30): moments 40×4 each, projector 30×4 in INT4 (60 bytes + one group's 8).
  assert.equal(opt.stateBytes(), 4 * 2 * 160 + 60 + 8);
  assert.equal(opt.stateFloats(), galoreStateFloats(40, 30, 4));
  // Same gradient every step: |cos| = 1 at every refresh, so after 5 comparisons the gap doubles.
  for (let t = 2; t <= 11; t++) opt.applyGradients({ [v.name]: g });
  assert.equal(opt.gapOf(v.name), 4, "refreshes at steps 1,3,5,7,9,11 give 5 comparisons");
  assert.equal(opt.refreshCount(), 6);
  const p = opt.projector(v.name)!;
  // INT4 projectors are only near-orthonormal: 15 levels per group of values in [−1, 1].
  assertOrthonormal(p, 0.2);
  opt.dispose();
  v.dispose();
});
