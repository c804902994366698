import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { ElrTargets, elrLoss } from "../../src/train/elr";
import { symmetricNoise } from "../../src/papers/elr/run";
import { makeDataset } from "../../src/data/dataset";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);
const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

/** The ELR objective in float64 JS: mean CE + λ·mean log(1 − Σ t·clamp(softmax)). */
function elrRef(z: number[][], y: number[], t: number[][], lambda: number): number {
  let ce = 0;
  let reg = 0;
  z.forEach((row, i) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    ce -= Math.log(p[y[i]]);
    const pc = p.map((v) => Math.min(1 - 1e-4, Math.max(1e-4, v)));
    reg += Math.log(1 - pc.reduce((a, v, k) => a + v * t[i][k], 0));
  });
  return ce / z.length + (lambda * reg) / z.length;
}

test("ELR loss value and gradient match a float64 reference and central finite differences", async () => {
  await backendReady();
  const rng = new Rng(3);
  const n = 4;
  const K = 5;
  const z = Array.from({ length: n }, () => Array.from({ length: K }, () => rng.normal()));
  const y = [0, 3, 2, 4];
  const t = Array.from({ length: n }, () => {
    const r = Array.from({ length: K }, () => rng.next());
    const s = r.reduce((a, b) => a + b, 0);
    return r.map((v) => v / s);
  });
  for (const lambda of [0, 3]) {
    const f = (zz: tf.Tensor2D) => elrLoss(zz, tf.tensor1d(y, "int32"), tf.tensor2d(t), lambda);
    close(f(tf.tensor2d(z)).dataSync()[0], elrRef(z, y, t, lambda), 1e-5, `value, λ ${lambda}`);
    const g = tf
      .grad((zz: tf.Tensor) => f(zz as tf.Tensor2D))(tf.tensor2d(z))
      .arraySync() as number[][];
    const h = 1e-5;
    for (let i = 0; i < n; i++)
      for (let k = 0; k < K; k++) {
        const zp = z.map((r) => [...r]);
        const zm = z.map((r) => [...r]);
        zp[i][k] += h;
        zm[i][k] -= h;
        const fd = (elrRef(zp, y, t, lambda) - elrRef(zm, y, t, lambda)) / (2 * h);
        close(g[i][k], fd, 2e-4, `∂/∂z[${i}][${k}], λ ${lambda}`);
      }
  }
  assert.throws(() => elrLoss(tf.tensor2d(z), tf.tensor1d(y, "int32"), tf.zeros([2, K]), 3), named("targets"));
  assert.throws(() => elrLoss(tf.tensor2d(z), tf.tensor1d(y, "int32"), tf.tensor2d(t), -1), named("lambda"));
});

test("ELR targets: the temporal ensemble by example id, clamped and renormalised", async () => {
  await backendReady();
  const T = new ElrTargets(3, 2, 0.7);
  const logits = tf.tensor2d([
    [0, 0],
    [20, 0],
  ]);
  const rows = T.update([2, 0], logits).arraySync();
  // id 2: p̂ = [0.5, 0.5] → 0.3·p̂; id 0: softmax ≈ [1, 2e-9] clamped to [1 − 1e-4, 1e-4] (sum 1).
  close(rows[0][0], 0.15, 1e-6);
  close(rows[1][0], 0.3 * (1 - 1e-4), 1e-6);
  close(rows[1][1], 0.3 * 1e-4, 1e-8);
  const again = T.update([2], tf.tensor2d([[0, 0]])).arraySync();
  close(again[0][0], 0.7 * 0.15 + 0.3 * 0.5, 1e-6);
  close(T.values[2], 0, 0, "id 1 untouched");
  assert.throws(() => T.update([5], tf.tensor2d([[0, 0]])), named("idx"));
});

test("symmetric noise flips exactly the fraction, each to a different class", () => {
  const n = 200;
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const ds = makeDataset("toy", new Float32Array(n), y, [1], 10);
  const { data, noisy } = symmetricNoise(ds, 0.6, 1);
  assert.equal(noisy.filter(Boolean).length, 120);
  noisy.forEach((f, i) => assert.equal(f, data.y[i] !== y[i]));
});
