// Synthetic instruction data over real words: "op:word>answer" pairs whose words come from the
// fortunes-min cookies (the char base's fine-tuning text), so instructions have the structure
// of English spelling and the answer is a deterministic function of the instruction.
import * as tf from "@tensorflow/tfjs";
import { decodeIds, encodeText, fortuneCorpus } from "../../bases/char-lm";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { BatchSource } from "../../train/loop";

/**
 * The four instruction operations: copy, reverse, rotate left, rotate right. With 3-letter
 * names and 5-letter words every pair has the same layout, so the two-layer char model can
 * learn them as positional look-ups within a CPU minute.
 */
export const OPS: Record<string, (w: string) => string> = {
  cpy: (w) => w,
  rev: (w) => Array.from(w).reverse().join(""),
  rol: (w) => w.slice(1) + w[0],
  ror: (w) => w[w.length - 1] + w.slice(0, -1),
};
export const OP_NAMES = Object.keys(OPS);
export const WORD_LENGTH = 5;

/** Characters an over-evolved instruction's extra "constraints" are drawn from. */
const CONSTRAINT_POOL = "#$%&*+=@[]_0123456789";

export interface Pair {
  op: string;
  word: string;
  /** The instruction text Q (without the start-of-line and the ">" separator). */
  q: string;
  /** The response text A. */
  a: string;
}

/** Unique lower-case words of exactly `length` letters in the fortunes text, sorted. */
export function fortuneWords(length = WORD_LENGTH): string[] {
  const text = decodeIds(fortuneCorpus());
  return [...new Set(text.match(/[a-z]+/g) ?? [])].filter((w) => w.length === length).sort();
}

/** The word list dealt to train / validation / test by a seeded permutation (fractions of val and test). */
export function splitWords(
  words: string[],
  val: number,
  test: number,
  seedValue: number,
): { train: string[]; val: string[]; test: string[] } {
  const perm = new Rng(seedValue).permutation(words.length);
  const nV = Math.round(words.length * val);
  const nT = Math.round(words.length * test);
  if (nV < 1 || nT < 1 || nV + nT >= words.length) fail("words", `too few (${words.length}) to split`);
  const pick = (a: number, b: number) => perm.slice(a, b).map((i) => words[i]);
  return { test: pick(0, nT), val: pick(nT, nT + nV), train: pick(nT + nV, words.length) };
}

export function makePair(op: string, word: string): Pair {
  const f = OPS[op];
  if (!f) fail("op", `unknown operation "${op}" (known: ${OP_NAMES.join(", ")})`);
  return { op, word, q: `${op}:${word}`, a: f(word) };
}

/** A random pair: uniform operation, uniform word from the list. */
export function randomPair(words: string[], rng: Rng): Pair {
  return makePair(OP_NAMES[rng.int(OP_NAMES.length)], words[rng.int(words.length)]);
}

/** The pair with `k` random constraint characters appended to its instruction (same response). */
export function overEvolve(p: Pair, k: number, rng: Rng): Pair {
  let c = "";
  for (let i = 0; i < k; i++) c += CONSTRAINT_POOL[rng.int(CONSTRAINT_POOL.length)];
  return { ...p, q: `${p.q};${c}` };
}

/** The training text of a pair: start-of-line, instruction, ">", response. */
export const pairText = (q: string, a: string): string => `\n${q}>${a}`;

/**
 * Batches of rows of context+1 characters, each a run of fresh random pairs that starts at a
 * pair boundary (so scoring, which starts sequences at position 0, matches training).
 */
export function pairRowSource(words: string[], context: number): BatchSource<{ x: tf.Tensor2D; y: tf.Tensor1D }> {
  return {
    make(idx, rng) {
      const B = idx?.length ?? 1;
      const x = new Int32Array(B * context);
      const y = new Int32Array(B * context);
      for (let b = 0; b < B; b++) {
        let t = "";
        while (t.length < context + 1) {
          const p = randomPair(words, rng);
          t += pairText(p.q, p.a);
        }
        const ids = encodeText(t.slice(0, context + 1));
        x.set(ids.subarray(0, context), b * context);
        y.set(ids.subarray(1, context + 1), b * context);
      }
      return { x: tf.tensor2d(x, [B, context], "int32"), y: tf.tensor1d(y, "int32") };
    },
  };
}
