// MiSS (tiled) and Bone (block-affine): ΔW against hand-built cases written in the torch
// layout of the reference, the chunk-sum forward with a remainder, merge/unmerge round trips,
// parameter counts and the benchmark's budget choices.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BoneAdapter, boneMidRank, createAdapter, MissAdapter } from "../../src/adapters";
import { missMidRank } from "../../src/adapters/miss/bench";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";

const maxAbs = (a: number[][], b: number[][]) =>
  Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));
const tr = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
const randMat = (rows: number, cols: number, seedValue: number) => {
  const rng = new Rng(seedValue);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
};
const SCALE = { midRank: 4, xsMidRank: 56, xsTinyRank: 16, hidden: [256, 256], sweepRanks: [], sweepAlpha: 8 };

test("miss: ΔW tiles D down the input axis (hand case, in = 5 not a multiple of r = 2)", async () => {
  await backendReady();
  const ad = new MissAdapter(tf.zeros([5, 2]) as tf.Tensor2D, { r: 2 });
  ad.D.assign(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
  );
  const expected = [
    [1, 2],
    [3, 4],
    [1, 2],
    [3, 4],
    [1, 2],
  ];
  assert.deepEqual(ad.deltaW().arraySync(), expected);
  // Reference forward: zero-pad x to a multiple of r, sum the length-r chunks, multiply by D.
  const x = [0.5, -1, 2, 3, -0.25];
  const chunk = [x[0] + x[2] + x[4], x[1] + x[3]];
  const want = [chunk[0] * 1 + chunk[1] * 3, chunk[0] * 2 + chunk[1] * 4];
  const got = ad.forward(tf.tensor2d([x])).arraySync()[0];
  got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-5, `output ${j}: ${v} vs ${want[j]}`));
  ad.dispose();
});

test("bone: ΔW_ij = W_ij D_i + D_i in torch layout (hand case r = 1, and a random 6×4 case with r = 2)", async () => {
  await backendReady();
  // r = 1: kernel K = [[1, 2], [3, 4]] is W_t = [[1, 3], [2, 4]]; D = (10, 100) per output row:
  // ΔW_t = [[(1+1)·10, (3+1)·10], [(2+1)·100, (4+1)·100]], ΔK = ΔW_tᵀ.
  const small = new BoneAdapter(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    { r: 1 },
  );
  small.blocks.assign(tf.tensor3d([[[10]], [[100]]]));
  assert.deepEqual(small.deltaW().arraySync(), [
    [20, 300],
    [40, 500],
  ]);
  small.dispose();
  // Random K [in 6, out 4], r = 2: build ΔW_t block by block from the torch formula.
  const r = 2;
  const K = randMat(6, 4, 11);
  const Dt = [randMat(r, r, 12), randMat(r, r, 13)]; // torch D_i per output block i
  const Wt = tr(K);
  const dWt = Wt.map((row) => row.map(() => 0));
  for (let i = 0; i < 4 / r; i++)
    for (let j = 0; j < 6 / r; j++)
      for (let a = 0; a < r; a++)
        for (let b = 0; b < r; b++) {
          let s = Dt[i][a][b];
          for (let c = 0; c < r; c++) s += Wt[i * r + a][j * r + c] * Dt[i][c][b];
          dWt[i * r + a][j * r + b] = s;
        }
  const ad = new BoneAdapter(tf.tensor2d(K), { r });
  ad.blocks.assign(tf.tensor3d(Dt.map(tr))); // E_i = D_iᵀ
  assert.ok(maxAbs(ad.deltaW().arraySync(), tr(dWt)) < 1e-5);
  // ΔW depends on W0 (block-affine, not a function of D alone): same D on 2·W0 gives another ΔW.
  const twice = new BoneAdapter(tf.tensor2d(K.map((row) => row.map((v) => 2 * v))), { r });
  twice.blocks.assign(ad.blocks);
  assert.ok(maxAbs(twice.deltaW().arraySync(), ad.deltaW().arraySync()) > 1e-2);
  // merge / unmerge round trip, and ΔW stays measured against the original W0 while merged.
  const y = ad.forward(tf.tensor2d(randMat(3, 6, 14))).arraySync();
  ad.merge();
  assert.ok(
    maxAbs(
      ad.base.arraySync() as number[][],
      K.map((row, p) => row.map((v, q) => v + dWt[q][p])),
    ) < 1e-5,
  );
  assert.ok(maxAbs(ad.forward(tf.tensor2d(randMat(3, 6, 14))).arraySync(), y) < 1e-4);
  assert.ok(maxAbs(ad.deltaW().arraySync(), tr(dWt)) < 1e-5);
  ad.unmerge();
  assert.ok(maxAbs(ad.base.arraySync() as number[][], K) < 1e-6);
  ad.dispose();
  twice.dispose();
});

test("miss merge/unmerge round trip restores W0; forward unchanged by merging", async () => {
  await backendReady();
  const K = randMat(7, 3, 21);
  const ad = new MissAdapter(tf.tensor2d(K), { r: 3 });
  ad.D.assign(tf.tensor2d(randMat(3, 3, 22)));
  const x = tf.tensor2d(randMat(4, 7, 23));
  const y = ad.forward(x).arraySync();
  ad.merge();
  assert.ok(maxAbs(ad.forward(x).arraySync(), y) < 1e-4);
  ad.unmerge();
  assert.ok(maxAbs(ad.base.arraySync() as number[][], K) < 1e-6);
  ad.dispose();
});

test("parameter counts and the benchmark's budget choices (784→256→256)", async () => {
  await backendReady();
  const cases: Array<[string, number, [number, number], number]> = [
    ["miss", 12, [784, 256], 12 * 256],
    ["miss", 12, [256, 256], 12 * 256],
    ["miss", 1, [784, 256], 256],
    ["bone", 8, [784, 256], 8 * 256],
    ["bone", 8, [256, 256], 8 * 256],
  ];
  for (const [m, r, shape, want] of cases) {
    const ad = createAdapter(m, tf.zeros(shape) as tf.Tensor2D, { r });
    assert.equal(ad.parameterCount(), want, `${m} r=${r} on [${shape}]`);
    ad.dispose();
  }
  assert.equal(missMidRank(SCALE), 12, "MiSS r·512 closest to 6,208");
  assert.equal(boneMidRank(SCALE), 8, "largest common divisor of 784, 256 with r·512 ≤ 6,208");
  assert.throws(
    () => createAdapter("bone", tf.zeros([784, 256]) as tf.Tensor2D, { r: 12 }),
    (e: Error) => e.name === "InitlabInputError" && /config\.r: is 12; .*divide in = 784/.test(e.message),
  );
});
