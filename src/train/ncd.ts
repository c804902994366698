// Novel class discovery on tabular data (Troisemaine et al., "A practical approach to novel class
// discovery in tabular data", DMKD 2024): PBN, an encoder whose latent space is shaped by a
// classifier of the known classes and a decoder reconstructing every input, then clustering of the
// unlabelled latent codes; hidden-class cross-validation to tune it without any novel label, and
// the number of novel classes estimated by the silhouette in the latent space.
import * as tf from "@tensorflow/tfjs";
import { clusteringAccuracy } from "../cluster/accuracy";
import { kMeans } from "../cluster/kmeans";
import { silhouette } from "../cluster/silhouette";
import { assertKnownOptions, fail } from "../core/validate";
import { ProgressEvent } from "../core/types";
import { MLP } from "../nn/mlp";
import { BatchSource, train } from "./loop";

export interface PbnOptions {
  /** Encoder widths after the input, e.g. [256, 64] (the last is the latent size). */
  encoder: number[];
  /** Weight w of the known-class cross-entropy; the reconstruction gets 1 − w. */
  w: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

/** Rows of features (n×p) with integer labels for the labelled part. */
export interface NcdData {
  known: { x: Float32Array; y: Int32Array; n: number };
  unlabeled: { x: Float32Array; n: number };
  dim: number;
  knownClasses: number;
}

export interface PbnModel {
  /** Latent codes of rows x (n×dim, row-major). */
  encode(x: Float32Array, n: number): number[][];
  dispose(): void;
}

/** Trains PBN: loss = w · CE(known) + (1 − w) · MSE(reconstruction of every row in the batch). */
export async function trainPbn(data: NcdData, opts: PbnOptions): Promise<PbnModel> {
  assertKnownOptions("opts", opts, ["encoder", "w", "epochs", "batchSize", "lr", "seed", "onProgress", "label"]);
  if (!(opts.w >= 0 && opts.w <= 1)) fail("opts.w", `must lie in [0, 1], got ${opts.w}`);
  if (!Array.isArray(opts.encoder) || opts.encoder.length === 0) fail("opts.encoder", "must list the encoder widths");
  const { dim, knownClasses } = data;
  const latent = opts.encoder[opts.encoder.length - 1];
  const enc = new MLP({ sizes: [dim, ...opts.encoder], activation: "relu", init: "he" });
  const head = new MLP({ sizes: [latent, knownClasses], activation: "linear", init: "glorot" });
  const dec = new MLP({
    sizes: [latent, ...[...opts.encoder].reverse().slice(1), dim],
    activation: "relu",
    init: "he",
  });
  const nK = data.known.n;
  const n = nK + data.unlabeled.n;
  const X = tf.tidy(() =>
    tf.concat([tf.tensor2d(data.known.x, [nK, dim]), tf.tensor2d(data.unlabeled.x, [data.unlabeled.n, dim])]),
  );
  const Y = tf.tidy(() =>
    tf.concat([
      tf.oneHot(tf.tensor1d(data.known.y, "int32"), knownClasses).toFloat(),
      tf.zeros([n - nK, knownClasses]),
    ]),
  );
  const M = tf.tidy(() => tf.concat([tf.ones([nK]), tf.zeros([n - nK])]));
  const source: BatchSource<{ x: tf.Tensor2D; y: tf.Tensor2D; m: tf.Tensor1D }> = {
    n,
    make: (idx) => {
      const i = tf.tensor1d(idx as number[], "int32");
      return {
        x: tf.gather(X, i) as tf.Tensor2D,
        y: tf.gather(Y, i) as tf.Tensor2D,
        m: tf.gather(M, i) as tf.Tensor1D,
      };
    },
  };
  await train({ variables: () => [...enc.variables(), ...head.variables(), ...dec.variables()] }, source, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    seed: opts.seed,
    lr: opts.lr,
    optimizer: "adam",
    objective: (b) => {
      // The encoder's last layer is linear (MLP has no output activation): the latent is unconstrained.
      const z = enc.forward(b.x);
      const ce = tf.sum(tf.mul(tf.losses.softmaxCrossEntropy(b.y, head.forward(z), undefined, tf.Reduction.NONE), b.m));
      const ceMean = tf.div(ce, tf.maximum(tf.sum(b.m), 1));
      const rec = tf.mean(tf.square(tf.sub(dec.forward(z), b.x)));
      return tf.add(tf.mul(ceMean, opts.w), tf.mul(rec, 1 - opts.w)) as tf.Scalar;
    },
    onProgress: opts.onProgress,
    label: opts.label,
  });
  X.dispose();
  Y.dispose();
  M.dispose();
  head.dispose();
  dec.dispose();
  return {
    encode: (x, rows) => tf.tidy(() => enc.forward(tf.tensor2d(x, [rows, dim]))).arraySync() as number[][],
    dispose: () => enc.dispose(),
  };
}

/** k chosen by the best silhouette of k-means on the codes, over ks (the paper's cluster-validity route). */
export function estimateK(codes: number[][], ks: number[], seed: number): { k: number; scores: number[] } {
  if (!Array.isArray(ks) || ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 2))
    fail("ks", "must list integers ≥ 2");
  const scores = ks.map((k) => silhouette(codes, kMeans(codes, k, { seed, restarts: 3 }).labels));
  let best = 0;
  scores.forEach((s, i) => {
    if (s > scores[best]) best = i;
  });
  return { k: ks[best], scores };
}

/** Clustering accuracy of k-means with k clusters on the codes of the unlabelled rows. */
export function clusterAccuracy(codes: number[][], truth: ArrayLike<number>, k: number, seed: number): number {
  return clusteringAccuracy(truth, kMeans(codes, k, { seed, restarts: 5 }).labels);
}

/**
 * Hidden-class cross-validation: the known classes are split into folds; each fold's classes are
 * hidden (their rows become unlabelled) and scored by the clustering accuracy of their codes with
 * k = the number hidden. Returns the mean score per candidate value of w (no novel label is touched).
 */
export async function hiddenClassCV(
  known: { x: Float32Array; y: Int32Array; n: number },
  dim: number,
  knownClasses: number,
  folds: number[][],
  ws: number[],
  base: Omit<PbnOptions, "w">,
): Promise<{ ws: number[]; scores: number[]; best: number }> {
  const scores: number[] = [];
  for (const w of ws) {
    let tot = 0;
    for (const [f, hidden] of folds.entries()) {
      const keep = Array.from(known.y).map((c, i) => [c, i]);
      const vis = keep.filter(([c]) => !hidden.includes(c)).map(([, i]) => i);
      const hid = keep.filter(([c]) => hidden.includes(c)).map(([, i]) => i);
      const remap = new Map(
        Array.from({ length: knownClasses }, (_, c) => c)
          .filter((c) => !hidden.includes(c))
          .map((c, i) => [c, i]),
      );
      const take = (idx: number[]) => {
        const x = new Float32Array(idx.length * dim);
        idx.forEach((i, r) => x.set(known.x.subarray(i * dim, (i + 1) * dim), r * dim));
        return x;
      };
      const data: NcdData = {
        known: { x: take(vis), y: Int32Array.from(vis.map((i) => remap.get(known.y[i]) as number)), n: vis.length },
        unlabeled: { x: take(hid), n: hid.length },
        dim,
        knownClasses: knownClasses - hidden.length,
      };
      const model = await trainPbn(data, { ...base, w, seed: base.seed + 17 * f, label: `CV w=${w} fold ${f + 1}` });
      const codes = model.encode(data.unlabeled.x, hid.length);
      model.dispose();
      tot += clusterAccuracy(
        codes,
        hid.map((i) => known.y[i]),
        hidden.length,
        base.seed,
      );
    }
    scores.push(tot / folds.length);
  }
  let b = 0;
  scores.forEach((s, i) => {
    if (s > scores[b]) b = i;
  });
  return { ws, scores, best: ws[b] };
}
