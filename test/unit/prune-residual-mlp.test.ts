// The residual MLP used for layer pruning: dropping blocks keeps the inherited weights (a net
// with no blocks is stem + head, computed by hand), and batch norm's running statistics follow
// the update rule in training mode and stay put when frozen.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { seed } from "../../src/core/random";
import { ResidualMLP } from "../../src/nn/residual-mlp";

const X = [
  [0.5, -1, 2],
  [1, 0.25, -0.5],
  [-0.3, 0.8, 0.1],
  [0.0, -0.2, 1.5],
];

test("keepBlocks([]) is stem + head exactly; keeping every block reproduces the full net", async () => {
  await backendReady();
  seed(3);
  const m = new ResidualMLP({ input: 3, width: 4, blocks: 3, classes: 2 });
  m.training = false;
  const x = tf.tensor2d(X);
  const none = m.keepBlocks([]);
  none.training = false;
  const W = m.stemW.arraySync() as number[][];
  const b = m.stemB.arraySync() as number[];
  const H = m.headW.arraySync() as number[][];
  const c = m.headB.arraySync() as number[];
  const want = X.map((row) => {
    const h = b.map((bj, j) => Math.max(0, bj + row.reduce((a, v, i) => a + v * W[i][j], 0)));
    return c.map((ck, k) => ck + h.reduce((a, v, j) => a + v * H[j][k], 0));
  });
  const got = none.forward(x).arraySync();
  want.forEach((r, i) => r.forEach((v, k) => assert.ok(Math.abs(got[i][k] - v) < 1e-5)));
  const all = m.keepBlocks([2, 0, 1]);
  all.training = false;
  assert.deepEqual(all.forward(x).arraySync(), m.forward(x).arraySync());
  assert.equal(m.keepBlocks([0]).flopsPerExample(), 3 * 4 + 2 * 16 + 4 * 2);
  assert.throws(() => m.keepBlocks([0, 0]), /keep: must list distinct/);
  [m, none, all].forEach((n) => n.dispose());
  x.dispose();
});

test("batch norm: running statistics move by the momentum rule in training, not when frozen", async () => {
  await backendReady();
  seed(4);
  const m = new ResidualMLP({ input: 3, width: 4, blocks: 1, classes: 2, bnMomentum: 0.1 });
  const x = tf.tensor2d(X);
  // Batch mean of the first block's first linear output, computed by hand.
  const W = m.stemW.arraySync() as number[][];
  const sb = m.stemB.arraySync() as number[];
  const W1 = m.blocks[0].w1.arraySync() as number[][];
  const h = X.map((row) => sb.map((bj, j) => Math.max(0, bj + row.reduce((a, v, i) => a + v * W[i][j], 0))));
  const z = h.map((row) => [0, 1, 2, 3].map((j) => row.reduce((a, v, i) => a + v * W1[i][j], 0)));
  const mean = [0, 1, 2, 3].map((j) => z.reduce((a, r) => a + r[j], 0) / X.length);
  m.freezeStats = true;
  tf.tidy(() => m.forward(x));
  assert.deepEqual(m.blocks[0].stats[0].arraySync(), [0, 0, 0, 0]);
  m.freezeStats = false;
  tf.tidy(() => m.forward(x));
  const rm = m.blocks[0].stats[0].arraySync() as number[];
  mean.forEach((v, j) => assert.ok(Math.abs(rm[j] - 0.1 * v) < 1e-5, `running mean ${j}`));
  m.dispose();
  x.dispose();
});
