import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { FastAdam, GaLoreAdam, galoreStateFloats, GradNormLoRPAdam, gradNormLoRPStateFloats } from "../../src/optim";
import { MLP } from "../../src/nn/mlp";
import { backendReady } from "../../src/nn/backend";
import { seed } from "../../src/core/random";
import { assertOrthonormal, close, G_TALL as G, M, mm, norm, T, topEigvec } from "./lowrank-helpers";

const colNorms = (a: M) => T(a).map(norm);

const W0: M = [
  [0.3, -0.8, 0.5],
  [1.2, 0.4, -0.2],
  [-0.6, 0.7, 0.9],
  [0.2, -0.1, 0.6],
];

/**
 * One GradNormLoRP step written out by hand in float64 (rank 1, first step, so m = (1−β₁)x and
 * v = (1−β₂)x²): W = g·v/‖v‖ per column with v = W0, g = ‖W0‖ per column.
 */
function handStep(w0: M, g: M, form: "code" | "paper", lr: number, alpha: number, eps: number): M {
  const [b1, b2] = [0.9, 0.999];
  const [m, n] = [w0.length, w0[0].length];
  const nrm = colNorms(w0);
  const vHat = w0.map((r) => r.map((x, j) => x / nrm[j]));
  const gradG = Array.from({ length: n }, (_, j) => w0.reduce((s, _r, i) => s + g[i][j] * vHat[i][j], 0));
  const gv = form === "code" ? g : g.map((r, i) => r.map((x, j) => x - vHat[i][j] * gradG[j]));
  const right = m >= n;
  const q = right ? topEigvec(mm(T(gv), gv)) : topEigvec(mm(gv, T(gv)));
  const P = q.map((x) => [x]);
  const R = right ? mm(gv, P) : mm(T(P), gv);
  const adam = (x: number) => ((1 - b1) * x) / (Math.sqrt((1 - b2) * x * x) + eps);
  const N = R.map((r) => r.map(adam));
  const back = right ? mm(N, T(P)) : mm(P, N);
  const step = (lr * Math.sqrt(1 - b2)) / (1 - b1);
  const vNew = w0.map((r, i) => r.map((x, j) => x - step * alpha * back[i][j]));
  const gNew = nrm.map((x, j) => x - step * adam(gradG[j]));
  const vn = colNorms(vNew);
  return vNew.map((r) => r.map((x, j) => (gNew[j] * x) / vn[j]));
}

const cases: Array<[string, M, M, "code" | "paper"]> = [
  ["tall 4×3, code gradient", W0, G, "code"],
  ["tall 4×3, paper gradient (I − v̂v̂ᵀ)", W0, G, "paper"],
  ["wide 3×4 (left projection), code gradient", T(W0), T(G), "code"],
  ["wide 3×4 (left projection), paper gradient", T(W0), T(G), "paper"],
];
for (const [label, w0, g, form] of cases) {
  test(`GradNormLoRP step equals the hand-computed step: ${label}`, async () => {
    await backendReady();
    const [lr, alpha, eps] = [0.05, 0.5, 1e-6];
    const v = tf.variable(tf.tensor2d(w0), true);
    const opt = new GradNormLoRPAdam(lr, { rank: 1, scale: alpha, epsilon: eps, vGradient: form });
    opt.applyGradients({ [v.name]: tf.tensor2d(g) });
    const got = v.arraySync() as M;
    close(got, handStep(w0, g, form, lr, alpha, eps), 2e-5, "W");
    const [m, n] = [w0.length, w0[0].length];
    assert.equal(opt.stateFloats(), gradNormLoRPStateFloats(m, n, 1));
    assert.equal(opt.stateFloats(), 2 * Math.max(m, n) + Math.min(m, n) + 2 * n);
    opt.dispose();
    v.dispose();
  });
}

test("the two ∇v forms differ (the (I − v̂v̂ᵀ) factor is not a no-op here)", () => {
  const a = handStep(W0, G, "code", 0.05, 0.5, 1e-6);
  const b = handStep(W0, G, "paper", 0.05, 0.5, 1e-6);
  const diff = Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i][j]))));
  assert.ok(diff > 1e-4, `max difference ${diff}`);
});

test("state size: MLP 784-256-256-10 at r = 64 is GaLore's 172,052 plus 2·256 per hidden matrix", async () => {
  await backendReady();
  seed(0);
  const model = new MLP({ sizes: [784, 256, 256, 10], activation: "relu", init: "he" });
  const opt = new GradNormLoRPAdam(1e-3, { rank: 64 });
  const grads = Object.fromEntries(model.variables().map((v) => [v.name, tf.onesLike(v)]));
  opt.applyGradients(grads);
  const want =
    gradNormLoRPStateFloats(784, 256, 64) +
    gradNormLoRPStateFloats(256, 256, 64) +
    2 * (256 * 10) +
    2 * (256 + 256 + 10);
  assert.equal(want, 172052 + 4 * 256);
  assert.equal(opt.stateFloats(), want);
  assert.equal(gradNormLoRPStateFloats(784, 256, 64) - galoreStateFloats(784, 256, 64), 512);
  opt.dispose();
  model.dispose();
});

test("unprojected variables get exactly GaLoreAdam's plain Adam step", async () => {
  await backendReady();
  const b1 = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]), true);
  const b2 = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]), true);
  const gn = new GradNormLoRPAdam(0.01, { rank: 2 });
  const ga = new GaLoreAdam(0.01, { rank: 2 });
  for (let t = 0; t < 3; t++) {
    const g = tf.tensor1d([0.5 - t, 1, -2 + t]);
    gn.applyGradients({ [b1.name]: g });
    ga.applyGradients({ [b2.name]: g });
  }
  close([Array.from(b1.dataSync())], [Array.from(b2.dataSync())], 1e-7, "bias");
  [gn, ga, b1, b2].forEach((x) => x.dispose());
});

test("projectors have orthonormal columns and refresh every T steps; column norms follow g", async () => {
  await backendReady();
  const v = tf.variable(tf.randomNormal([20, 12], 0, 1, "float32", 99), true);
  const opt = new GradNormLoRPAdam(1e-2, { rank: 5, updateGap: 3 });
  for (let t = 0; t < 7; t++) opt.applyGradients({ [v.name]: tf.randomNormal([20, 12], 0, 1, "float32", t) });
  assert.equal(opt.refreshCount(), 3, "refreshes at steps 1, 4, 7");
  const p = opt.projector(v.name)!;
  assert.deepEqual(p.shape, [12, 5]);
  assertOrthonormal(p);
  assert.ok((v.arraySync() as M).flat().every(Number.isFinite));
  opt.dispose();
  v.dispose();
});

test("trains: a least-squares problem's loss falls, as with Adam", async () => {
  await backendReady();
  const x = tf.randomNormal([64, 16], 0, 1, "float32", 1);
  const target = tf.matMul(x, tf.randomNormal([16, 12], 0, 1, "float32", 2));
  const final = (opt: tf.Optimizer) => {
    const w = tf.variable(tf.randomNormal([16, 12], 0, 0.3, "float32", 3), true);
    const loss = () => tf.mean(tf.square(tf.sub(tf.matMul(x, w), target))) as tf.Scalar;
    const first = loss().dataSync()[0];
    for (let t = 0; t < 150; t++) opt.minimize(loss, false, [w]);
    const last = loss().dataSync()[0];
    w.dispose();
    opt.dispose();
    return last / first;
  };
  const ratio = final(new GradNormLoRPAdam(0.05, { rank: 4, updateGap: 10, scale: 1 }));
  assert.ok(ratio < 0.5, `loss ratio ${ratio}`);
  assert.ok(final(new FastAdam(0.05)) < 0.5);
  x.dispose();
  target.dispose();
});

test("bad options are refused with the argument named", () => {
  assert.throws(() => new GradNormLoRPAdam(1e-3, { rank: 4, vGradient: "other" as "code" }), /opts\.vGradient/);
  assert.throws(() => new GradNormLoRPAdam(1e-3, { rank: 4, unknown: 1 } as never), /opts/);
  assert.throws(() => new GradNormLoRPAdam(-1, { rank: 4 }), /learningRate/);
  assert.throws(() => new GradNormLoRPAdam(1e-3, { rank: 0 }), /opts\.rank/);
});

test("no tensor is left behind per step when applyGradients runs inside the training loop's tidy", async () => {
  await backendReady();
  for (const vGradient of ["code", "paper"] as const) {
    const v = tf.variable(tf.randomNormal([10, 8], 0, 1, "float32", 5), true);
    const opt = new GradNormLoRPAdam(1e-2, { rank: 3, updateGap: 2, vGradient });
    const step = (t: number) =>
      tf.tidy(() => opt.applyGradients({ [v.name]: tf.randomNormal([10, 8], 0, 1, "float32", t) }));
    step(0);
    step(1);
    const before = tf.memory().numTensors;
    for (let t = 2; t < 8; t++) step(t);
    assert.equal(tf.memory().numTensors, before, `${vGradient}: live tensors grew over 6 steps`);
    opt.dispose();
    v.dispose();
  }
});
