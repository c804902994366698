// Stage-wise shared blocks expanded to any depth (Learngene SWS): with the auxiliary model's
// own stage counts the descendant computes the same function; other depths copy each stage's
// block into independent layers; parameter counts by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { expandStages } from "../../src/nn/growth";
import { StagedResidualMLP } from "../../src/nn/staged-residual-mlp";

const x = () => tf.tensor2d(new Rng(4).normalArray(5 * 6), [5, 6]);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).arraySync() as number);

function aux(): StagedResidualMLP {
  const m = new StagedResidualMLP({ input: 6, width: 4, classes: 3, schedule: [0, 0, 0, 1, 1, 1, 2, 2] }, new Rng(1));
  const r = new Rng(2);
  // Non-zero biases, as after training, so copying them is checked too.
  for (const b of m.blocks) for (const v of [b.b1, b.b2]) v.assign(tf.tensor1d(r.normalArray(4)));
  return m;
}

test("stage-shared residual MLP: parameter count counts each stored block once", async () => {
  await backendReady();
  const m = aux();
  assert.equal(m.depth, 8);
  assert.equal(m.parameterCount(), 6 * 4 + 4 + 3 * (2 * (4 * 4 + 4)) + 4 * 3 + 3);
  assert.throws(
    () => new StagedResidualMLP({ input: 6, width: 4, classes: 3, schedule: [0, 2] }, new Rng(0)),
    /block 1/,
  );
});

test("expanding with the auxiliary model's own counts keeps its function", async () => {
  await backendReady();
  const m = aux();
  const child = expandStages(m, [3, 3, 2]);
  assert.deepEqual(child.config.schedule, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(maxDiff(child.forward(x()), m.forward(x())) < 1e-5);
  assert.equal(child.parameterCount(), 6 * 4 + 4 + 8 * (2 * (4 * 4 + 4)) + 4 * 3 + 3);
});

for (const counts of [
  [2, 1, 1],
  [4, 3, 3],
]) {
  test(`descendant with counts ${counts}: layer l copies its stage's block; layers are independent`, async () => {
    await backendReady();
    const m = aux();
    const child = expandStages(m, counts);
    const stageOf = counts.flatMap((c, s) => Array<number>(c).fill(s));
    assert.equal(child.depth, stageOf.length);
    stageOf.forEach((s, l) => {
      for (const k of ["w1", "b1", "w2", "b2"] as const) assert.equal(maxDiff(child.blocks[l][k], m.blocks[s][k]), 0);
    });
    // A different depth is a different function (the test could fail if expansion ignored counts).
    assert.ok(maxDiff(child.forward(x()), m.forward(x())) > 1e-4);
    child.blocks[0].w1.assign(tf.zerosLike(child.blocks[0].w1));
    assert.ok(maxDiff(child.blocks[1].w1, child.blocks[0].w1) > 0 || counts[0] === 1);
    assert.ok((tf.max(tf.abs(m.blocks[0].w1)).arraySync() as number) > 0);
  });
}

test("expandStages refuses counts that do not match the stored blocks", async () => {
  await backendReady();
  assert.throws(() => expandStages(aux(), [3, 3]), /counts/);
  assert.throws(() => expandStages(aux(), [0, 0, 0]), /counts/);
});
