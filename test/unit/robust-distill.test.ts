import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { makeDataset } from "../../src/data/dataset";
import {
  clippedLossScale,
  expertObjective,
  trainExpert,
  mlpCrossEntropyGrads,
  mlpLogits,
  trajectoryMatchingLoss,
  unrollStudent,
} from "../../src/train/distill";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);
const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

/** A tiny student: 3 inputs → 4 tanh units → 3 classes, 5 synthetic points. */
function tiny(seedValue: number) {
  const rng = new Rng(seedValue);
  const r = (n: number, s: number) => Array.from({ length: n }, () => rng.normal() * s);
  const params = [
    tf.tensor2d(r(12, 0.8), [3, 4]),
    tf.tensor1d(r(4, 0.1)),
    tf.tensor2d(r(12, 0.8), [4, 3]),
    tf.tensor1d(r(3, 0.1)),
  ];
  const x = r(15, 1);
  const labels = [0, 1, 2, 1, 0];
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat() as tf.Tensor2D;
  const target = params.map((p) => tf.add(p, tf.tensor(r(p.size, 0.3), p.shape)));
  return { params, x, y, target };
}

test("analytic inner gradient equals autograd of scale·mean CE (tanh and relu)", async () => {
  await backendReady();
  for (const act of ["tanh", "relu"] as const) {
    const { params, x, y } = tiny(3);
    const xt = tf.tensor2d(x, [5, 3]);
    const ours = mlpCrossEntropyGrads(params, xt, y, act, 0.7);
    const auto = tf.grads((...ps: tf.Tensor[]) =>
      tf.mul(tf.losses.softmaxCrossEntropy(y, mlpLogits(ps, xt, act)), 0.7),
    )(params);
    ours.forEach((g, i) => {
      const a = g.dataSync();
      const b = auto[i].dataSync();
      a.forEach((v, k) => close(v, b[k], 1e-5, `${act} param ${i}[${k}]`));
    });
  }
});

test("gradient of the matching loss after 3 unrolled steps w.r.t. the synthetic images matches central differences", async () => {
  await backendReady();
  const { params, x, y, target } = tiny(7);
  const lossAt = (xs: tf.Tensor2D) =>
    trajectoryMatchingLoss(unrollStudent(params, xs, y, 0.5, { steps: 3, lossScale: 0.8 }), params, target);
  const g = tf
    .grad((xs: tf.Tensor) => lossAt(xs as tf.Tensor2D))(tf.tensor2d(x, [5, 3]))
    .dataSync();
  const eps = 1e-2;
  let maxAbs = 0;
  for (let k = 0; k < x.length; k++) {
    const up = x.slice();
    const dn = x.slice();
    up[k] += eps;
    dn[k] -= eps;
    const fd =
      (lossAt(tf.tensor2d(up, [5, 3])).dataSync()[0] - lossAt(tf.tensor2d(dn, [5, 3])).dataSync()[0]) / (2 * eps);
    close(g[k], fd, 2e-3 + 0.02 * Math.abs(fd), `d loss / d x[${k}]`);
    maxAbs = Math.max(maxAbs, Math.abs(fd));
  }
  // The check is not vacuous: the images do move the loss.
  assert.ok(maxAbs > 1e-2, `gradient too small to test (${maxAbs})`);
});

test("gradient w.r.t. the learnable student lr matches central differences", async () => {
  await backendReady();
  const { params, x, y, target } = tiny(11);
  const xt = tf.tensor2d(x, [5, 3]);
  const lossAt = (lr: tf.Scalar | number) =>
    trajectoryMatchingLoss(unrollStudent(params, xt, y, lr, { steps: 4 }), params, target);
  const g = tf
    .grad((lr: tf.Tensor) => lossAt(lr as tf.Scalar))(tf.scalar(0.3))
    .dataSync()[0];
  const eps = 1e-2;
  const fd = (lossAt(0.3 + eps).dataSync()[0] - lossAt(0.3 - eps).dataSync()[0]) / (2 * eps);
  close(g, fd, 2e-3 + 0.02 * Math.abs(fd));
});

test("matching loss on hand-made trajectories", async () => {
  await backendReady();
  const t = (v: number[]) => tf.tensor1d(v);
  const cases = [
    // ‖(3,0)−(3,4)‖² / ‖(0,0)−(3,4)‖² = 16/25
    { student: [[3, 0]], start: [[0, 0]], target: [[3, 4]], want: 16 / 25 },
    // reaching the target exactly
    { student: [[3, 4]], start: [[0, 0]], target: [[3, 4]], want: 0 },
    // not moving at all gives 1
    { student: [[1, 1], [2]], start: [[1, 1], [2]], target: [[0, 1], [4]], want: 1 },
    // two tensors pooled: (1 + 4) / (4 + 16)
    { student: [[1, 0], [2]], start: [[2, 0], [0]], target: [[0, 0], [4]], want: 5 / 20 },
  ];
  for (const c of cases) {
    const v = trajectoryMatchingLoss(c.student.map(t), c.start.map(t), c.target.map(t)).dataSync()[0];
    close(v, c.want, 1e-6, JSON.stringify(c));
  }
});

test("unrolling with lr 0 returns the start; one step equals θ − lr·grad", async () => {
  await backendReady();
  const { params, x, y } = tiny(5);
  const xt = tf.tensor2d(x, [5, 3]);
  const same = unrollStudent(params, xt, y, 0, { steps: 2 });
  same.forEach((p, i) => p.dataSync().forEach((v, k) => close(v, params[i].dataSync()[k], 1e-7)));
  const one = unrollStudent(params, xt, y, 0.2, { steps: 1 });
  const g = mlpCrossEntropyGrads(params, xt, y);
  one.forEach((p, i) =>
    p.dataSync().forEach((v, k) => close(v, params[i].dataSync()[k] - 0.2 * g[i].dataSync()[k], 1e-6)),
  );
});

test("AST clipping-loss schedule: 0.5, 0.5, 0.55 … 0.9, then 1", () => {
  const want = [0.5, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.9, 1, 1];
  want.forEach((w, e) => close(clippedLossScale(e), w, 1e-12, `epoch ${e}`));
  assert.throws(() => clippedLossScale(-1), named("epoch"));
});

test("bad input names the argument", async () => {
  await backendReady();
  const { params, y } = tiny(1);
  assert.throws(() => mlpLogits(params, tf.zeros([5, 4]) as tf.Tensor2D), named("x"));
  assert.throws(() => mlpLogits(params.slice(0, 3), tf.zeros([5, 3]) as tf.Tensor2D), named("params"));
  assert.throws(
    () => unrollStudent(params, tf.zeros([5, 3]) as tf.Tensor2D, y, 0.1, { steps: 0 }),
    named("opts.steps"),
  );
  assert.throws(
    () => unrollStudent(params, tf.zeros([5, 3]) as tf.Tensor2D, y, 0.1, { steps: 1, bogus: 1 } as never),
    named("opts"),
  );
  assert.throws(() => trajectoryMatchingLoss(params, params, params.slice(0, 2)), named("student"));
});

test("expert gradient penalty: value is λ·‖autograd ∇CE‖², and its gradient matches central differences", async () => {
  await backendReady();
  const { params, x } = tiny(11);
  const xt = tf.tensor2d(x, [5, 3]);
  const labels = tf.tensor1d([0, 1, 2, 1, 0], "int32");
  const y = tf.oneHot(labels, 3).toFloat() as tf.Tensor2D;
  const [scale, lambda] = [0.6, 0.3];
  // Value: CE and ‖∇CE‖² from first-order autograd (independent of the analytic inner gradient).
  const ce = (ps: tf.Tensor[]) =>
    tf.mul(tf.losses.softmaxCrossEntropy(y, mlpLogits(ps, xt, "tanh")), scale) as tf.Scalar;
  const g1 = tf.grads((...ps: tf.Tensor[]) => ce(ps))(params);
  const sq = g1.reduce((a, g) => a + (tf.sum(tf.square(g)).arraySync() as number), 0);
  const want = (ce(params).arraySync() as number) + lambda * sq;
  close(expertObjective(params, xt, labels, "tanh", scale, lambda).arraySync() as number, want, 1e-5, "value");
  // Without a penalty the objective is scale·CE exactly.
  close(
    expertObjective(params, xt, labels, "tanh", scale, 0).arraySync() as number,
    ce(params).arraySync() as number,
    1e-6,
  );
  // Gradient (second derivatives through the penalty) vs central differences, every parameter entry.
  const grads = tf.grads((...ps: tf.Tensor[]) => expertObjective(ps, xt, labels, "tanh", scale, lambda))(params);
  const h = 1e-2;
  params.forEach((p, i) => {
    const base = p.dataSync();
    const g = grads[i].dataSync();
    for (let k = 0; k < base.length; k++) {
      const at = (d: number) => {
        const v = base.slice();
        v[k] += d;
        const ps = params.map((q, j) => (j === i ? tf.tensor(v, q.shape) : q));
        return expertObjective(ps, xt, labels, "tanh", scale, lambda).arraySync() as number;
      };
      close(g[k], (at(h) - at(-h)) / (2 * h), 2e-3, `param ${i}[${k}]`);
    }
  });
  // The penalty changes the gradient (a test that could fail if it were ignored).
  const plain = tf.grads((...ps: tf.Tensor[]) => ce(ps))(params);
  const diff = grads.reduce((a, g, i) => a + (tf.sum(tf.abs(tf.sub(g, plain[i]))).arraySync() as number), 0);
  assert.ok(diff > 1e-3, `penalty moved the gradient by ${diff}`);
});

test("trainExpert names a bad gradient-penalty weight", async () => {
  await backendReady();
  const data = makeDataset("tiny", new Float32Array(12), new Int32Array([0, 1, 0, 1]), [3], 2);
  for (const gp of [-0.1, Number.NaN])
    await assert.rejects(
      trainExpert(data, { hidden: [4], epochs: 1, batchSize: 2, lr: 0.1, seed: 1, gradPenalty: gp }),
      named("opts.gradPenalty"),
    );
});
