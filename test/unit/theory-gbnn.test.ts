// GBNN pieces: the Newton step against a finite-difference derivative of the cross-entropy
// and the diagonal-curvature closed form, float64 logits against a hand case and against the
// tfjs net, assembly against the staged sum, unit subsets, and trainGbnn's reported loss
// against the loss recomputed from its assembled net.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/core/random";
import { makeDataset } from "../../src/data/dataset";
import {
  assembleStages,
  gbnnNewtonStep,
  keepUnits,
  SigmoidNet,
  sigmoidNetLogits,
  SigmoidWeights,
  softmaxRows,
} from "../../src/nn/gbnn";
import { trainGbnn } from "../../src/train/gbnn";

const rand = (rng: Rng, r: number, c: number) =>
  Array.from({ length: r }, () => Array.from({ length: c }, () => rng.normal()));
const randNet = (rng: Rng, dim: number, J: number, K: number): SigmoidWeights => ({
  U: rand(rng, dim, J),
  c: rand(rng, 1, J)[0],
  V: rand(rng, J, K),
  d: rand(rng, 1, K)[0],
});
const ce = (logits: ArrayLike<number>, y: number[], K: number) => {
  const p = softmaxRows(logits, K);
  return -y.reduce((s, yi, i) => s + Math.log(p[i * K + yi]), 0);
};

test("sigmoidNetLogits matches a hand-computed case", () => {
  // x = [1, −1], U = [[1], [1]] → pre-activation 0, σ = ½; V = [[2, −2]], d = [1, 0] → [2, −1].
  const net = { U: [[1], [1]], c: [0], V: [[2, -2]], d: [1, 0] };
  assert.deepEqual(Array.from(sigmoidNetLogits(net, [1, -1], 1)), [2, -1]);
});

test("the Newton step is −L′(0)/Σh²p(1−p) with L(ρ) = CE(F + ρh) (finite difference for L′)", () => {
  const rng = new Rng(3);
  const n = 7;
  const K = 4;
  const F = Float64Array.from({ length: n * K }, () => rng.normal());
  const h = Float64Array.from({ length: n * K }, () => rng.normal());
  const y = Array.from({ length: n }, () => rng.int(K));
  const p = softmaxRows(F, K);
  const L = (rho: number) =>
    ce(
      F.map((f, q) => f + rho * h[q]),
      y,
      K,
    );
  const eps = 1e-6;
  const dL = (L(eps) - L(-eps)) / (2 * eps);
  let den = 0;
  for (let q = 0; q < n * K; q++) den += h[q] * h[q] * p[q] * (1 - p[q]);
  const rho = gbnnNewtonStep(h, p, y, K);
  assert.ok(Math.abs(rho - -dL / den) < 1e-7, `${rho} vs ${-dL / den}`);
});

test("float64 logits agree with the tfjs SigmoidNet forward (float32)", () => {
  const net = new SigmoidNet(5, 3, 4, 11);
  const rng = new Rng(1);
  const x = Float32Array.from({ length: 6 * 5 }, () => rng.normal());
  const ref = tf.tidy(() => net.forward(tf.tensor2d(x, [6, 5])).dataSync());
  const mine = sigmoidNetLogits(net.weights(), x, 6);
  for (let q = 0; q < ref.length; q++) assert.ok(Math.abs(ref[q] - mine[q]) < 1e-5);
  net.dispose();
});

test("assembled stages give F₀ + Σ factor_t · h_t(x); keepUnits of all units changes nothing", () => {
  const rng = new Rng(8);
  const stages = [randNet(rng, 3, 2, 3), randNet(rng, 3, 1, 3), randNet(rng, 3, 2, 3)];
  const factors = [0.5, -2, 1.5];
  const init = [0.1, 0.2, -0.3];
  const x = Array.from({ length: 4 * 3 }, () => rng.normal());
  const expected = new Float64Array(4 * 3);
  for (let i = 0; i < 4; i++) for (let k = 0; k < 3; k++) expected[i * 3 + k] = init[k];
  stages.forEach((s, t) => sigmoidNetLogits(s, x, 4).forEach((v, q) => (expected[q] += factors[t] * v)));
  const net = assembleStages(stages, factors, init);
  assert.equal(net.c.length, 5);
  const got = sigmoidNetLogits(net, x, 4);
  got.forEach((v, q) => assert.ok(Math.abs(v - expected[q]) < 1e-12));
  const all = sigmoidNetLogits(keepUnits(net, [0, 1, 2, 3, 4]), x, 4);
  all.forEach((v, q) => assert.ok(Math.abs(v - got[q]) < 1e-15));
  // Units 0–1 are stage 0: keeping them (with stage 0's bias only) is stage 0 scaled, plus init.
  const first = assembleStages([stages[0]], [factors[0]], init);
  const viaKeep = keepUnits(net, [0, 1]);
  assert.deepEqual(viaKeep.U, first.U);
  assert.deepEqual(viaKeep.V, first.V);
});

test("trainGbnn: staged loss starts at ln K, falls, and equals the loss of its assembled net", async () => {
  const rng = new Rng(4);
  const n = 60;
  const x = Float32Array.from({ length: n * 2 }, () => rng.normal());
  const y = Int32Array.from(
    { length: n },
    (_, i) => (x[2 * i] + 0.3 * x[2 * i + 1] > 0 ? 1 : 0) + (x[2 * i + 1] > 0.8 ? 1 : 0),
  );
  const ds = makeDataset("toy", x, y, [2], 3);
  const out = await trainGbnn(ds, { stages: 5, units: 1, stepsPerStage: 30, lr: 0.1, seed: 2 });
  assert.ok(Math.abs(out.trainLoss[0] - Math.log(3)) < 1e-12);
  assert.ok(out.trainLoss[5] < out.trainLoss[0] - 0.1, `loss ${out.trainLoss[0]} → ${out.trainLoss[5]}`);
  const recomputed = ce(sigmoidNetLogits(out.net, x, n), Array.from(y), 3) / n;
  assert.ok(Math.abs(recomputed - out.trainLoss[5]) < 1e-9, `${recomputed} vs ${out.trainLoss[5]}`);
});

test("bad input is named", async () => {
  const net = { U: [[1], [1]], c: [0], V: [[2, -2]], d: [1, 0] };
  assert.throws(() => sigmoidNetLogits(net, [1, 2, 3], 1), /x: has 3 values; n·dim = 2/);
  assert.throws(() => keepUnits(net, [1]), /units: entry 0 is 1/);
  assert.throws(() => assembleStages([net], [1, 2]), /factors: must have one entry per stage/);
  assert.throws(() => gbnnNewtonStep([0, 0], [0.5, 0.5], [0], 2), /h: gives a zero curvature/);
  assert.throws(() => gbnnNewtonStep([1, 0], [0.5, 0.5], [0, 1], 2), /y: has 2 labels/);
  const ds = makeDataset("toy", new Float32Array(4), Int32Array.from([0, 1]), [2], 2);
  await assert.rejects(
    () => trainGbnn(ds, { stages: 1, units: 1, stepsPerStage: 1, lr: 0.1, seed: 0, depth: 2 } as never),
    /unknown option "depth"/,
  );
});
