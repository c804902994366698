// Instruction-data quality scores from a language model's per-token losses (nats):
// IFD (Li et al., "From Quantity to Quality") and IC-IFD (Hui et al., "Smaller language
// models are better instruction evolvers"), plus the distinct-n diversity of generated text.
// Two scales: "log" divides mean token cross-entropies (log-perplexities), as the IC-IFD
// repository does; "ppl" divides perplexities exp(mean loss), as the papers write them.
import { assertArrayLike, assertFinite, assertNonEmpty, fail } from "../core/validate";

export type IfdScale = "log" | "ppl";

/** Per-token losses (nats) of one instruction–response pair under one model. */
export interface PairTokenLosses {
  /** Losses of the instruction's tokens Q (predicted from the start of the sequence). */
  question: ArrayLike<number>;
  /** Losses of the response's tokens A when the instruction precedes them: L(A|Q). */
  answerGivenQuestion: ArrayLike<number>;
  /** Losses of the same response tokens without the instruction: L(A). */
  answerAlone: ArrayLike<number>;
}

function checkLosses(arg: string, xs: ArrayLike<number>): void {
  assertArrayLike(arg, xs);
  assertNonEmpty(arg, xs);
  assertFinite(arg, xs);
  for (let i = 0; i < xs.length; i++) if (xs[i] < 0) fail(arg, `entry ${i} is ${xs[i]}; token losses are ≥ 0`);
}

function checkScale(scale: IfdScale): void {
  if (scale !== "log" && scale !== "ppl") fail("scale", `must be "log" or "ppl", got ${JSON.stringify(scale)}`);
}

/** Mean of per-token losses (a log-perplexity); non-empty, finite, non-negative. */
export function meanTokenLoss(losses: ArrayLike<number>): number {
  checkLosses("losses", losses);
  let s = 0;
  for (let i = 0; i < losses.length; i++) s += losses[i];
  return s / losses.length;
}

function ratio(num: number, den: number, arg: string): number {
  if (!(den > 0)) fail(arg, `has mean loss ${den}; the ratio needs a positive denominator`);
  return num / den;
}

/**
 * IFD(Q, A) = L(A|Q) / L(A) on the log scale, or PPL(A|Q) / PPL(A) = exp(L(A|Q) − L(A)) on the
 * ppl scale. Below 1: the instruction makes the response easier to predict.
 */
export function ifdScore(
  pair: Pick<PairTokenLosses, "answerGivenQuestion" | "answerAlone">,
  scale: IfdScale = "log",
): number {
  if (pair == null || typeof pair !== "object") fail("pair", "must be an object of per-token losses");
  checkScale(scale);
  checkLosses("pair.answerGivenQuestion", pair.answerGivenQuestion);
  checkLosses("pair.answerAlone", pair.answerAlone);
  const cond = meanTokenLoss(pair.answerGivenQuestion);
  const alone = meanTokenLoss(pair.answerAlone);
  return scale === "log" ? ratio(cond, alone, "pair.answerAlone") : Math.exp(cond - alone);
}

/**
 * IC-IFD(Q, A) = IFD(Q, A) / L(Q) on the log scale, or PPL(A|Q) / (PPL(Q)·PPL(A)) on the ppl
 * scale: IFD discounted by how hard the instruction itself is to predict, so overly complex
 * instructions score lower.
 */
export function icIfdScore(pair: PairTokenLosses, scale: IfdScale = "log"): number {
  if (pair == null || typeof pair !== "object") fail("pair", "must be an object of per-token losses");
  checkScale(scale);
  checkLosses("pair.question", pair.question);
  const q = meanTokenLoss(pair.question);
  const ifd = ifdScore(pair, scale);
  return scale === "log" ? ratio(ifd, q, "pair.question") : ifd * Math.exp(-q);
}

/**
 * distinct-n of a set of generated sequences: distinct n-grams / all n-grams, pooled over the
 * sequences (n-grams never cross a sequence boundary). 0 when no sequence has n tokens.
 */
export function distinctN(sequences: Array<string | ArrayLike<number>>, n: number): number {
  if (!Array.isArray(sequences)) fail("sequences", "must be an array of strings or token arrays");
  if (!Number.isInteger(n) || n < 1) fail("n", `must be a positive integer, got ${n}`);
  const seen = new Set<string>();
  let total = 0;
  sequences.forEach((s, i) => {
    if (s == null || typeof (s as ArrayLike<unknown>).length !== "number")
      fail(`sequences[${i}]`, "must be a string or an array of tokens");
    const toks: Array<string | number> = typeof s === "string" ? Array.from(s) : Array.from(s);
    for (let k = 0; k + n <= toks.length; k++) {
      seen.add(JSON.stringify(toks.slice(k, k + n)));
      total++;
    }
  });
  return total === 0 ? 0 : seen.size / total;
}
