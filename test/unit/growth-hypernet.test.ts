// The LoGAH-style hypernetwork: its prediction against a plain-array re-computation of the
// decoder (MLP → 2r×r → ReLU → Linear(r→ck) → reshape 2ck×r → A·B), rank ≤ r, He scale,
// gradients against finite differences, and its input errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { svd } from "../../src/linalg";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { layerFeatures, LowRankHypernet } from "../../src/nn/hypernet";

const cfg = { rank: 2, maxDim: 5, hidden: 3 };
const layer = { fanIn: 4, fanOut: 3, index: 1, layers: 3 };

type M = number[][];
const mm = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
const addRow = (a: M, b: number[]): M => a.map((row) => row.map((x, j) => x + b[j]));
const relu = (a: M): M => a.map((row) => row.map((x) => Math.max(0, x)));
const reshape = (a: M, rows: number, cols: number): M => {
  const flat = a.flat();
  return Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
};

function byHand(h: LowRankHypernet): M {
  const v = (t: tf.Tensor) => t.arraySync() as M;
  const b = (t: tf.Tensor) => Array.from(t.dataSync());
  const { rank: r, maxDim: ck } = cfg;
  const e = relu(addRow(mm([layerFeatures(layer)], v(h.e1)), b(h.c1)));
  const E = reshape(addRow(mm(e, v(h.e2)), b(h.c2)), 2 * r, r);
  const Mx = reshape(addRow(mm(relu(E), v(h.dec)), b(h.decB)), 2 * ck, r);
  const A = Mx.slice(0, layer.fanOut);
  const Bt = Mx.slice(ck, ck + layer.fanIn);
  const W = Bt.map((bi) => A.map((aj) => bi.reduce((s, x, k) => s + x * aj[k], 0))); // [in, out]
  const rms = Math.sqrt(W.flat().reduce((s, x) => s + x * x, 0) / W.flat().length);
  return W.map((row) => row.map((x) => (x / rms) * Math.sqrt(2 / layer.fanIn)));
}

test("prediction matches a plain-array computation of the low-rank decoder", async () => {
  await backendReady();
  const h = new LowRankHypernet(cfg, new Rng(3));
  // Non-zero biases so every term is exercised.
  const r = new Rng(4);
  for (const bvar of [h.c1, h.c2, h.decB]) bvar.assign(tf.tensor1d(r.normalArray(bvar.size, 0.3)));
  const got = h.predict(layer).arraySync();
  const want = byHand(h);
  assert.equal(got.length, 4);
  assert.equal(got[0].length, 3);
  got.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - want[i][j]) < 1e-5, `${i},${j}`)));
});

test("predicted matrices have rank ≤ r and the He root-mean-square", async () => {
  await backendReady();
  const h = new LowRankHypernet({ rank: 3, maxDim: 40, hidden: 8 }, new Rng(1));
  const W = h.predict({ fanIn: 30, fanOut: 20, index: 0, layers: 2 }).arraySync();
  const s = svd(W, { vectors: false }).S;
  assert.ok(s[3] < 1e-4 * s[0], `σ₄/σ₁ = ${s[3] / s[0]}`);
  assert.ok(s[2] > 1e-3 * s[0]);
  const rms = Math.sqrt(W.flat().reduce((a, x) => a + x * x, 0) / 600);
  assert.ok(Math.abs(rms - Math.sqrt(2 / 30)) < 1e-5);
  assert.equal(
    h
      .predictMLP([30, 10, 5])
      .map((t) => t.shape.join("x"))
      .join(),
    "30x10,10x5",
  );
});

test("gradient with respect to the decoder matches central finite differences", async () => {
  await backendReady();
  const h = new LowRankHypernet(cfg, new Rng(5));
  const R = tf.tensor2d(new Rng(6).normalArray(12), [4, 3]);
  const f = () => tf.sum(tf.mul(h.predict(layer), R)) as tf.Scalar;
  const { grads } = tf.variableGrads(f, [h.dec]);
  const g = grads[h.dec.name].arraySync() as M;
  const base = h.dec.arraySync() as M;
  const eps = 1e-2;
  for (const [i, j] of [
    [0, 0],
    [1, 2],
    [0, 4],
  ]) {
    const at = (d: number) => {
      const m = base.map((row) => [...row]);
      m[i][j] += d;
      h.dec.assign(tf.tensor2d(m));
      return f().arraySync() as number;
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    h.dec.assign(tf.tensor2d(base));
    assert.ok(Math.abs(fd - g[i][j]) < 2e-2 * Math.max(1, Math.abs(fd)), `(${i},${j}): fd ${fd} vs ${g[i][j]}`);
  }
});

test("bad layer descriptions and oversize layers are refused with the argument named", async () => {
  await backendReady();
  const h = new LowRankHypernet(cfg, new Rng(0));
  assert.throws(() => h.predict({ fanIn: 6, fanOut: 2, index: 0, layers: 1 }), /layer.*up to 5×5/);
  assert.throws(() => layerFeatures({ fanIn: 0, fanOut: 2, index: 0, layers: 1 }), /layer\.fanIn/);
  assert.throws(() => layerFeatures({ fanIn: 2, fanOut: 2, index: 3, layers: 2 }), /layer\.index/);
  assert.throws(() => new LowRankHypernet({ rank: 0, maxDim: 5, hidden: 3 }, new Rng(0)), /config\.rank/);
});
