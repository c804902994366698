// Per-token losses of texts under the char transformer (one batched forward), and the three
// segments IFD needs from any model's per-token losses: L(Q) and L(A|Q) from "\nQ>A", L(A) from "\nA" (the response alone).
import * as tf from "@tensorflow/tfjs";
import { encodeText } from "../../bases/char-lm";
import { fail } from "../../core/validate";
import { PairTokenLosses } from "../../metrics/ifd";
import { transformerLogits, TransformerShape } from "../../nn/transformer";

/**
 * Next-character losses (nats) of each text: entry t is −log p(text[t+1] | text[..t]).
 * Texts are right-padded with newlines; the model is causal, so padding never changes them.
 */
export function textTokenLosses(
  p: Record<string, tf.Variable | tf.Tensor>,
  shape: TransformerShape,
  texts: string[],
): Float32Array[] {
  if (!Array.isArray(texts) || texts.length === 0) fail("texts", "must be a non-empty array of strings");
  const ids = texts.map((t) => encodeText(t));
  const T = shape.context;
  ids.forEach((s, i) => {
    if (s.length < 2 || s.length > T + 1) fail(`texts[${i}]`, `has ${s.length} characters; need 2…${T + 1}`);
  });
  const B = ids.length;
  const x = new Int32Array(B * T).fill(1);
  const y = new Int32Array(B * T).fill(1);
  ids.forEach((s, b) => {
    x.set(s.subarray(0, s.length - 1), b * T);
    y.set(s.subarray(1), b * T);
  });
  const flat = tf.tidy(() => {
    const logits = transformerLogits(p, tf.tensor2d(x, [B, T], "int32"), shape);
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(y, "int32"), shape.vocab)), 1);
    return tf.neg(picked).dataSync() as Float32Array;
  });
  return ids.map((s, b) => flat.slice(b * T, b * T + s.length - 1));
}

/** Per-token losses of a list of texts under some model. */
export type TokenLossFn = (texts: string[]) => Float32Array[];

/**
 * Segment losses of instruction–response pairs: L(Q) is the instruction's characters after
 * the start-of-line; L(A|Q) the response's characters after ">"; L(A) the response's
 * characters after a bare start-of-line.
 */
export function pairLosses(losses: TokenLossFn, pairs: Array<{ q: string; a: string }>): PairTokenLosses[] {
  const full = losses(pairs.map((x) => `\n${x.q}>${x.a}`));
  const alone = losses(pairs.map((x) => `\n${x.a}`));
  return pairs.map((x, i) => ({
    // full[i][t] predicts character t+1 of "\nQ>A": Q is characters 1…|Q|, A follows ">".
    question: full[i].slice(0, x.q.length),
    answerGivenQuestion: full[i].slice(x.q.length + 1),
    answerAlone: alone[i],
  }));
}
