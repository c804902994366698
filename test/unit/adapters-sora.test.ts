// SoRA's known answers: the L1 proximal step against hand values (table), the staged ξ
// schedule at given steps (table), the adapter's postStep = proximal step with the scheduled
// ξ, ΔW = s·A diag(g) B by explicit sums, the L1 loss term, the sparsity record, and the
// export to a plain LoRA of smaller rank with the same ΔW.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LoraAdapter, SoraAdapter, soraExtras, soraProximal, soraToLora, soraXiAt } from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";

const randArr = (rows: number, cols: number, seed: number, std = 1) => {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * std));
};
const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));

test("sora: proximal step sign(g)·max(|g| − ξ, 0) = hand values", () => {
  const cases: Array<{ g: number[]; xi: number; want: number[] }> = [
    { g: [0.5, -0.5, 0.001, -0.002, 0], xi: 0.01, want: [0.49, -0.49, 0, 0, 0] },
    { g: [0.5, -0.25, 0.001], xi: 0, want: [0.5, -0.25, 0.001] },
    { g: [0.3, -0.3, 2], xi: 0.3, want: [0, 0, 1.7] },
    { g: [1.25, -3.5], xi: 1, want: [0.25, -2.5] },
    { g: [], xi: 0.1, want: [] },
  ];
  for (const c of cases) {
    const got = soraProximal(c.g, c.xi);
    assert.equal(got.length, c.want.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - c.want[i]) < 1e-12, `g=${c.g} ξ=${c.xi}: entry ${i} ${v}`));
  }
  assert.throws(() => soraProximal([1], -0.1), /xi: must be a finite number ≥ 0/);
  assert.throws(() => soraProximal([1], NaN), /xi:/);
  assert.throws(() => soraProximal([1, NaN], 0.1), /g: entry 1/);
});

test("sora: the staged ξ schedule at given steps (linear from xiStart to xi over equal stages)", () => {
  // linspace(0, 6e-4, 7) = 0, 1e-4, ..., 6e-4; stage k covers steps 100k + 1 .. 100(k + 1).
  const o = { xi: 6e-4, stages: 7, totalSteps: 700 };
  const cases: Array<[number, number]> = [
    [1, 0],
    [100, 0],
    [101, 1e-4],
    [350, 3e-4],
    [601, 6e-4],
    [700, 6e-4],
    [900, 6e-4], // past the end: the last stage's ξ
  ];
  for (const [step, want] of cases) assert.ok(Math.abs(soraXiAt(step, o) - want) < 1e-15, `step ${step}`);
  assert.ok(Math.abs(soraXiAt(1, { ...o, xiStart: 1e-4 }) - 1e-4) < 1e-15, "first stage at xiStart");
  assert.equal(soraXiAt(1, { xi: 5e-3 }), 5e-3, "no totalSteps: ξ throughout");
  assert.equal(soraXiAt(50, { xi: 5e-3, stages: 1, totalSteps: 100 }), 5e-3, "one stage: ξ throughout");
  assert.throws(() => soraXiAt(1, { xi: -1 }), /o\.xi: must be ≥ 0/);
  assert.throws(() => soraXiAt(1, { xi: 1, stages: 0, totalSteps: 10 }), /o\.stages/);
});

test("sora: ΔW = s·A diag(g) B, postStep = proximal step with the scheduled ξ, sparsity record, L1 term", async () => {
  await backendReady();
  const w0 = randArr(6, 5, 1, 0.5);
  const ad = new SoraAdapter(tf.tensor2d(w0), {
    r: 4,
    alpha: 8,
    xi: 0.3,
    stages: 3,
    totalSteps: 30,
    l1: 0.5,
    recordEvery: 10,
    seed: 2,
  });
  assert.equal(ad.scale, 2);
  ad.B.assign(tf.tensor2d(randArr(4, 5, 3)));
  ad.gate.assign(tf.tensor1d([0.1, -0.2, 0.25, -1]));
  const A = ad.A.arraySync(),
    B = ad.B.arraySync();
  const deltaHand = (g: number[]) =>
    A.map((ar) => B[0].map((_, o) => ar.reduce((s, a, j) => s + 2 * a * g[j] * B[j][o], 0)));
  assert.ok(maxDiff(ad.deltaW().arraySync(), deltaHand([0.1, -0.2, 0.25, -1])) < 1e-5);
  assert.ok(Math.abs(ad.regLoss().dataSync()[0] - 0.5 * ((0.1 + 0.2 + 0.25 + 1) / 4)) < 1e-6, "l1·mean|g|");
  // Stage 1 (steps 1..10): ξ = 0, nothing changes.
  ad.postStep(1);
  assert.deepEqual(Array.from(ad.gate.dataSync()), Array.from(new Float32Array([0.1, -0.2, 0.25, -1])));
  // Stage 2 (steps 11..20): ξ = 0.15.
  ad.postStep(11);
  const g2 = Array.from(ad.gate.dataSync());
  soraProximal([0.1, -0.2, 0.25, -1], 0.15).forEach((v, i) => assert.ok(Math.abs(g2[i] - v) < 1e-6, `gate ${i}`));
  assert.equal(ad.nonZeroGates(), 3);
  assert.equal(ad.currentXi, 0.15);
  // Stage 3 (steps 21..30): ξ = 0.3; step 30 is recorded.
  ad.postStep(30);
  assert.equal(ad.nonZeroGates(), 1);
  assert.deepEqual(ad.history, [
    [0, 4],
    [30, 1],
  ]);
  assert.ok(maxDiff(ad.deltaW().arraySync(), deltaHand(Array.from(ad.gate.dataSync()))) < 1e-5);
  ad.dispose();
});

test("sora: the exported plain LoRA has rank = non-zero gates and the same ΔW and forward", async () => {
  await backendReady();
  const w0 = tf.tensor2d(randArr(9, 7, 4, 0.5));
  const x = tf.tensor2d(randArr(5, 9, 5));
  for (const gates of [
    [0.7, 0, -1.2, 0, 0.05, 0],
    [0, 0, 0, 0, 0, 2],
    [1, 2, 3, 4, 5, 6],
  ]) {
    const ad = new SoraAdapter(w0, { r: 6, alpha: 3, seed: 6 });
    ad.B.assign(tf.tensor2d(randArr(6, 7, 7)));
    ad.gate.assign(tf.tensor1d(gates));
    const lora = soraToLora(ad) as LoraAdapter;
    assert.ok(lora instanceof LoraAdapter && lora.method === "lora");
    assert.equal(lora.r, gates.filter((g) => g !== 0).length, "rank = non-zero gates");
    assert.ok(Math.abs(lora.scale - ad.scale) < 1e-12, "same scaling s");
    const d = ad.deltaW().arraySync();
    const scale = Math.max(...d.flat().map(Math.abs));
    assert.ok(maxDiff(lora.deltaW().arraySync(), d) < 1e-6 * Math.max(1, scale), "same ΔW");
    assert.ok(maxDiff(lora.forward(x).arraySync(), ad.forward(x).arraySync()) < 1e-4, "same forward");
    ad.dispose();
    assert.ok(maxDiff(lora.base.arraySync(), w0.arraySync()) === 0, "the export keeps its own W0");
    lora.dispose();
  }
  const ad = new SoraAdapter(w0, { r: 3, seed: 1 });
  ad.gate.assign(tf.zeros([3]));
  assert.equal(ad.toLora(), null, "all gates zero: no LoRA");
  ad.gate.assign(tf.ones([3]));
  ad.merge();
  assert.throws(() => ad.toLora(), /toLora: the adapter is merged/);
  ad.unmerge();
  ad.dispose();
});

test("sora: invalid schedule options are named errors", async () => {
  await backendReady();
  const w = tf.zeros([6, 5]) as tf.Tensor2D;
  const bad: Array<[object, RegExp]> = [
    [{ xi: -1 }, /config\.xi: must be ≥ 0/],
    [{ stages: 0 }, /config\.stages/],
    [{ stages: 2.5 }, /config\.stages/],
    [{ totalSteps: 0 }, /config\.totalSteps/],
    [{ l1: NaN }, /config\.l1/],
    [{ recordEvery: -2 }, /config\.recordEvery/],
  ];
  for (const [extra, re] of bad) assert.throws(() => new SoraAdapter(w, { r: 2, ...extra }), re);
});

test("sora bench: afterTrain records gates per matrix, export ranks and error, and the gate history", async () => {
  await backendReady();
  const ads = [0, 1].map((k) => new SoraAdapter(tf.tensor2d(randArr(6, 5, 10 + k)), { r: 4, seed: k, recordEvery: 2 }));
  ads.forEach((a, k) => a.B.assign(tf.tensor2d(randArr(4, 5, 20 + k))));
  ads[0].gate.assign(tf.tensor1d([0, 1, 0, -2]));
  ads[1].gate.assign(tf.tensor1d([0.5, 0, 0, 0]));
  ads.forEach((a) => a.postStep(2));
  const ctx = { model: { adapters: [ads[0], ads[1]] } } as unknown as Parameters<typeof soraExtras>[0];
  const ex = soraExtras(ctx);
  assert.equal(ex.soraGatesW1, 2);
  assert.equal(ex.soraGatesW2, 1);
  assert.equal(ex.soraExportRanks, "2/1");
  assert.equal(ex.soraMeanRank, 1.5);
  assert.ok(Number(ex.soraExportRelErr) < 1e-6);
  assert.deepEqual(JSON.parse(String(ex.soraHistory)), [
    [0, 4, 4],
    [2, 2, 1],
  ]);
  ads.forEach((a) => a.dispose());
});
