// The adapter benchmark's second base: a small character-level transformer pretrained by the
// project on Debian's license texts (/usr/share/common-licenses, package base-files, always
// installed) and fine-tuned on a different text domain, the fortune cookies of the package
// fortunes-min (/usr/share/games/fortunes: fortunes, literature, riddles; installed by
// scripts/setup.sh). The checkpoint is made only by scripts/make-char-base.ts and kept in
// data/; loading refuses a missing file or one whose spec differs.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../core/random";
import { ProgressEvent } from "../core/types";
import { fail } from "../core/validate";
import { projectRoot } from "../io/paths";
import { loadSafetensors, saveSafetensors, SafeTensorInput } from "../io/safetensors";
import { transformerLogits, transformerParams, TransformerShape } from "../nn/transformer";
import { crossEntropy } from "../nn/losses";
import { warmupCosine } from "../optim/schedules";
import { BatchSource, train } from "../train/loop";

export const CHAR_BASE_CHECKPOINT = "data/char-lm-base.safetensors";
export const LICENSES_DIR = "/usr/share/common-licenses";
export const FORTUNES_DIR = "/usr/share/games/fortunes";
export const FORTUNE_FILES = ["fortunes", "literature", "riddles"];

/** The fixed vocabulary: index 0 is the stand-in for any character outside it (upper case is folded). */
export const CHAR_VOCAB = "~\n !\"#$%&'()*+,-./0123456789:;<=>?@[]_`abcdefghijklmnopqrstuvwxyz";

/** Everything that determines the pretrained base (the checkpoint must match it exactly). */
export interface CharBaseSpec extends TransformerShape {
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  seed: number;
}

export const CHAR_BASE_SPEC: CharBaseSpec = {
  vocab: CHAR_VOCAB.length,
  width: 32,
  context: 32,
  layers: 2,
  heads: 2,
  steps: 8000,
  batchSize: 32,
  lr: 3e-3,
  warmup: 100,
  seed: 0,
};

/** Lower-cases, collapses runs of spaces/tabs, maps characters outside the vocabulary to index 0. */
export function encodeText(text: string): Int32Array {
  const t = text.toLowerCase().replace(/[ \t\r\f\v]+/g, " ");
  const out = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = Math.max(0, CHAR_VOCAB.indexOf(t[i]));
  return out;
}

export function decodeIds(ids: ArrayLike<number>): string {
  return Array.from(ids, (i) => CHAR_VOCAB[i] ?? "~").join("");
}

function readDir(dir: string, files: string[] | null, pkg: string): string {
  if (!fs.existsSync(dir)) fail(dir, `is missing; install the Debian package ${pkg} (scripts/setup.sh does)`);
  const names = files ?? fs.readdirSync(dir).sort();
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const n of names) {
    const p = path.join(dir, n);
    if (!fs.existsSync(p)) fail(p, `is missing; install the Debian package ${pkg}`);
    const real = fs.realpathSync(p);
    if (seen.has(real) || !fs.statSync(real).isFile()) continue; // GPL → GPL-3 etc. are links
    seen.add(real);
    parts.push(fs.readFileSync(real, "utf8"));
  }
  return parts.join("\n");
}

/** Task A (pretraining): every license text of base-files, each file once. */
export function licenseCorpus(): Int32Array {
  return encodeText(readDir(LICENSES_DIR, null, "base-files"));
}

/** Task B (fine-tuning): the fortunes-min cookies, "%" separators turned into blank lines. */
export function fortuneCorpus(): Int32Array {
  return encodeText(readDir(FORTUNES_DIR, FORTUNE_FILES, "fortunes-min").replace(/^%$/gm, ""));
}

/** A corpus cut into blocks of `block` characters, dealt to train/val/test by a seeded permutation. */
export function splitCorpus(
  ids: Int32Array,
  block: number,
  fractions: { val: number; test: number },
  seedValue: number,
): { train: Int32Array; val: Int32Array; test: Int32Array } {
  if (!Number.isInteger(block) || block < 2) fail("block", `must be an integer ≥ 2, got ${block}`);
  const n = Math.floor(ids.length / block);
  const nVal = Math.round(n * fractions.val);
  const nTest = Math.round(n * fractions.test);
  if (nVal + nTest >= n) fail("fractions", `leave no training blocks (${n} blocks of ${block})`);
  const perm = new Rng(seedValue).permutation(n);
  const take = (idx: number[]) => {
    const out = new Int32Array(idx.length * block);
    idx.forEach((b, k) => out.set(ids.subarray(b * block, (b + 1) * block), k * block));
    return out;
  };
  return {
    test: take(perm.slice(0, nTest)),
    val: take(perm.slice(nTest, nTest + nVal)),
    train: take(perm.slice(nTest + nVal)),
  };
}

/**
 * Next-character batches: `make` cuts windows of context+1 characters at seeded random offsets,
 * one per entry of the index batch, or `batchSize` of them when the loop passes none (a source
 * without `n`, as train() sees this one, always gets none).
 */
export function windowSource(
  ids: Int32Array,
  context: number,
  batchSize?: number,
): BatchSource<{ x: tf.Tensor2D; y: tf.Tensor1D }> {
  const n = ids.length - context - 1;
  if (n < 1) fail("ids", `has ${ids.length} characters; windows need more than context + 1 = ${context + 1}`);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1))
    fail("batchSize", `must be a positive integer, got ${batchSize}`);
  return {
    make(idx, rng) {
      // Without index batches and without batchSize this used to draw one window per step.
      if (!idx && batchSize === undefined)
        fail("batchSize", "is needed when the caller passes no index batches (train() passes none to this source)");
      const B = idx?.length ?? (batchSize as number);
      const x = new Int32Array(B * context);
      const y = new Int32Array(B * context);
      for (let b = 0; b < B; b++) {
        const o = rng.int(n);
        x.set(ids.subarray(o, o + context), b * context);
        y.set(ids.subarray(o + 1, o + context + 1), b * context);
      }
      return { x: tf.tensor2d(x, [B, context], "int32"), y: tf.tensor1d(y, "int32") };
    },
  };
}

/** Fixed evaluation windows (non-overlapping, from the start) of a held-out text: up to `maxWindows`. */
export function evalWindows(ids: Int32Array, context: number, maxWindows: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const n = Math.min(maxWindows, Math.floor((ids.length - 1) / context));
  if (n < 1) fail("ids", `is too short for one evaluation window of ${context + 1} characters`);
  const x = new Int32Array(n * context);
  const y = new Int32Array(n * context);
  for (let w = 0; w < n; w++) {
    x.set(ids.subarray(w * context, (w + 1) * context), w * context);
    y.set(ids.subarray(w * context + 1, (w + 1) * context + 1), w * context);
  }
  return { x: tf.tensor2d(x, [n, context], "int32"), y: tf.tensor1d(y, "int32") };
}

/** Mean next-character cross-entropy (nats) and accuracy of logits [N, V] against targets [N]. */
export function lmScores(logits: tf.Tensor2D, y: tf.Tensor1D): { loss: number; acc: number } {
  return tf.tidy(() => {
    const loss = crossEntropy(logits, y).arraySync() as number;
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32")).arraySync() as number;
    return { loss, acc };
  });
}

const specKey = (s: CharBaseSpec) =>
  JSON.stringify([s.vocab, s.width, s.context, s.layers, s.heads, s.steps, s.batchSize, s.lr, s.warmup, s.seed]);

/** Pretrains the base on the license texts' training blocks (Adam, warm-up + cosine); returns its parameters. */
export async function pretrainCharBase(
  spec: CharBaseSpec,
  onProgress?: (p: ProgressEvent) => void,
): Promise<Record<string, tf.Variable>> {
  seed(spec.seed);
  const p = transformerParams(new Rng(spec.seed), spec);
  const { train: text } = splitCorpus(licenseCorpus(), 4 * spec.context, { val: 0.05, test: 0.1 }, spec.seed);
  await train(
    { variables: () => Object.values(p), forward: (x: tf.Tensor2D) => transformerLogits(p, x, spec) },
    windowSource(text, spec.context, spec.batchSize),
    {
      steps: spec.steps,
      batchSize: spec.batchSize,
      seed: spec.seed + 1,
      sampler: "stream",
      optimizer: "adam",
      lr: spec.lr,
      schedule: warmupCosine(spec.warmup),
      onProgress: onProgress ? (q) => onProgress({ ...q, label: "pretrain char LM on licenses" }) : undefined,
    },
  );
  return p;
}

const abs = (file: string) => (path.isAbsolute(file) ? file : path.join(projectRoot(), file));

/** Writes the parameters as F32 safetensors (tfjs layout) with the spec in the metadata. */
export function saveCharBase(file: string, p: Record<string, tf.Variable>, spec: CharBaseSpec): void {
  const tensors: Record<string, SafeTensorInput> = {};
  for (const [k, v] of Object.entries(p))
    tensors[k] = { dtype: "F32", shape: v.shape, data: Float32Array.from(v.dataSync()) };
  fs.mkdirSync(path.dirname(abs(file)), { recursive: true });
  saveSafetensors(abs(file), tensors, {
    spec: specKey(spec),
    layout: "tfjs [in, out]",
    source: "initlab scripts/make-char-base.ts",
    corpus: `pretraining: ${LICENSES_DIR} (base-files); fine-tuning: ${FORTUNES_DIR} (fortunes-min)`,
  });
}

/** One stored parameter: its shape and values. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** Reads the base; refuses (clear error) a missing checkpoint or one made with another spec. */
export function loadCharBase(file: string, spec: CharBaseSpec): Record<string, StoredTensor> {
  const p = abs(file);
  if (!fs.existsSync(p)) fail(file, "is missing; run `npx tsx scripts/make-char-base.ts` to pretrain the char base");
  const f = loadSafetensors(p);
  if (f.metadata.spec !== specKey(spec))
    fail(file, `was made with spec ${f.metadata.spec}, not ${specKey(spec)}; re-run scripts/make-char-base.ts`);
  const out: Record<string, StoredTensor> = {};
  for (const [k, t] of Object.entries(f.tensors))
    out[k] = { shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>) };
  return out;
}
