import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP, adapterNames, createAdapter, LoraAdapter, loraScale, registerAdapter } from "../../src/adapters";
import { MLP } from "../../src/nn/mlp";
import { backendReady } from "../../src/nn/backend";
import { seed } from "../../src/core/random";

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const mm = (a: number[][], b: number[][]) =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));

test("scale: α/r for LoRA, α/√r for rsLoRA", async () => {
  await backendReady();
  assert.equal(loraScale(8, 16), 2);
  assert.equal(loraScale(64, 8, true), 1);
  assert.equal(loraScale(4, 8, true), 4);
  const base = tf.randomNormal([6, 5], 0, 1, "float32", 1) as tf.Tensor2D;
  const a = new LoraAdapter(base, { r: 4, alpha: 8, rslora: true, seed: 1 });
  assert.equal(a.scale, 4);
  assert.equal(new LoraAdapter(base, { r: 4, alpha: 8, seed: 1 }).scale, 2);
  assert.equal(new LoraAdapter(base, { r: 4, seed: 1 }).scale, 1, "alpha defaults to r");
});

test("init: A ~ U(±1/√in) seeded, B = 0, merge is the base at init", async () => {
  await backendReady();
  const base = tf.randomNormal([50, 7], 0, 1, "float32", 2) as tf.Tensor2D;
  const a = new LoraAdapter(base, { r: 3, alpha: 6, seed: 5 });
  const A = a.A.dataSync();
  const bound = 1 / Math.sqrt(50);
  assert.ok(A.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...A) > 0.8 * bound && Math.min(...A) < -0.8 * bound, "spans the interval");
  assert.ok(a.B.dataSync().every((v) => v === 0));
  assert.deepEqual(
    Array.from(new LoraAdapter(base, { r: 3, seed: 5 }).A.dataSync()),
    Array.from(A),
    "same seed, same A",
  );
  assert.notDeepEqual(Array.from(new LoraAdapter(base, { r: 3, seed: 6 }).A.dataSync()), Array.from(A));
  const w = a.effectiveWeight();
  assert.equal(maxAbsDiff(w, base), 0);
  a.merge();
  assert.equal(maxAbsDiff(a.base, base), 0);
});

test("deltaW = s·A B (checked in float64), forward = x(W0 + ΔW), merge/unmerge round trip", async () => {
  await backendReady();
  const base = tf.randomNormal([6, 5], 0, 1, "float32", 3) as tf.Tensor2D;
  const a = new LoraAdapter(base, { r: 2, alpha: 3, seed: 9 });
  a.B.assign(tf.randomNormal([2, 5], 0, 1, "float32", 4) as tf.Tensor2D);
  const ref = mm(a.A.arraySync(), a.B.arraySync()).map((r) => r.map((v) => v * 1.5));
  const d = a.deltaW().arraySync();
  d.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - ref[i][j]) < 1e-5)));
  const x = tf.randomNormal([4, 6], 0, 1, "float32", 5) as tf.Tensor2D;
  const y = a.forward(x);
  const yRef = tf.matMul(x, tf.add(base, tf.tensor2d(ref)) as tf.Tensor2D);
  assert.ok(maxAbsDiff(y, yRef) < 1e-5);
  a.merge();
  a.merge(); // idempotent
  assert.ok(a.merged);
  assert.ok(maxAbsDiff(a.base, tf.add(base, tf.tensor2d(ref))) < 1e-5);
  assert.ok(maxAbsDiff(a.forward(x), yRef) < 1e-5, "merged forward unchanged");
  a.unmerge();
  a.unmerge();
  assert.ok(maxAbsDiff(a.base, base) < 1e-6);
  assert.deepEqual(a.trainableVariables(), [a.A, a.B]);
  assert.equal(a.parameterCount(), 2 * 6 + 2 * 5);
});

test("registry: 'lora' registered, unknown names and duplicates rejected", async () => {
  await backendReady();
  assert.ok(adapterNames().includes("lora"));
  const base = tf.zeros([4, 4]) as tf.Tensor2D;
  assert.ok(createAdapter("lora", base, { r: 1, seed: 0 }) instanceof LoraAdapter);
  assert.throws(() => createAdapter("nope", base, {}), /unknown adapter "nope"/);
  assert.throws(() => registerAdapter("lora", () => createAdapter("lora", base, { r: 1 })), /already registered/);
});

test("bad config is rejected with named errors", async () => {
  await backendReady();
  const base = tf.zeros([4, 3]) as tf.Tensor2D;
  assert.throws(() => new LoraAdapter(base, { r: 0 }), /config\.r/);
  assert.throws(() => new LoraAdapter(base, { r: 4 }), /config\.r: is 4; it cannot exceed/);
  assert.throws(() => new LoraAdapter(base, { r: 1, rank: 2 } as never), /unknown option "rank"/);
  assert.throws(() => new LoraAdapter(base, { r: 1, alpha: NaN }), /config\.alpha/);
  assert.throws(() => new LoraAdapter(tf.zeros([3]) as never, { r: 1 }), /base/);
});

test("AdaptedMLP: forward = MLP with W0 + s·A B on adapted layers; only adapters (and head) train", async () => {
  await backendReady();
  seed(0);
  const mlp = new MLP({ sizes: [5, 4, 3], activation: "tanh" });
  try {
    const w0 = mlp.weightArrays();
    const net = new AdaptedMLP(mlp, { config: { r: 2, alpha: 4, seed: 1 }, trainHead: true });
    const x = tf.randomNormal([3, 5], 0, 1, "float32", 7) as tf.Tensor2D;
    assert.ok(maxAbsDiff(net.forward(x), mlp.forward(x)) < 1e-6, "identical at init");
    const ad = net.adapters[0] as LoraAdapter;
    assert.equal(net.adapters[1], null);
    assert.deepEqual(net.variables(), [ad.A, ad.B, mlp.weights[1], mlp.biases[1]]);
    // One optimizer step moves B away from 0 and leaves the frozen base untouched.
    const opt = tf.train.adam(0.1);
    opt.minimize(() => tf.mean(tf.square(net.forward(x))) as tf.Scalar, false, net.variables());
    assert.ok(ad.B.dataSync().some((v) => v !== 0));
    assert.deepEqual(mlp.weights[0].arraySync(), w0[0]);
    const eff = net.effectiveWeightArrays()[0];
    const ref = mm(ad.A.arraySync(), ad.B.arraySync()).map((r, i) => r.map((v, j) => w0[0][i][j] + 2 * v));
    eff.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - ref[i][j]) < 1e-5)));
    const y = net.forward(x);
    net.merge();
    assert.ok(maxAbsDiff(mlp.forward(x), y) < 1e-5, "merged MLP computes the adapted function");
    net.unmerge();
    assert.ok(maxAbsDiff(mlp.weights[0], tf.tensor2d(w0[0])) < 1e-6);
    net.dispose();
  } finally {
    mlp.dispose();
  }
});
