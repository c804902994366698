// The one training loop: batches, groups, schedules and hooks checked against hand-computed
// SGD updates on a linear model (gradients known in closed form), plus its input errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { makeDataset } from "../../src/data/dataset";
import { Rng } from "../../src/core/random";
import { train, BatchSource } from "../../src/train/loop";
import { warmupCosine } from "../../src/optim/schedules";

// Loss L = mean_b (w·x_b − t_b)² / 2 on scalars: dL/dw = mean_b (w x_b − t_b) x_b.
function linearModel(w0: number) {
  const w = tf.variable(tf.scalar(w0));
  return { w, variables: () => [w] };
}
const xs = [1, 2, 3, 4, 5];
const ts = [2, 4, 6, 8, 10];
const source = (log: number[][]): BatchSource<{ x: tf.Tensor1D; t: tf.Tensor1D }> => ({
  n: xs.length,
  make(idx) {
    log.push([...(idx as number[])]);
    return { x: tf.tensor1d(idx!.map((i) => xs[i])), t: tf.tensor1d(idx!.map((i) => ts[i])) };
  },
});
const objective = (m: { w: tf.Variable }) => (b: { x: tf.Tensor1D; t: tf.Tensor1D }) =>
  tf.div(tf.mean(tf.square(tf.sub(tf.mul(m.w, b.x), b.t))), 2) as tf.Scalar;

test("epoch sampler: seeded permutation per epoch, last partial batch kept; SGD matches the hand update", async () => {
  await backendReady();
  const m = linearModel(0.5);
  const seen: number[][] = [];
  const res = await train(m, source(seen), {
    epochs: 2,
    batchSize: 2,
    seed: 7,
    optimizer: "sgd",
    lr: 0.01,
    objective: objective(m),
    logEvery: 1,
  });
  const rng = new Rng(7);
  const expected: number[][] = [];
  for (let e = 0; e < 2; e++) {
    const p = rng.permutation(5);
    expected.push(p.slice(0, 2), p.slice(2, 4), p.slice(4, 5));
  }
  assert.deepEqual(seen, expected);
  let w = 0.5;
  for (const b of expected) w -= 0.01 * (b.reduce((s, i) => s + (w * xs[i] - ts[i]) * xs[i], 0) / b.length);
  assert.ok(Math.abs(m.w.dataSync()[0] - w) < 1e-6, `${m.w.dataSync()[0]} vs ${w}`);
  assert.equal(res.steps, 6);
  assert.equal(res.epochs, 2);
  assert.equal(res.log.length, 6);
  m.w.dispose();
});

test("stream sampler: full batches only, reshuffled when exhausted", async () => {
  const m = linearModel(0);
  const seen: number[][] = [];
  await train(m, source(seen), {
    steps: 5,
    batchSize: 2,
    seed: 3,
    sampler: "stream",
    optimizer: "sgd",
    lr: 0.01,
    objective: objective(m),
  });
  const rng = new Rng(3);
  let p = rng.permutation(5);
  const expected = [p.slice(0, 2), p.slice(2, 4)];
  p = rng.permutation(5);
  expected.push(p.slice(0, 2), p.slice(2, 4));
  p = rng.permutation(5);
  expected.push(p.slice(0, 2));
  assert.deepEqual(seen, expected);
  m.w.dispose();
});

test("groups, schedule and hooks reach the update (closed form)", async () => {
  const a = tf.variable(tf.scalar(1));
  const b = tf.variable(tf.scalar(1));
  const model = { variables: () => [a, b] };
  // Objective a + 2b: constant gradients 1 and 2; the reg hook adds 0.5·a² (gradient 0.5·2a = a).
  const posts: number[] = [];
  const grads: number[][] = [];
  const sched = warmupCosine(2);
  const steps = 4;
  await train(
    model,
    { make: () => null },
    {
      steps,
      batchSize: 1,
      seed: 0,
      schedule: sched,
      groups: [
        { variables: [a], optimizer: "sgd", lr: 0.1 },
        { variables: [b], optimizer: "sgd", lr: 0.01 },
      ],
      objective: () => tf.add(a, tf.mul(b, 2)) as tf.Scalar,
      hooks: [
        {
          regLoss: () => tf.mul(0.5, tf.square(a)) as tf.Scalar,
          trainableVariables: () => [b],
          transformGrads: (g) => ({ [b.name]: tf.mul(g[b.name], 3) }),
          onGrads: (_s, g) => grads.push([g[a.name].dataSync()[0], g[b.name].dataSync()[0]]),
          postStep: (s) => posts.push(s),
        },
      ],
    },
  );
  let ea = 1;
  let eb = 1;
  for (let t = 1; t <= steps; t++) {
    const f = sched(t, steps);
    ea -= 0.1 * f * (1 + ea);
    eb -= 0.01 * f * (2 * 3);
  }
  assert.ok(Math.abs(a.dataSync()[0] - ea) < 1e-6, `a ${a.dataSync()[0]} vs ${ea}`);
  assert.ok(Math.abs(b.dataSync()[0] - eb) < 1e-6, `b ${b.dataSync()[0]} vs ${eb}`);
  assert.deepEqual(posts, [1, 2, 3, 4]);
  assert.equal(grads.length, 4);
  assert.equal(grads[0][1], 2, "onGrads sees the raw gradient, before transformGrads");
  tf.dispose([a, b]);
});

test("evalAt gets the mean training loss since the previous eval; onEpoch the epoch mean", async () => {
  const m = linearModel(1);
  const evals: Array<[number, number]> = [];
  const epochs: Array<[number, number]> = [];
  const ds = makeDataset("t", new Float32Array([1, 2, 3, 4]), new Int32Array([0, 1, 0, 1]), [1], 2);
  const dense = tf.variable(tf.zeros([1, 2]));
  const model = { variables: () => [dense], forward: (x: tf.Tensor2D) => tf.matMul(x, dense) as tf.Tensor2D };
  await train(model, ds, {
    epochs: 2,
    batchSize: 2,
    seed: 1,
    optimizer: "sgd",
    lr: 1e-9,
    evalAt: [0, 2, 3],
    onEval: (s, l) => {
      evals.push([s, l]);
    },
    onEpoch: (e, l) => {
      epochs.push([e, l]);
    },
  });
  assert.deepEqual(
    evals.map((e) => e[0]),
    [0, 2, 3],
  );
  assert.ok(Number.isNaN(evals[0][1]));
  // With a negligible lr every batch loss is ln 2 (zero logits).
  for (const [, l] of [...evals.slice(1), ...epochs]) assert.ok(Math.abs(l - Math.LN2) < 1e-5, String(l));
  assert.deepEqual(
    epochs.map((e) => e[0]),
    [1, 2],
  );
  tf.dispose([dense, m.w]);
});

test("stopOnNonFinite stops at the first logged non-finite loss", async () => {
  const v = tf.variable(tf.scalar(1));
  const r = await train(
    { variables: () => [v] },
    { make: () => null },
    {
      steps: 10,
      batchSize: 1,
      seed: 0,
      optimizer: "sgd",
      lr: 1,
      logEvery: 1,
      stopOnNonFinite: true,
      objective: (_b, info) => (info.step >= 3 ? tf.mul(v, NaN) : tf.mul(v, 1)) as tf.Scalar,
    },
  );
  assert.equal(r.stoppedAt, 3);
  assert.equal(r.steps, 3);
  v.dispose();
});

test("bad options are named", async () => {
  const v = tf.variable(tf.scalar(1));
  const m = { variables: () => [v] };
  const src = { n: 4, make: () => null };
  const obj = () => tf.mul(v, 1) as tf.Scalar;
  const cases: Array<[object, RegExp]> = [
    [{ seed: 0, objective: obj }, /give exactly one of steps or epochs/],
    [{ steps: 1, epochs: 1, seed: 0, objective: obj }, /give exactly one of steps or epochs/],
    [{ steps: 1, seed: 0, objective: obj, nope: 1 }, /opts: unknown option "nope"/],
    [{ steps: 1, batchSize: 8, sampler: "stream", seed: 0, objective: obj }, /opts\.batchSize/],
    [{ steps: 1, seed: 0, sampler: "shuffle", objective: obj }, /opts\.sampler: unknown sampler "shuffle"/],
    [{ steps: 0, seed: 0, objective: obj }, /opts\.steps/],
    [{ steps: 2, seed: 0, objective: obj, schedule: () => NaN }, /opts\.schedule: returned NaN/],
    [{ steps: 1, seed: 0, objective: obj, groups: [{ variables: [v], lr: -1 }] }, /opts\.groups\[0\]\.lr/],
    [
      { steps: 1, seed: 0, lr: 1, objective: obj, groups: [{ variables: [v], lr: 1 }] },
      /opts\.groups: replaces optimizer/,
    ],
  ];
  for (const [opts, re] of cases)
    await assert.rejects(train(m, src, opts as never), re, JSON.stringify(Object.keys(opts)));
  await assert.rejects(train({ variables: () => [v] }, src, { steps: 1, seed: 0 }), /model: needs forward/);
  v.dispose();
});
