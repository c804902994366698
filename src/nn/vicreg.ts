// VICReg (Bardes, Ponce, LeCun 2022) at toy scale: MLP encoder (representation) and
// projector (embedding), the variance-invariance-covariance loss and seeded image
// augmentations. Only wasm-safe ops (matMul, elementwise, mean). The training function,
// trainVICReg, lives in src/train/vicreg.ts (it runs on the library loop).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { MLP } from "./mlp";

export interface VICRegWeights {
  /** Invariance (MSE) weight λ; paper default 25. */
  inv: number;
  /** Variance (hinge on std) weight μ; paper default 25. */
  var: number;
  /** Covariance (off-diagonal) weight ν; paper default 1. */
  cov: number;
}

export interface VICRegLossParts {
  loss: tf.Scalar;
  inv: tf.Scalar;
  var: tf.Scalar;
  cov: tf.Scalar;
}

function varTerm(z: tf.Tensor2D): tf.Scalar {
  const n = z.shape[0];
  const c = tf.sub(z, tf.mean(z, 0));
  const variance = tf.div(tf.sum(tf.square(c), 0), n - 1);
  return tf.mean(tf.relu(tf.sub(1, tf.sqrt(tf.add(variance, 1e-4))))) as tf.Scalar;
}

function covTerm(z: tf.Tensor2D): tf.Scalar {
  const [n, d] = z.shape;
  const c = tf.sub(z, tf.mean(z, 0)) as tf.Tensor2D;
  const cov = tf.div(tf.matMul(c, c, true, false), n - 1);
  const off = tf.mul(cov, tf.sub(1, tf.eye(d)));
  return tf.div(tf.sum(tf.square(off)), d) as tf.Scalar;
}

/**
 * VICReg loss of two embedding batches [n, d]: inv·MSE(za, zb) + var·(v(za) + v(zb))/2
 * + cov·(c(za) + c(zb)), with v = mean_j relu(1 − √(Var z_j + 1e-4)) and c = Σ_{i≠j} C_ij² / d,
 * as in the official implementation (facebookresearch/vicreg).
 */
export function vicregLoss(za: tf.Tensor2D, zb: tf.Tensor2D, w: VICRegWeights): VICRegLossParts {
  assertKnownOptions("w", w, ["inv", "var", "cov"]);
  for (const k of ["inv", "var", "cov"] as const) {
    if (typeof w[k] !== "number" || !Number.isFinite(w[k]) || w[k] < 0)
      fail(`w.${k}`, `must be a finite number >= 0, got ${w[k]}`);
  }
  if (!(za instanceof tf.Tensor) || za.rank !== 2) fail("za", "must be a 2-D tensor [batch, dim]");
  if (!(zb instanceof tf.Tensor) || zb.rank !== 2) fail("zb", "must be a 2-D tensor [batch, dim]");
  if (za.shape[0] !== zb.shape[0] || za.shape[1] !== zb.shape[1])
    fail("zb", `shape [${zb.shape}] does not match za's [${za.shape}]`);
  if (za.shape[0] < 2) fail("za", `needs at least 2 rows for a variance, got ${za.shape[0]}`);
  return tf.tidy(() => {
    const inv = tf.mean(tf.squaredDifference(za, zb)) as tf.Scalar;
    const v = tf.div(tf.add(varTerm(za), varTerm(zb)), 2) as tf.Scalar;
    const c = tf.add(covTerm(za), covTerm(zb)) as tf.Scalar;
    const loss = tf.addN([tf.mul(inv, w.inv), tf.mul(v, w.var), tf.mul(c, w.cov)]) as tf.Scalar;
    return { loss, inv, var: v, cov: c };
  });
}

export interface JointEmbeddingConfig {
  /** Encoder widths, input first; its output is the representation. e.g. [784, 256, 32]. */
  encoder: number[];
  /** Projector widths after the representation; its output is the embedding. e.g. [128, 64]. */
  projector: number[];
}

/** Encoder (ReLU stack, linear output = representation) plus projector (output = embedding). */
export class JointEmbeddingModel {
  readonly encoder: MLP;
  readonly projector: MLP;
  constructor(cfg: JointEmbeddingConfig) {
    assertKnownOptions("cfg", cfg, ["encoder", "projector"]);
    if (!Array.isArray(cfg.encoder) || cfg.encoder.length < 2)
      fail("cfg.encoder", "needs input and representation widths");
    if (!Array.isArray(cfg.projector) || cfg.projector.length < 1)
      fail("cfg.projector", "needs at least the embedding width");
    this.encoder = new MLP({ sizes: cfg.encoder, activation: "relu", init: "he" });
    this.projector = new MLP({
      sizes: [cfg.encoder[cfg.encoder.length - 1], ...cfg.projector],
      activation: "relu",
      init: "he",
    });
  }
  represent(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.encoder.forward(x));
  }
  embed(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.projector.forward(this.encoder.forward(x)));
  }
  variables(): tf.Variable[] {
    return [...this.encoder.variables(), ...this.projector.variables()];
  }
  dispose(): void {
    this.encoder.dispose();
    this.projector.dispose();
  }
}

export interface AugmentOptions {
  /** Image height and width (default 28×28). */
  height?: number;
  width?: number;
  /** Maximum shift in pixels, uniform in [−s, s] per axis (default 3). */
  shift?: number;
  /** Probability a pixel is zeroed (default 0.2). */
  dropout?: number;
  /** Std of added Gaussian noise (default 0.1). */
  noise?: number;
}

/**
 * One augmented view of `rows` images taken from row-major `x` (seeded by `rng`): random
 * shift with zero fill, pixel dropout, Gaussian noise.
 */
export function augmentImages(
  x: Float32Array,
  rows: ArrayLike<number>,
  rng: Rng,
  opts: AugmentOptions = {},
): Float32Array {
  assertKnownOptions("opts", opts, ["height", "width", "shift", "dropout", "noise"]);
  const h = opts.height ?? 28;
  const w = opts.width ?? 28;
  const shift = opts.shift ?? 3;
  const drop = opts.dropout ?? 0.2;
  const noise = opts.noise ?? 0.1;
  const dim = h * w;
  if (x.length % dim !== 0) fail("x", `has ${x.length} values, not a multiple of ${h}×${w}`);
  const n = x.length / dim;
  const out = new Float32Array(rows.length * dim);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (!Number.isInteger(r) || r < 0 || r >= n) fail("rows", `entry ${k} is ${r}; expected an index in [0, ${n})`);
    const dy = rng.int(2 * shift + 1) - shift;
    const dx = rng.int(2 * shift + 1) - shift;
    const src = r * dim;
    const dst = k * dim;
    for (let i = 0; i < h; i++) {
      const si = i - dy;
      for (let j = 0; j < w; j++) {
        const sj = j - dx;
        let v = si >= 0 && si < h && sj >= 0 && sj < w ? x[src + si * w + sj] : 0;
        if (drop > 0 && rng.next() < drop) v = 0;
        if (noise > 0) v += noise * rng.normal();
        out[dst + i * w + j] = v;
      }
    }
  }
  return out;
}

/** Applies `fn` to `x` in row blocks and returns the concatenated [n, out] result as Float32Array. */
export function mapRows(
  x: Float32Array,
  dim: number,
  fn: (b: tf.Tensor2D) => tf.Tensor2D,
  batch = 2048,
): { data: Float32Array; cols: number } {
  assertPositiveInt("batch", batch);
  const n = x.length / dim;
  const parts: Float32Array[] = [];
  let cols = 0;
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const y = tf.tidy(() => fn(tf.tensor2d(x.subarray(s * dim, e * dim), [e - s, dim])));
    cols = y.shape[1];
    parts.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  const data = new Float32Array(n * cols);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, cols };
}
