// The masked-denoising pieces and the two sequence encoders: mask layout and rate, the masked
// L1 loss by hand, causality of S4D against the bidirectional transformer, and a short
// self-pretraining run that must lower its loss below the no-information baseline.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/core/random";
import { backendReady } from "../../src/nn/backend";
import { PixelTransformer, S4DEncoder, SequenceClassifier } from "../../src/nn/seq-encoder";
import { maskedL1, maskSequences, selfPretrain } from "../../src/train/masked-denoising";
import { makeDataset } from "../../src/data/dataset";

before(async () => {
  await backendReady();
});

test("maskSequences: hidden values zeroed, indicator channel set, about `rate` masked; a black pixel stays unmasked", () => {
  const B = 40;
  const L = 50;
  const x = Float32Array.from({ length: B * L }, (_, i) => (i % 7 === 0 ? 0 : 0.5 + (i % 5) / 10));
  const m = maskSequences(x, B, L, 0.3, new Rng(1));
  const inp = m.input.arraySync();
  const mask = m.mask.arraySync();
  let hidden = 0;
  for (let b = 0; b < B; b++)
    for (let l = 0; l < L; l++) {
      const v = x[b * L + l];
      if (mask[b][l] === 1) {
        hidden++;
        assert.deepEqual(inp[b][l], [0, 1]);
      } else assert.deepEqual(inp[b][l], [Math.fround(v), 0]); // a zero pixel reads [0, 0], not [0, 1]
    }
  const frac = hidden / (B * L);
  assert.ok(Math.abs(frac - 0.3) < 0.04, `masked fraction ${frac}`);
  assert.throws(() => maskSequences(x, B, L + 1, 0.3, new Rng(1)), /x: has 2000 values/);
  assert.throws(() => maskSequences(x, B, L, 1.5, new Rng(1)), /rate: must lie in \[0, 1\]/);
});

test("maskedL1 averages |pred − target| over masked positions only (hand-computed)", () => {
  const pred = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const target = tf.tensor2d([
    [0, 0],
    [0, 10],
  ]);
  const mask = tf.tensor2d([
    [1, 0],
    [0, 1],
  ]);
  assert.equal(maskedL1(pred, target, mask).arraySync(), (1 + 6) / 2);
  assert.throws(() => maskedL1(pred, tf.zeros([2, 3]) as tf.Tensor2D, mask), /pred: shapes differ/);
});

test("S4D encoder is causal; the pixel transformer is bidirectional", () => {
  const L = 12;
  const x = tf.randomUniform([2, L, 2], 0, 1, "float32", 3) as tf.Tensor3D;
  const late = tf.concat([tf.slice(x, [0, 0, 0], [2, L - 1, 2]), tf.fill([2, 1, 2], 5)], 1) as tf.Tensor3D;
  const early = (e: { encode(x: tf.Tensor3D): tf.Tensor3D }, inp: tf.Tensor3D) =>
    (tf.slice(e.encode(inp), [0, 0, 0], [2, L - 1, -1]).arraySync() as number[][][]).flat(2);
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  const s4d = new S4DEncoder(new Rng(1), { input: 2, width: 8, state: 8, layers: 2, init: "lin" });
  assert.ok(maxDiff(early(s4d, x), early(s4d, late)) < 1e-5, "changing the last step must not move earlier outputs");
  const tr = new PixelTransformer(new Rng(1), { input: 2, width: 8, heads: 2, layers: 2, context: L });
  assert.ok(maxDiff(early(tr, x), early(tr, late)) > 1e-3, "attention sees the whole sequence");
  assert.equal(tr.slowVariables().length, 0);
  assert.equal(s4d.slowVariables().length, 6);
  assert.throws(() => new SequenceClassifier(new Rng(0), tr, 10, false), /encoder: takes 2 features per step/);
  s4d.dispose();
  tr.dispose();
});

test("selfPretrain lowers the masked L1 below predicting the mean (a learnable smooth signal)", async () => {
  const L = 16;
  const n = 64;
  const rng = new Rng(2);
  // Sines with random phase: a masked value is predictable from its neighbours.
  const x = Float32Array.from({ length: n * L }, (_, i) => {
    const ph = ((Math.floor(i / L) * 2.399) % 6.283) + rng.next() * 0.01;
    return 0.5 + 0.4 * Math.sin(ph + (i % L) * 0.6);
  });
  const data = makeDataset("sines", x, new Int32Array(n), [L], 2);
  const enc = new PixelTransformer(new Rng(3), { input: 2, width: 16, heads: 2, layers: 1, context: L });
  const r = await selfPretrain(enc, data, { steps: 200, batchSize: 16, lr: 1e-2, rate: 0.3, seed: 0 });
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const baseline = x.reduce((s, v) => s + Math.abs(v - mean), 0) / x.length;
  const last = r.log[r.log.length - 1].loss;
  assert.ok(last < 0.6 * baseline, `final masked L1 ${last} vs mean-prediction ${baseline}`);
  assert.equal(enc.variables().length, 2 + 6, "the reconstruction head is not part of the encoder");
  enc.dispose();
  await assert.rejects(
    selfPretrain(new S4DEncoder(new Rng(0), { input: 1, width: 4, state: 4, layers: 1, init: "lin" }), data, {
      steps: 1,
      batchSize: 4,
      lr: 1e-3,
      rate: 0.5,
      seed: 0,
    }),
    /encoder: must take 2 features per step/,
  );
});
