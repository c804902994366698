// Drop-and-grow on hand-made layers, the cosine drop schedule, pruning-at-init scores
// against closed forms (a quadratic loss: g = Aθ + b, Hg = A g), and structured pruning
// (unit scores, an MLP sliced to its kept units equals the full MLP with those units zeroed).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import {
  blockScores,
  cosineDropFraction,
  dropAndGrow,
  graspScores,
  hessianGradProduct,
  lowestBlocks,
  MaskSet,
  sliceMlp,
  snipScores,
  topUnits,
  unitL1Scores,
} from "../../src/prune";

const layer = (bits: number[]) => new MaskSet([{ shape: [1, bits.length], data: Uint8Array.from(bits) }]);

test("dropAndGrow: drops the smallest active |w|, grows by largest |gradient|, keeps the count", () => {
  const w = [Float32Array.from([0.9, -0.1, 0, 0.5, 0, 0.2, 0, 0])];
  const g = [Float32Array.from([0, 0, 0.3, 0, -2, 0, 0.1, 1])];
  const m = layer([1, 1, 0, 1, 0, 1, 0, 0]);
  const r = dropAndGrow(w, m, { fraction: 0.5, growth: "gradient", grads: g, rng: new Rng(0) });
  assert.deepEqual([...r.dropped.layers[0].data], [0, 1, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual([...r.grown.layers[0].data], [0, 0, 0, 0, 1, 0, 0, 1]);
  assert.deepEqual([...r.mask.layers[0].data], [1, 0, 0, 1, 1, 0, 0, 1]);
  assert.deepEqual([...m.layers[0].data], [1, 1, 0, 1, 0, 1, 0, 0], "input mask untouched");
});

test("dropAndGrow: frozen entries are never dropped; growth only where allowed; unfired avoids used entries", () => {
  const w = [Float32Array.from([0.01, 0.02, 0.5, 0.6, 0, 0, 0, 0])];
  const m = layer([1, 1, 1, 1, 0, 0, 0, 0]);
  const droppable = layer([0, 0, 1, 1, 1, 1, 1, 1]);
  const growable = layer([1, 1, 1, 1, 1, 1, 0, 0]);
  const everActive = layer([1, 1, 1, 1, 1, 0, 0, 0]);
  for (let s = 0; s < 10; s++) {
    const r = dropAndGrow(w, m, { fraction: 0.5, growth: "unfired", rng: new Rng(s), droppable, growable, everActive });
    assert.deepEqual([...r.dropped.layers[0].data], [0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual([...r.grown.layers[0].data], [0, 0, 0, 0, 0, 1, 0, 0]);
  }
  // Random growth spreads over all allowed candidates across seeds.
  const hits = new Set<number>();
  for (let s = 0; s < 30; s++) {
    const r = dropAndGrow(w, m, { fraction: 0.5, growth: "random", rng: new Rng(s), droppable, growable });
    r.grown.layers[0].data.forEach((v, i) => v && hits.add(i));
  }
  assert.deepEqual([...hits].sort(), [4, 5]);
  assert.throws(
    () => dropAndGrow(w, m, { fraction: 0.5, growth: "gradient", rng: new Rng(0) }),
    /opts.grads: is required/,
  );
  assert.throws(() => dropAndGrow(w, m, { fraction: 2, growth: "random", rng: new Rng(0) }), /opts.fraction/);
  assert.throws(
    () => dropAndGrow(w, m, { fraction: 0.5, growth: "magic" as "random", rng: new Rng(0) }),
    /unknown rule/,
  );
});

test("cosineDropFraction follows initial/2·(1 + cos(πt/T))", () => {
  assert.equal(cosineDropFraction(0, 100, 0.5), 0.5);
  assert.ok(Math.abs(cosineDropFraction(50, 100, 0.5) - 0.25) < 1e-12);
  assert.ok(Math.abs(cosineDropFraction(25, 100, 0.4) - 0.2 * (1 + Math.SQRT1_2)) < 1e-12);
  assert.equal(cosineDropFraction(100, 100, 0.5), 0);
});

test("SNIP and GraSP scores match the closed forms on a quadratic loss", async () => {
  await backendReady();
  // L = ½ θᵀAθ + bᵀθ, A symmetric positive definite: g = Aθ + b, Hg = A g (exact for a quadratic).
  const A = [
    [2, 0.5, 0],
    [0.5, 1, 0.25],
    [0, 0.25, 3],
  ];
  const b = [0.1, -0.2, 0.3];
  const th = [0.4, -0.7, 0.2];
  const v = tf.variable(tf.tensor1d(th));
  const At = tf.tensor2d(A);
  const bt = tf.tensor1d(b);
  const loss = () =>
    tf.tidy(() => {
      const Av = tf.squeeze(tf.matMul(At, tf.reshape(v, [3, 1])));
      return tf.add(tf.mul(0.5, tf.sum(tf.mul(v, Av))), tf.sum(tf.mul(bt, v))) as tf.Scalar;
    });
  const g = A.map((row, i) => row.reduce((a, x, j) => a + x * th[j], 0) + b[i]);
  const hg = A.map((row) => row.reduce((a, x, j) => a + x * g[j], 0));
  const snip = snipScores(loss, [v])[0];
  th.forEach((t, i) => assert.ok(Math.abs(snip[i] - Math.abs(t * g[i])) < 1e-5));
  const fd = hessianGradProduct(loss, [v], { relativeStep: 1e-2 });
  hg.forEach((h, i) =>
    assert.ok(Math.abs(fd.hg[0][i] - h) < 2e-3 * Math.abs(h) + 1e-3, `Hg[${i}] ${fd.hg[0][i]} vs ${h}`),
  );
  const grasp = graspScores(loss, [v], { relativeStep: 1e-2 })[0];
  th.forEach((t, i) => assert.ok(Math.abs(grasp[i] + t * hg[i]) < 2e-3, `GraSP[${i}]`));
  assert.deepEqual([...v.dataSync()], [...Float32Array.from(th)], "variables restored exactly");
  v.dispose();
  At.dispose();
  bt.dispose();
});

test("unit L1 scores, top units, and an MLP sliced to its kept units equals the zeroed full MLP", () => {
  // Full net 3 → 4 → 2 (weights [in, out]).
  const w1 = Float32Array.from([1, -2, 0.5, 0, 0, 1, -0.5, 3, 2, 0, 0.1, -1]);
  const b1 = Float32Array.from([0.1, 0.2, -0.3, 0.4]);
  const w2 = Float32Array.from([1, 2, -1, 0.5, 0.3, -0.2, 2, 1]);
  const b2 = Float32Array.from([0.05, -0.05]);
  const s = unitL1Scores(w1, [3, 4]);
  [3, 3, 1.1, 4].forEach((v, j) => assert.ok(Math.abs(s[j] - v) < 1e-6, `unit ${j}: ${s[j]}`));
  const keep = topUnits(s, 2);
  assert.deepEqual(keep, [0, 3]); // ties 3 = 3 → the lower index (0) wins over 1
  const small = sliceMlp(
    [
      { w: w1, b: b1, shape: [3, 4] },
      { w: w2, b: b2, shape: [4, 2] },
    ],
    [keep],
  );
  assert.deepEqual(small[0].shape, [3, 2]);
  assert.deepEqual(small[1].shape, [2, 2]);
  const fwd = (x: number[], L: { w: Float32Array; b: Float32Array; shape: number[] }[], zero?: Set<number>) => {
    let h = x;
    L.forEach((layer, l) => {
      const [r, c] = layer.shape;
      const z = Array.from({ length: c }, (_, j) => layer.b[j] + h.reduce((a, v, i) => a + v * layer.w[i * c + j], 0));
      h = l < L.length - 1 ? z.map((v, j) => (zero?.has(j) ? 0 : Math.max(0, v))) : z;
      void r;
    });
    return h;
  };
  const x = [0.3, -1, 2];
  const full = [
    { w: w1, b: b1, shape: [3, 4] },
    { w: w2, b: b2, shape: [4, 2] },
  ];
  const want = fwd(x, full, new Set([1, 2]));
  const got = fwd(x, small);
  want.forEach((v, i) => assert.ok(Math.abs(v - got[i]) < 1e-6));
  assert.throws(() => topUnits(s, 5), /keep: must be an integer in \[1, 4\]/);
  assert.throws(() => sliceMlp(full as never, [[0, 0]]), /keep\[0\]: must list distinct/);
});

test("block scores sum their entries; lowestBlocks skips unremovable blocks", () => {
  const sc = blockScores([[Float32Array.from([1, 2]), [3]], [[-1], [0.5]], [[0.2, 0.2]], [[-5]]]);
  assert.deepEqual(sc, [6, -0.5, 0.4, -5]);
  assert.deepEqual(lowestBlocks(sc, 2), [1, 3]);
  assert.deepEqual(lowestBlocks(sc, 2, [true, true, true, false]), [1, 2]);
  assert.throws(() => lowestBlocks(sc, 4, [true, true, true, false]), /p: must be an integer in \[0, 3\]/);
});
