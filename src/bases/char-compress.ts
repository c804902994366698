// The pretrained char transformer as a subject for post-training compression studies (WeLore,
// PELA, ZeroQuant-FP): its block matrices as plain arrays, the license text split exactly as
// pretraining split it (so the test part is text the base never saw), held-out windows cut
// into disjoint parts (one per seed), scoring with some matrices replaced, and the gradient of
// the held-in loss with respect to each block matrix.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { BLOCK_MATRICES, blockParam, transformerLogits } from "../nn/transformer";
import { crossEntropy } from "../nn/losses";
import {
  CHAR_BASE_CHECKPOINT,
  CHAR_BASE_SPEC,
  CharBaseSpec,
  licenseCorpus,
  lmScores,
  loadCharBase,
  splitCorpus,
  StoredTensor,
} from "./char-lm";

/** Windows of `context` characters and their next characters. */
export interface CharWindows {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}

export interface CharCompressBase {
  spec: CharBaseSpec;
  stored: Record<string, StoredTensor>;
  /** Block matrix names in forward order: l0.wq, l0.wk, …, l1.w2. */
  matrices: string[];
  /** Each block matrix as nested rows, tfjs [in, out] layout. */
  kernels: Record<string, number[][]>;
  /** The license text split as pretraining split it (blocks of 4·context, seed spec.seed). */
  license: { train: Int32Array; val: Int32Array; test: Int32Array };
}

const nested = (t: StoredTensor): number[][] =>
  Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data.subarray(i * t.shape[1], (i + 1) * t.shape[1])));

/** Loads data/char-lm-base.safetensors and the license split (refuses a missing or mismatched checkpoint). */
export function loadCharCompressBase(): CharCompressBase {
  const spec = CHAR_BASE_SPEC;
  const stored = loadCharBase(CHAR_BASE_CHECKPOINT, spec);
  const matrices: string[] = [];
  for (let l = 0; l < spec.layers; l++) for (const m of BLOCK_MATRICES) matrices.push(blockParam(l, m));
  const kernels = Object.fromEntries(matrices.map((n) => [n, nested(stored[n])]));
  const license = splitCorpus(licenseCorpus(), 4 * spec.context, { val: 0.05, test: 0.1 }, spec.seed);
  return { spec, stored, matrices, kernels, license };
}

/**
 * Part `part` of `parts` disjoint contiguous slices of `ids`, cut into non-overlapping windows
 * (at most `maxWindows`): seed k scores on its own slice of held-out text.
 */
export function windowsOfPart(
  ids: Int32Array,
  context: number,
  part: number,
  parts: number,
  maxWindows: number,
): CharWindows {
  if (!Number.isInteger(parts) || parts < 1) fail("parts", `must be a positive integer, got ${parts}`);
  if (!Number.isInteger(part) || part < 0 || part >= parts)
    fail("part", `must be an integer in [0, ${parts}), got ${part}`);
  const len = Math.floor(ids.length / parts);
  const slice = ids.subarray(part * len, (part + 1) * len);
  const n = Math.min(maxWindows, Math.floor((slice.length - 1) / context));
  if (n < 1) fail("ids", `part ${part} of ${parts} is too short for one window of ${context + 1} characters`);
  const x = new Int32Array(n * context);
  const y = new Int32Array(n * context);
  for (let w = 0; w < n; w++) {
    x.set(slice.subarray(w * context, (w + 1) * context), w * context);
    y.set(slice.subarray(w * context + 1, (w + 1) * context + 1), w * context);
  }
  return { x: tf.tensor2d(x, [n, context], "int32"), y: tf.tensor1d(y, "int32") };
}

function checkReplacements(base: CharCompressBase, replace: Record<string, number[][]>): void {
  for (const [k, W] of Object.entries(replace)) {
    const t = base.stored[k];
    if (!t) fail("replace", `"${k}" is no parameter of the char base`);
    if (W.length !== t.shape[0] || W[0]?.length !== t.shape[1])
      fail(`replace["${k}"]`, `must be ${t.shape[0]}×${t.shape[1]}, got ${W.length}×${W[0]?.length}`);
  }
}

/** Held-out next-character loss (nats) and accuracy of the base with the listed matrices replaced. */
export function charScoresWith(
  base: CharCompressBase,
  replace: Record<string, number[][]>,
  on: CharWindows,
): { loss: number; acc: number } {
  checkReplacements(base, replace);
  return tf.tidy(() => {
    const p: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(base.stored))
      p[k] = replace[k] ? tf.tensor2d(replace[k]) : tf.tensor(t.data, t.shape);
    return lmScores(transformerLogits(p, on.x, base.spec), on.y);
  });
}

/** Gradient of the mean next-character loss on `on` with respect to every block matrix, at the base weights. */
export function charMatrixGradients(base: CharCompressBase, on: CharWindows): Record<string, number[][]> {
  return tf.tidy(() => {
    const p: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(base.stored)) p[k] = tf.tensor(t.data, t.shape);
    const xs = base.matrices.map((n) => p[n]);
    const g = tf.grads((...ms: tf.Tensor[]) => {
      const q = { ...p };
      base.matrices.forEach((n, i) => (q[n] = ms[i]));
      return crossEntropy(transformerLogits(q, on.x, base.spec), on.y);
    })(xs);
    return Object.fromEntries(base.matrices.map((n, i) => [n, g[i].arraySync() as number[][]]));
  });
}

export function disposeWindows(...ws: CharWindows[]): void {
  for (const w of ws) {
    w.x.dispose();
    w.y.dispose();
  }
}
