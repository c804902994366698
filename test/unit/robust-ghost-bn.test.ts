import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng, seed } from "../../src/core/random";
import { BnMlp, ghostBatchNorm } from "../../src/nn/ghost-bn";
import { logSteps } from "../../src/papers/ghost-bn/run";
import { fitR2 } from "../../src/papers/ghost-bn";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);
const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

/** Plain float64 BN of rows [r0, r1) of x (biased variance), per column. */
function bnRows(x: number[][], r0: number, r1: number, gamma: number[], beta: number[]): number[][] {
  const C = x[0].length;
  const out: number[][] = [];
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let r = r0; r < r1; r++) m += x[r][c] / (r1 - r0);
    let v = 0;
    for (let r = r0; r < r1; r++) v += (x[r][c] - m) ** 2 / (r1 - r0);
    for (let r = r0; r < r1; r++) {
      out[r - r0] ??= [];
      out[r - r0][c] = ((x[r][c] - m) / Math.sqrt(v + 1e-5)) * gamma[c] + beta[c];
    }
  }
  return out;
}

test("ghost BN normalises each chunk with its own statistics (float64 reference)", async () => {
  await backendReady();
  const rng = new Rng(1);
  const x = Array.from({ length: 12 }, (_, r) => Array.from({ length: 3 }, () => rng.normal() * (1 + r) + r));
  const gamma = [1.5, 0.5, -1];
  const beta = [0.1, -0.2, 0.3];
  for (const g of [4, 6, 12, 100]) {
    const { y, mean } = ghostBatchNorm(tf.tensor2d(x), tf.tensor1d(gamma), tf.tensor1d(beta), g);
    const got = y.arraySync();
    const gg = Math.min(g, 12);
    for (let s = 0; s < 12; s += gg) {
      const ref = bnRows(x, s, s + gg, gamma, beta);
      ref.forEach((row, i) => row.forEach((v, c) => close(got[s + i][c], v, 1e-4, `g ${g} row ${s + i} col ${c}`)));
    }
    // The chunk-averaged mean of equal chunks is the batch mean.
    const m0 = x.reduce((a, r) => a + r[0], 0) / 12;
    close(mean.arraySync()[0], m0, 1e-4);
  }
  assert.throws(() => ghostBatchNorm(tf.tensor2d(x), tf.tensor1d(gamma), tf.tensor1d(beta), 5), named("ghostSize"));
});

test("BnMlp: eval mode uses running statistics; training updates them by the momentum rule", async () => {
  await backendReady();
  seed(2);
  const net = new BnMlp({ sizes: [4, 3, 2], ghostSize: 2, momentum: 0.5 });
  const x = tf.tensor2d([
    [1, 2, 3, 4],
    [0, 1, 0, 1],
    [2, 0, 1, 1],
    [1, 1, 1, 0],
  ]);
  const z = tf.add(tf.matMul(x, net.weights[0]), net.biases[0]).arraySync() as number[][];
  net.forward(x, true);
  // Chunks {0,1} and {2,3}: running mean = 0.5·0 + 0.5·mean of the chunk means = 0.5·batch mean.
  const rm = net.runMean[0].arraySync() as number[];
  for (let c = 0; c < 3; c++) close(rm[c], (0.5 * (z[0][c] + z[1][c] + z[2][c] + z[3][c])) / 4, 1e-5);
  const rv = net.runVar[0].arraySync() as number[];
  for (let c = 0; c < 3; c++) {
    const v1 = ((z[0][c] - z[1][c]) / 2) ** 2;
    const v2 = ((z[2][c] - z[3][c]) / 2) ** 2;
    close(rv[c], 0.5 + 0.25 * (v1 + v2), 1e-5);
  }
  // Eval is a per-row function: a row's logits do not depend on the other rows.
  const a = net.forward(x, false).arraySync()[0];
  const b = net.forward(tf.slice(x, [0, 0], [1, 4]) as tf.Tensor2D, false).arraySync()[0];
  a.forEach((v, k) => close(v, b[k], 1e-6));
  assert.throws(() => new BnMlp({ sizes: [4, 2], momentum: 2 }), named("config.momentum"));
  net.dispose();
});

test("R² of the log and √ fits: exact on their own curves", () => {
  const steps = logSteps(1000, 30);
  assert.equal(steps[0], 1);
  assert.equal(steps[steps.length - 1], 1000);
  const logCurve = steps.map((t) => ({ step: t, distance: 2 * Math.log(t) + 1 }));
  const sqrtCurve = steps.map((t) => ({ step: t, distance: 0.3 * Math.sqrt(t) }));
  close(fitR2(logCurve, 10, Math.log), 1, 1e-12);
  close(fitR2(sqrtCurve, 10, Math.sqrt), 1, 1e-12);
  assert.ok(fitR2(sqrtCurve, 10, Math.log) < 0.97, "a √ curve is not fitted well by log over 2 decades");
});
