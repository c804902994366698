// The differentiable MCR² terms (src/nn/mcr2.ts) against the float64 closed forms of
// src/cluster/coding-rate.ts, and the logdet gradient against central finite differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/core/random";
import { codingRate, compressedCodingRate, sinkhorn } from "../../src/cluster";
import { codingRateT, compressedRateT, logdetBatch, sinkhornT } from "../../src/nn/mcr2";

const rows = (n: number, d: number, s: number) => {
  const r = new Rng(s);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal() / Math.sqrt(d)));
};

test("tensor coding rates equal the float64 ones", async () => {
  await tf.setBackend("cpu");
  const Z = rows(12, 4, 1);
  const zt = tf.tensor2d(Z);
  assert.ok(Math.abs(codingRateT(zt, 0.5).dataSync()[0] - codingRate(Z, 0.5)) < 1e-4);
  const logits = rows(12, 12, 2).map((r, i) => r.map((_, j) => (Z[i][0] * Z[j][0] + Z[i][1] * Z[j][1]) * 5));
  const G = sinkhorn(logits, { iters: 30 });
  const gt = sinkhornT(tf.tensor2d(logits), 30);
  const g = gt.arraySync();
  for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) assert.ok(Math.abs(g[i][j] - G[i][j]) < 1e-5);
  assert.ok(Math.abs(compressedRateT(zt, gt, 0.5).dataSync()[0] - compressedCodingRate(Z, G, 0.5)) < 1e-4);
});

test("logdetBatch's gradient matches central differences", async () => {
  await tf.setBackend("cpu");
  const r = new Rng(4);
  const d = 3;
  const B = Array.from({ length: d * d }, () => r.normal());
  // A = BᵀB + I is SPD; perturb the symmetric matrix through its upper-triangle parameters.
  const A: number[] = [];
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = i === j ? 1 : 0;
      for (let t = 0; t < d; t++) s += B[t * d + i] * B[t * d + j];
      A.push(s);
    }
  const w = [1.5, -0.5];
  const f = (x: tf.Tensor) => tf.sum(tf.mul(logdetBatch(x as tf.Tensor3D), tf.tensor1d(w)));
  const X = tf.tensor3d([...A, ...A.map((v, i) => v * 2 + (i % (d + 1) === 0 ? 1 : 0))], [2, d, d]);
  const g = tf.grad(f)(X).dataSync();
  const x0 = X.dataSync();
  const h = 1e-2;
  for (const idx of [0, 1, 4, 9, 13]) {
    const p = Float32Array.from(x0);
    const m = Float32Array.from(x0);
    p[idx] += h;
    m[idx] -= h;
    const fd = (f(tf.tensor3d(p, [2, d, d])).dataSync()[0] - f(tf.tensor3d(m, [2, d, d])).dataSync()[0]) / (2 * h);
    assert.ok(Math.abs(fd - g[idx]) < 2e-3, `entry ${idx}: ${fd} vs ${g[idx]}`);
  }
});
