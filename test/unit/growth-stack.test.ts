// Depthwise stacking (G_stack) and the small helpers of src/nn/growth.ts: stacking with
// zero-initialised residual outputs preserves the function exactly, plain stacking copies
// blocks in order and does not; FLOP counts, orthogonal directions and stage schedules
// against hand-computed answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import {
  expansionSchedule,
  orthogonalComplement,
  stackTransformer,
  stageCounts,
  transformerStepFlops,
} from "../../src/nn/growth";
import { BLOCK_MATRICES, blockParam, transformerLogits, transformerParams } from "../../src/nn/transformer";

const shape = (layers: number) => ({ vocab: 11, width: 8, context: 6, layers, heads: 2 });
const ids = () => tf.tensor2d([0, 3, 5, 7, 9, 10, 1, 2, 2, 4, 6, 8], [2, 6], "int32");
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).arraySync() as number);
const count = (p: Record<string, tf.Variable>) => Object.values(p).reduce((a, v) => a + v.size, 0);

for (const [L, g] of [
  [1, 4],
  [2, 2],
  [3, 1],
] as const) {
  test(`stacking ${L} block(s) ×${g} with zeroed new residual outputs keeps the logits`, async () => {
    await backendReady();
    const src = transformerParams(new Rng(L * 10 + g), shape(L));
    const grown = stackTransformer(src, shape(L), g, { zeroNewOutputs: true });
    assert.equal(grown.shape.layers, L * g);
    const a = transformerLogits(src, ids(), shape(L));
    const b = transformerLogits(grown.params, ids(), grown.shape);
    assert.ok(maxDiff(a, b) < 1e-5, `logits differ by ${maxDiff(a, b)}`);
    assert.equal(count(grown.params), count(transformerParams(new Rng(0), grown.shape)));
  });
}

test("plain G_stack copies block l mod L into block l, and changes the function", async () => {
  await backendReady();
  const src = transformerParams(new Rng(3), shape(2));
  const { params, shape: s } = stackTransformer(src, shape(2), 3);
  assert.equal(s.layers, 6);
  for (let l = 0; l < 6; l++)
    for (const m of BLOCK_MATRICES) assert.equal(maxDiff(params[blockParam(l, m)], src[blockParam(l % 2, m)]), 0);
  for (const k of ["tok", "pos", "out"]) assert.equal(maxDiff(params[k], src[k]), 0);
  const d = maxDiff(transformerLogits(src, ids(), shape(2)), transformerLogits(params, ids(), s));
  assert.ok(d > 1e-3, `stacking without zeroed outputs should change the logits (diff ${d})`);
  // Fresh variables: training the grown model leaves the source untouched.
  params["l0.wq"].assign(tf.zerosLike(params["l0.wq"]));
  assert.ok((tf.max(tf.abs(src["l0.wq"])).arraySync() as number) > 0);
});

test("stackTransformer rejects bad input with the argument named", async () => {
  await backendReady();
  const src = transformerParams(new Rng(1), shape(1));
  assert.throws(() => stackTransformer(src, shape(1), 0), /factor/);
  assert.throws(() => stackTransformer(src, shape(2), 2), /params.*l1\.wq/);
  const { out: _drop, ...noHead } = src;
  assert.throws(() => stackTransformer(noHead, shape(1), 2), /params.*"out"/);
});

test("transformerStepFlops matches a hand count", () => {
  // d = 4, V = 5, L = 2, T = 3, B = 2: per token 2·12·16 + 4·5 = 404 MACs, attention 2·2·3·4 = 48.
  const f = transformerStepFlops({ vocab: 5, width: 4, context: 3, layers: 2, heads: 1 }, 2);
  assert.equal(f, 3 * 2 * 6 * (404 + 48));
});

test("orthogonalComplement: unit vectors orthogonal to the given ones and to each other", () => {
  const given = [
    [1, 2, 0, 0],
    [0, 0, 3, 1],
  ];
  const dirs = orthogonalComplement(given, 2, new Rng(5));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  for (const u of dirs) {
    assert.ok(Math.abs(dot(u, u) - 1) < 1e-12);
    for (const v of given) assert.ok(Math.abs(dot(u, v)) < 1e-12);
  }
  assert.ok(Math.abs(dot(dirs[0], dirs[1])) < 1e-12);
  assert.throws(() => orthogonalComplement(given, 3, new Rng(5)), /count/);
});

for (const [stages, depth, want] of [
  [[3, 3, 2], 8, [3, 3, 2]],
  [[3, 3, 2], 4, [2, 1, 1]],
  [[3, 3, 2], 6, [2, 2, 2]],
  [[3, 3, 2], 10, [4, 3, 3]],
  [[1, 1], 2, [1, 1]],
] as const) {
  test(`stageCounts(${stages}, ${depth}) = ${want}`, () => {
    assert.deepEqual(stageCounts([...stages], depth), [...want]);
  });
}

test("expansionSchedule repeats each stage index; stageCounts refuses too shallow a depth", () => {
  assert.deepEqual(expansionSchedule([3, 3, 2, 2, 2]), [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.throws(() => stageCounts([3, 3, 2], 2), /depth/);
  assert.throws(() => stageCounts([], 2), /stages/);
});
