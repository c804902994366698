// Sparse training through train()'s hooks: pruned weights stay exactly zero through Adam
// steps (a control without the hook shows Adam would move them), kept weights follow the
// hand-computed masked SGD update, frozen entries never change, rewinding restores the saved
// weights bit for bit, and IMP's rounds shrink the density as the rates say.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { makeDataset } from "../../src/data/dataset";
import { seed } from "../../src/core/random";
import { MLP } from "../../src/nn/mlp";
import { train } from "../../src/train/loop";
import {
  iterativeMagnitudePruning,
  MaskedTraining,
  MaskSet,
  pruneByMagnitude,
  rewindWeights,
  snapshotWeights,
} from "../../src/prune";

function toyData(n = 64) {
  seed(1);
  const x = new Float32Array(n * 6).map((_, i) => Math.sin(i * 1.7) + ((i * 7) % 5) / 5);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  return makeDataset("toy", x, y, [6], 3);
}

async function trainToy(withHook: boolean) {
  await backendReady();
  seed(2);
  const model = new MLP({ sizes: [6, 8, 3], init: "glorot" });
  const mask = pruneByMagnitude(
    snapshotWeights(model.weights),
    MaskSet.ones([
      [6, 8],
      [8, 3],
    ]),
    0.5,
  );
  // Start sparse in both runs; only the hook keeps it so.
  rewindWeights(model.weights, snapshotWeights(model.weights), mask);
  const hook = new MaskedTraining(model.weights, mask);
  await train(model, toyData(), { epochs: 3, batchSize: 16, seed: 0, lr: 0.05, hooks: withHook ? [hook] : [] });
  hook.dispose();
  const w = snapshotWeights(model.weights);
  model.dispose();
  return { w, mask };
}

test("pruned weights stay exactly zero through Adam steps with the hook, and move without it", async () => {
  const on = await trainToy(true);
  const off = await trainToy(false);
  let zerosOn = 0;
  let movedOff = 0;
  let pruned = 0;
  on.mask.layers.forEach((m, l) =>
    m.data.forEach((k, i) => {
      if (k) return;
      pruned++;
      if (on.w[l][i] === 0) zerosOn++;
      if (off.w[l][i] !== 0) movedOff++;
    }),
  );
  assert.ok(pruned > 20);
  assert.equal(zerosOn, pruned);
  assert.ok(movedOff > pruned / 2, `control: only ${movedOff} of ${pruned} pruned weights moved without the hook`);
});

test("kept weights follow the masked SGD update w ← w − lr·(g ⊙ m) (gradient in closed form)", async () => {
  await backendReady();
  // Linear least squares L = mean_b (x_b·w − t_b)²/2 with w a [3, 1] matrix: ∂L/∂w = Xᵀ(Xw − t)/B.
  const X = [
    [1, 2, 0],
    [0, 1, 3],
    [2, 0, 1],
  ];
  const t = [1, -1, 2];
  const w0 = [0.5, -0.25, 1];
  const w = tf.variable(tf.tensor2d(w0, [3, 1]));
  const mask = new MaskSet([{ shape: [3, 1], data: Uint8Array.from([1, 0, 1]) }]);
  const hook = new MaskedTraining([w], mask);
  const source = {
    n: 3,
    make: () => ({ x: tf.tensor2d(X), t: tf.tensor2d(t, [3, 1]) }),
  };
  await train({ variables: () => [w] }, source, {
    steps: 1,
    batchSize: 3,
    seed: 0,
    optimizer: "sgd",
    lr: 0.1,
    hooks: [hook],
    objective: (b: { x: tf.Tensor2D; t: tf.Tensor2D }) =>
      tf.div(tf.mean(tf.square(tf.sub(tf.matMul(b.x, w), b.t))), 2) as tf.Scalar,
  });
  const wm = [w0[0], 0, w0[2]]; // the hook zeroes the pruned entry before the first step
  const r = X.map((row, b) => row.reduce((a, x, j) => a + x * wm[j], 0) - t[b]);
  const g = [0, 1, 2].map((j) => X.reduce((a, row, b) => a + row[j] * r[b], 0) / 3);
  const want = [wm[0] - 0.1 * g[0], 0, wm[2] - 0.1 * g[2]];
  const got = w.dataSync();
  want.forEach((v, j) => assert.ok(Math.abs(got[j] - v) < 1e-6, `w[${j}] = ${got[j]}, want ${v}`));
  hook.dispose();
  w.dispose();
});

test("frozen entries keep their values exactly through Adam steps; the free ones train", async () => {
  await backendReady();
  seed(5);
  const model = new MLP({ sizes: [6, 8, 3], init: "glorot" });
  const shapes = [
    [6, 8],
    [8, 3],
  ];
  const before = snapshotWeights(model.weights);
  const frozen = new MaskSet(
    shapes.map((s) => ({ shape: s, data: Uint8Array.from({ length: s[0] * s[1] }, (_, i) => i % 2) })),
  );
  const hook = new MaskedTraining(model.weights, MaskSet.ones(shapes), { frozen });
  await train(model, toyData(), { epochs: 2, batchSize: 16, seed: 0, lr: 0.05, hooks: [hook] });
  hook.dispose();
  const after = snapshotWeights(model.weights);
  let changedFree = 0;
  frozen.layers.forEach((m, l) =>
    m.data.forEach((f, i) => {
      if (f) assert.equal(after[l][i], before[l][i]);
      else if (after[l][i] !== before[l][i]) changedFree++;
    }),
  );
  assert.ok(changedFree > 20);
  model.dispose();
});

test("rewinding restores the saved weights exactly (bit for bit), masked entries to zero", async () => {
  await backendReady();
  seed(7);
  const model = new MLP({ sizes: [6, 8, 3], init: "glorot" });
  const init = snapshotWeights(model.weights);
  await train(model, toyData(), { epochs: 1, batchSize: 16, seed: 0, lr: 0.05 });
  const trained = snapshotWeights(model.weights);
  assert.notDeepEqual(trained, init);
  const mask = pruneByMagnitude(
    trained,
    MaskSet.ones([
      [6, 8],
      [8, 3],
    ]),
    0.3,
  );
  rewindWeights(model.weights, init, mask);
  const back = snapshotWeights(model.weights);
  mask.layers.forEach((m, l) => m.data.forEach((k, i) => assert.equal(back[l][i], k ? init[l][i] : 0)));
  rewindWeights(model.weights, init);
  assert.deepEqual(snapshotWeights(model.weights), init);
  assert.throws(() => rewindWeights(model.weights, [init[0]]), /saved: must hold 2 arrays/);
  model.dispose();
});

test("IMP: rounds prune the survivors at the per-layer rates and rewind to init before training", async () => {
  await backendReady();
  seed(9);
  const model = new MLP({ sizes: [6, 20, 10], init: "glorot" });
  const init = snapshotWeights(model.weights);
  const seen: number[][] = [];
  const rounds = await iterativeMagnitudePruning({
    vars: model.weights,
    rounds: 3,
    rate: [0.2, 0.1],
    train: async (mask) => {
      // At the start of every round the survivors hold their initial values exactly.
      const now = snapshotWeights(model.weights);
      mask.layers.forEach((m, l) => m.data.forEach((k, i) => assert.equal(now[l][i], k ? init[l][i] : 0)));
      const hook = new MaskedTraining(model.weights, mask);
      await train(model, toyData(), { epochs: 1, batchSize: 16, seed: 0, lr: 0.05, hooks: [hook] });
      hook.dispose();
      seen.push(mask.kept());
      return mask.density();
    },
  });
  // Layer sizes 120 and 200: kept after k rounds = previous − round(rate · previous).
  assert.deepEqual(seen, [
    [120, 200],
    [96, 180],
    [77, 162],
    [62, 146],
  ]);
  assert.deepEqual(
    rounds.map((r) => r.density),
    seen.map((k) => (k[0] + k[1]) / 320),
  );
  model.dispose();
});

test("the hook frees what it allocates: tensor count and bytes unchanged after training and dispose", async () => {
  await backendReady();
  seed(11);
  const model = new MLP({ sizes: [6, 8, 3], init: "glorot" });
  const mask = pruneByMagnitude(
    snapshotWeights(model.weights),
    MaskSet.ones([
      [6, 8],
      [8, 3],
    ]),
    0.5,
  );
  const before = tf.memory();
  const hook = new MaskedTraining(model.weights, mask);
  for (let k = 0; k < 3; k++) hook.postStep();
  rewindWeights(model.weights, snapshotWeights(model.weights), mask);
  hook.dispose();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  model.dispose();
});

test("zeroOutside: false leaves entries outside the mask at their values; only masked, unfrozen ones train", async () => {
  await backendReady();
  seed(13);
  const model = new MLP({ sizes: [6, 8, 3], init: "glorot" });
  const shapes = [
    [6, 8],
    [8, 3],
  ];
  const before = snapshotWeights(model.weights);
  const pattern = (k: number) =>
    new MaskSet(
      shapes.map((s) => ({
        shape: s,
        data: Uint8Array.from({ length: s[0] * s[1] }, (_, i) => (i % 3 === k ? 1 : 0)),
      })),
    );
  const mask = pattern(0).or(pattern(1));
  const frozen = pattern(1);
  const hook = new MaskedTraining(model.weights, mask, { frozen, zeroOutside: false });
  await train(model, toyData(), { epochs: 2, batchSize: 16, seed: 0, lr: 0.05, hooks: [hook] });
  hook.dispose();
  const after = snapshotWeights(model.weights);
  let trained = 0;
  mask.layers.forEach((m, l) =>
    m.data.forEach((k, i) => {
      if (!k || frozen.layers[l].data[i]) assert.equal(after[l][i], before[l][i]);
      else if (after[l][i] !== before[l][i]) trained++;
    }),
  );
  assert.ok(trained > 10);
  assert.throws(() => new MaskedTraining(model.weights, mask, { zero: true } as never), /unknown option "zero"/);
  model.dispose();
});
