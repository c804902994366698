// A causal character LM as an MLP over a fixed window of one-hot characters (the card's
// CPU-sized model): the instruction scorer (a wide window) and the two evolvers (a narrow
// window, few vs many hidden units) are all of this kind, trained on the same pair text.
import * as tf from "@tensorflow/tfjs";
import { CHAR_VOCAB, encodeText } from "../../bases/char-lm";
import { Rng, seed } from "../../core/random";
import { fail } from "../../core/validate";
import { MLP } from "../../nn/mlp";
import { crossEntropy } from "../../nn/losses";
import { BatchSource, train } from "../../train/loop";
import { pairText, randomPair } from "./data";

export const V = CHAR_VOCAB.length;
const NEWLINE = 1;

export interface WindowLM {
  model: MLP;
  window: number;
}

/** One-hot features [n, window·V] of each history's last `window` characters (newline-padded on the left). */
export function windowFeatures(hist: ArrayLike<number>[], window: number): tf.Tensor2D {
  const f = new Float32Array(hist.length * window * V);
  hist.forEach((w, i) => {
    for (let k = 0; k < window; k++) {
      const j = w.length - window + k;
      f[i * window * V + k * V + (j >= 0 ? w[j] : NEWLINE)] = 1;
    }
  });
  return tf.tensor2d(f, [hist.length, window * V]);
}

/**
 * Next-character examples from a stream of fresh random pairs: a window and the character
 * after it, at a uniform position, or (a fraction `responseFraction` of the examples) at a
 * uniform position inside a response, as instruction tuning weights the response.
 */
export function pairWindowSource(
  words: string[],
  window: number,
  responseFraction = 0,
): BatchSource<{ x: tf.Tensor2D; y: tf.Tensor1D }> {
  if (!(responseFraction >= 0 && responseFraction <= 1))
    fail("responseFraction", `must lie in [0, 1], got ${responseFraction}`);
  return {
    make(idx, rng) {
      const B = idx?.length ?? 1;
      let t = "";
      const inResponse: number[] = [];
      while (t.length < B + 1) {
        const p = randomPair(words, rng);
        const start = t.length + p.q.length + 2;
        for (let k = 0; k < p.a.length; k++) inResponse.push(start + k);
        t += pairText(p.q, p.a);
      }
      const ids = encodeText(t);
      const hist: Int32Array[] = [];
      const y = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const pos =
          rng.next() < responseFraction ? inResponse[rng.int(inResponse.length)] : rng.int(ids.length - 1) + 1;
        hist.push(ids.subarray(Math.max(0, pos - window), pos));
        y[b] = ids[pos];
      }
      return { x: windowFeatures(hist, window), y: tf.tensor1d(y, "int32") };
    },
  };
}

export interface WindowLMSettings {
  window: number;
  hidden: number;
  steps: number;
  batchSize: number;
  lr: number;
  /** Fraction of training examples drawn inside responses (default 0: uniform positions). */
  responseFraction?: number;
}

/** Trains a window LM from scratch on random pairs of the given words (seeded init and batches). */
export async function trainWindowLM(words: string[], s: WindowLMSettings, seedValue: number): Promise<WindowLM> {
  seed(seedValue);
  const model = new MLP({ sizes: [s.window * V, s.hidden, V], activation: "relu", init: "he" });
  await train(model, pairWindowSource(words, s.window, s.responseFraction ?? 0), {
    steps: s.steps,
    batchSize: s.batchSize,
    seed: seedValue + 1,
    sampler: "stream",
    optimizer: "adam",
    lr: s.lr,
  });
  return { model, window: s.window };
}

/** Mean next-character loss on `n` fixed examples of held-out pair text. */
export function windowLMLoss(lm: WindowLM, words: string[], n: number, seedValue: number): number {
  const b = pairWindowSource(words, lm.window).make(new Array<number>(n).fill(0), new Rng(seedValue));
  const loss = tf.tidy(() => crossEntropy(lm.model.forward(b.x), b.y).arraySync() as number);
  b.x.dispose();
  b.y.dispose();
  return loss;
}

/** Next-character losses (nats) of each text: entry t is −log p(text[t+1] | text[..t]). */
export function windowTokenLosses(lm: WindowLM, texts: string[]): Float32Array[] {
  if (!Array.isArray(texts) || texts.length === 0) fail("texts", "must be a non-empty array of strings");
  const ids = texts.map((t) => encodeText(t));
  const hist: Int32Array[] = [];
  const y: number[] = [];
  ids.forEach((s, i) => {
    if (s.length < 2) fail(`texts[${i}]`, "needs at least two characters");
    for (let t = 1; t < s.length; t++) {
      hist.push(s.subarray(Math.max(0, t - lm.window), t));
      y.push(s[t]);
    }
  });
  const flat = tf.tidy(() => {
    const logp = tf.logSoftmax(lm.model.forward(windowFeatures(hist, lm.window)));
    return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(y, "int32"), V)), 1)).dataSync() as Float32Array;
  });
  let o = 0;
  return ids.map((s) => {
    const out = flat.slice(o, o + s.length - 1);
    o += s.length - 1;
    return out;
  });
}
