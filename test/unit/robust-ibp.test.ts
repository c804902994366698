import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng, seed } from "../../src/core/random";
import { makeDataset } from "../../src/data/dataset";
import {
  boxDense,
  boxRelu,
  certifiedAccuracy,
  ibpCrossEntropy,
  ibpWarmupRegularizers,
  IbpMlp,
  inputBox,
} from "../../src/nn/ibp";
import { deepLinearTightness, ibpTightness } from "../../src/metrics/tightness";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);
const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

test("boxDense and boxRelu on a hand-computed case", async () => {
  await backendReady();
  const box = { center: tf.tensor2d([[1, -1]]), radius: tf.tensor2d([[0.5, 0.25]]) };
  const w = tf.tensor2d([
    [2, -1],
    [1, 3],
  ]);
  const out = boxDense(box, w, tf.tensor1d([0, 1]));
  // center = [1·2 − 1·1, 1·(−1) − 1·3 + 1] = [1, −3]; radius = [0.5·2 + 0.25·1, 0.5·1 + 0.25·3] = [1.25, 1.25]
  assert.deepEqual(Array.from(out.center.dataSync()), [1, -3]);
  assert.deepEqual(Array.from(out.radius.dataSync()), [1.25, 1.25]);
  const r = boxRelu(out); // [−0.25, 2.25] → [0, 2.25]; [−4.25, −1.75] → [0, 0]
  assert.deepEqual(Array.from(r.center.dataSync()), [1.125, 0]);
  assert.deepEqual(Array.from(r.radius.dataSync()), [1.125, 0]);
  const clipped = inputBox(tf.tensor2d([[0.05, 0.5]]), 0.1);
  assert.deepEqual(
    Array.from(clipped.center.dataSync()).map((v) => +v.toFixed(6)),
    [0.075, 0.5],
  );
  assert.throws(() => inputBox(tf.tensor2d([[0]]), -1), named("eps"));
});

for (const batchNorm of [false, true]) {
  test(`IBP bounds contain the outputs of sampled perturbations (batchNorm ${batchNorm})`, async () => {
    await backendReady();
    seed(3);
    const model = new IbpMlp({ sizes: [12, 16, 16, 4], batchNorm, init: "he" });
    const rng = new Rng(5);
    if (batchNorm)
      for (const p of model.bn) {
        // Non-trivial eval-mode statistics and a negative gamma entry (the radius takes |scale|).
        p.mean.assign(tf.tensor1d(Array.from({ length: 16 }, () => rng.normal() * 0.3)));
        p.variance.assign(tf.tensor1d(Array.from({ length: 16 }, () => 0.5 + rng.next())));
        p.gamma.assign(tf.tensor1d(Array.from({ length: 16 }, (_, i) => (i === 0 ? -1.5 : 0.5 + rng.next()))));
      }
    const eps = 0.1;
    const x0 = Array.from({ length: 12 }, () => 0.2 + 0.6 * rng.next());
    const y = tf.tensor1d([2], "int32");
    const p = model.pass(tf.tensor2d([x0]), eps, false);
    const wL = model.weights[2];
    const lo = tf.sub(tf.add(tf.matMul(p.last.center, wL), model.biases[2]), tf.matMul(p.last.radius, tf.abs(wL)));
    const hi = tf.add(tf.add(tf.matMul(p.last.center, wL), model.biases[2]), tf.matMul(p.last.radius, tf.abs(wL)));
    const [loA, hiA] = [lo.dataSync(), hi.dataSync()];
    const mLo = model.margins(p, y).dataSync();
    const n = 300;
    const xs: number[][] = [];
    for (let s = 0; s < n; s++)
      // Half corners of the box (where the extremes of a piecewise-linear map often sit), half uniform.
      xs.push(x0.map((v) => v + (s % 2 ? (rng.next() < 0.5 ? -eps : eps) : (2 * rng.next() - 1) * eps)));
    const z = model.forward(tf.tensor2d(xs)).arraySync();
    let widest = 0;
    for (const row of z) {
      row.forEach((v, k) => {
        assert.ok(v >= loA[k] - 1e-5 && v <= hiA[k] + 1e-5, `logit ${k}: ${v} outside [${loA[k]}, ${hiA[k]}]`);
        widest = Math.max(widest, hiA[k] - loA[k]);
      });
      for (let j = 0; j < 4; j++) assert.ok(row[2] - row[j] >= mLo[j] - 1e-5, `margin ${j} below its bound`);
    }
    close(mLo[2], 0, 0, "margin at the label");
    assert.ok(widest > 0, "the box has positive width");
    model.dispose();
  });
}

test("certified accuracy equals clean accuracy at eps = 0 and cannot exceed it", async () => {
  await backendReady();
  seed(1);
  const rng = new Rng(2);
  const n = 64;
  const x = Float32Array.from({ length: n * 10 }, () => rng.next());
  const y = Int32Array.from({ length: n }, () => rng.int(3));
  const ds = makeDataset("toy", x, y, [10], 3);
  const model = new IbpMlp({ sizes: [10, 8, 3], batchNorm: true, init: "ibp" });
  const a0 = certifiedAccuracy(model, ds, 0, 20);
  close(a0.certified, a0.clean, 1e-12);
  const a1 = certifiedAccuracy(model, ds, 0.2, 20);
  assert.ok(a1.certified <= a1.clean);
  assert.throws(() => certifiedAccuracy(model, ds, 0.1, 0), named("batchSize"));
  model.dispose();
});

test("IBP cross-entropy at eps = 0 equals the clean cross-entropy", async () => {
  await backendReady();
  seed(4);
  const model = new IbpMlp({ sizes: [6, 5, 3] });
  const x = tf.tensor2d([
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    [0.9, 0.1, 0.4, 0.2, 0.3, 0.5],
  ]);
  const y = tf.tensor1d([0, 2], "int32");
  const p = model.pass(x, 0);
  const ibp = ibpCrossEntropy(model.margins(p, y), y).dataSync()[0];
  const clean = tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), p.logits).dataSync()[0];
  close(ibp, clean, 1e-5);
  model.dispose();
});

test("radius growth per ReLU layer at init: IBP init ≈ 1, He init ≈ √(n/π) (Shi et al.)", async () => {
  await backendReady();
  const n = 256;
  for (const [init, expect, tol] of [
    ["ibp", 1, 0.15],
    ["he", Math.sqrt(n / Math.PI), 0.15],
  ] as const) {
    seed(11);
    const model = new IbpMlp({ sizes: [64, n, n, n, 10], init });
    const rng = new Rng(12);
    const x = tf.tensor2d(Array.from({ length: 32 }, () => Array.from({ length: 64 }, () => rng.next())));
    const p = model.pass(x, 0.01, false, null);
    const r = p.pre.map((b) => tf.mean(b.radius).dataSync()[0]);
    const growth = [r[1] / r[0], r[2] / r[1]];
    for (const g of growth) assert.ok(Math.abs(g / expect - 1) < tol, `${init}: growth ${g} vs ${expect}`);
    model.dispose();
  }
});

test("warm-up regularisers on a hand-computed box", async () => {
  await backendReady();
  const input = { center: tf.tensor2d([[0.5, 0.5]]), radius: tf.tensor2d([[0.1, 0.1]]) };
  // centers [2, −1, −3, 0.5], radius 0.5: active {2}, inactive {−1, −3}, crossing {0.5}.
  const pre = [{ center: tf.tensor2d([[2, -1, -3, 0.5]]), radius: tf.tensor2d([[0.5, 0.5, 0.5, 0.5]]) }];
  const { tightness, relu } = ibpWarmupRegularizers(input, pre, 0.5);
  // r̄0/r̄1 = 0.1/0.5 = 0.2 → relu(0.5 − 0.2)/0.5 = 0.6
  close(tightness.dataSync()[0], 0.6, 1e-6);
  // mean ratio: (2/4) / (4/4) = 0.5 → 0; variance ratio with mean −0.375: 2.375² / (0.625² + 2.625²)
  const q = 2.375 ** 2 / (0.625 ** 2 + 2.625 ** 2);
  close(relu.dataSync()[0], Math.max(0, 0.5 - q) / 0.5, 1e-5);
  assert.throws(() => ibpWarmupRegularizers(input, [], 0.5), named("pre"));
});

test("tightness of a deep linear net matches the closed form (π/2n)^{L/2} (Mao et al.)", async () => {
  await backendReady();
  for (const [n, L] of [
    [64, 2],
    [128, 1],
    [256, 3],
  ]) {
    const rng = new Rng(100 + n + L);
    const sizes = [400, ...Array(L).fill(n), 10];
    const ws = sizes.slice(1).map((fo, l) => tf.tensor2d(rng.normalArray(sizes[l] * fo, 0.05), [sizes[l], fo]));
    const t = ibpTightness(ws);
    const theory = deepLinearTightness(n, L);
    const ratio = t / theory;
    assert.ok(ratio > 0.85 && ratio < 1.15, `n ${n}, L ${L}: measured ${t}, theory ${theory}`);
    ws.forEach((w) => w.dispose());
  }
  close(deepLinearTightness(64, 2), Math.PI / 128, 1e-15);
});

test("tightness with ReLU masks equals a float64 brute force; one layer is exactly tight", async () => {
  await backendReady();
  const rng = new Rng(7);
  const sizes = [5, 4, 3, 2];
  const W = sizes
    .slice(1)
    .map((fo, l) => Array.from({ length: sizes[l] }, () => Array.from({ length: fo }, () => rng.normal())));
  const masks = [
    [
      [1, 0, 1, 1],
      [0, 1, 1, 0],
    ],
    [
      [1, 1, 0],
      [0, 1, 1],
    ],
  ];
  // Brute force per point: J = W1·D1·W2·D2·W3 ([in, out]); IBP = |W1|·D1·|W2|·D2·|W3|.
  const mm = (a: number[][], b: number[][]) =>
    a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
  const diag = (a: number[][], m: number[]) => a.map((r) => r.map((v, j) => v * m[j]));
  const abs = (a: number[][]) => a.map((r) => r.map(Math.abs));
  let sum = 0;
  for (let b = 0; b < 2; b++) {
    const J = mm(diag(mm(diag(W[0], masks[0][b]), W[1]), masks[1][b]), W[2]);
    const I = mm(diag(mm(diag(abs(W[0]), masks[0][b]), abs(W[1])), masks[1][b]), abs(W[2]));
    for (let k = 0; k < 2; k++) {
      const num = J.reduce((s, r) => s + Math.abs(r[k]), 0);
      const den = I.reduce((s, r) => s + r[k], 0);
      sum += num / den;
    }
  }
  const got = ibpTightness(
    W.map((w) => tf.tensor2d(w)),
    masks.map((m) => tf.tensor2d(m)),
  );
  close(got, sum / 4, 1e-5);
  close(ibpTightness([tf.tensor2d(W[0])]), 1, 1e-6);
  assert.throws(
    () =>
      ibpTightness(
        W.map((w) => tf.tensor2d(w)),
        [tf.tensor2d(masks[0])],
      ),
    named("masks"),
  );
  const dead = [tf.zeros([2, 4]) as tf.Tensor2D, tf.tensor2d(masks[1])];
  assert.ok(
    Number.isNaN(
      ibpTightness(
        W.map((w) => tf.tensor2d(w)),
        dead,
      ),
    ),
    "every path off: NaN",
  );
});
