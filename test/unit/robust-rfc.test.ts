import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import {
  agreementWeights,
  bceWithLogits,
  correctnessGroups,
  groupDroLoss,
  irmv1Penalty,
  vrexPenalty,
} from "../../src/train/rfc";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);
const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

const bceRef = (z: number[], y: number[], s = 1) =>
  z.reduce((a, v, i) => a + Math.log(1 + Math.exp(s * v)) - y[i] * s * v, 0) / z.length;

test("BCE with logits matches float64 and stays finite at large logits", async () => {
  await backendReady();
  const z = [2, -1, 0.5, -3];
  const y = [1, 0, 0, 1];
  close(bceWithLogits(tf.tensor1d(z), tf.tensor1d(y)).dataSync()[0], bceRef(z, y), 1e-6);
  const w = [0.1, 0.2, 0.3, 0.4];
  const ref = z.reduce((a, v, i) => a + w[i] * (Math.log(1 + Math.exp(v)) - y[i] * v), 0);
  close(bceWithLogits(tf.tensor1d(z), tf.tensor1d(y), tf.tensor1d(w)).dataSync()[0], ref, 1e-6);
  close(bceWithLogits(tf.tensor1d([200]), tf.tensor1d([0])).dataSync()[0], 200, 1e-3);
  assert.throws(() => bceWithLogits(tf.tensor1d(z), tf.tensor1d([1])), named("y"));
});

test("IRMv1 penalty equals the squared finite-difference derivative of the BCE in a logit scale at 1", async () => {
  await backendReady();
  const z = [1.5, -0.7, 0.2, 2.4, -1.1];
  const y = [1, 1, 0, 0, 0];
  const h = 1e-6;
  const d = (bceRef(z, y, 1 + h) - bceRef(z, y, 1 - h)) / (2 * h);
  close(irmv1Penalty(tf.tensor1d(z), tf.tensor1d(y)).dataSync()[0], d * d, 1e-5);
});

test("vREx is the variance of the risks; group DRO is the worst group's mean loss", async () => {
  await backendReady();
  close(vrexPenalty([tf.scalar(1), tf.scalar(3)]).dataSync()[0], 1, 1e-6);
  assert.throws(() => vrexPenalty([tf.scalar(1)]), named("risks"));
  const z = [2, -1, 0.5, -3];
  const y = [1, 0, 0, 1];
  const g1 = Float32Array.from([1, 1, 0, 0]);
  const g2 = Float32Array.from([0, 0, 1, 1]);
  const worst = Math.max(bceRef([2, -1], [1, 0]), bceRef([0.5, -3], [0, 1]));
  close(groupDroLoss(tf.tensor1d(z), tf.tensor1d(y), [g1, g2, new Float32Array(4)]).dataSync()[0], worst, 1e-5);
  assert.throws(() => groupDroLoss(tf.tensor1d(z), tf.tensor1d(y), [new Float32Array(4)]), named("masks"));
});

test("discovery groups and synthesis weights on a hand case", () => {
  const r0 = [true, true, false, false, true];
  const r1 = [true, false, false, true, true];
  const groups = correctnessGroups([r0, r1]).map((g) => Array.from(g));
  // Cells by (r0, r1) bits: 00 → {2}, 01 → {1}, 10 → {3}, 11 → {0, 4}.
  assert.deepEqual(groups, [
    [0, 0, 1, 0, 0],
    [0, 1, 0, 0, 0],
    [0, 0, 0, 1, 0],
    [1, 0, 0, 0, 1],
  ]);
  // Agree = {0, 2, 4} (all right or all wrong), disagree = {1, 3}: halves of the mass.
  const w = Array.from(agreementWeights([r0, r1]));
  [1 / 6, 1 / 4, 1 / 6, 1 / 4, 1 / 6].forEach((v, i) => close(w[i], v, 1e-7));
  assert.throws(() => correctnessGroups([r0, [true]]), named("correct"));
});
