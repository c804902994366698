// SLTrain (Han et al., NeurIPS 2024): a linear layer trained from scratch as a low-rank
// product plus a sparse matrix on a random support that is drawn once and never changes,
//   W = (α/r)·B·A + S   (PyTorch [out, in] layout).
// In the tfjs [in, out] layout this is W = scale·a·b + S⊙M with a = Aᵀ [in, r], b = Bᵀ [r, out].
// S is held as a dense variable masked in the forward pass: off-support entries get zero
// gradient, start at zero, and (with Adam and no weight decay) stay exactly zero. Only the
// nnz support values count as parameters; the support itself is reproducible from its seed.
// With delta = 0 the layer is plain low-rank training ("LoRA from scratch": B·A only).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertInRange, assertKnownOptions, assertPositiveInt, fail } from "../core/validate";

export interface SLTrainLinearOptions {
  inDim: number;
  outDim: number;
  /** Rank r of the low-rank part (≤ min(inDim, outDim)). */
  rank: number;
  /** Fraction δ of the inDim·outDim entries on the sparse support, in [0, 1); 0 = low-rank only. */
  delta: number;
  /** Scale numerator: the product is multiplied by alpha / rank (default: rank, i.e. scale 1). */
  alpha?: number;
  /** Seed of the support and of the initial values. */
  seed: number;
  /** Add a bias vector (default true). */
  bias?: boolean;
  /**
   * Init of Bᵀ: "zeros" (SLTrain's default) or "uniform" U(±1/√r). Stacked layers with no
   * sparse part and B = 0 pass no signal and no gradient (every hidden activation is the
   * bias), so a low-rank-only MLP trained from scratch needs "uniform".
   */
  bInit?: "zeros" | "uniform";
}

/** Number of support entries for a δ fraction of an inDim × outDim matrix. */
export function sparseNnz(inDim: number, outDim: number, delta: number): number {
  return Math.round(delta * inDim * outDim);
}

/**
 * A uniformly random support of round(δ·inDim·outDim) distinct flat indices (row-major in the
 * [in, out] layout), sorted; the same seed gives the same support.
 */
export function sparseSupport(inDim: number, outDim: number, delta: number, seed: number): Int32Array {
  assertPositiveInt("inDim", inDim);
  assertPositiveInt("outDim", outDim);
  assertInRange("delta", delta, 0, 1);
  if (delta >= 1) fail("delta", `must be < 1 (a full support is dense training), got ${delta}`);
  const total = inDim * outDim;
  const k = sparseNnz(inDim, outDim, delta);
  const rng = new Rng(seed);
  // Partial Fisher–Yates over the first k positions: k distinct indices without replacement.
  const idx = new Int32Array(total);
  for (let i = 0; i < total; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(total - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k).sort();
}

/** Trainable parameters of an SLTrain layer: r·(in + out) + nnz (+ out for the bias). */
export function sltrainParamCount(inDim: number, outDim: number, rank: number, delta: number, bias = true): number {
  return rank * (inDim + outDim) + sparseNnz(inDim, outDim, delta) + (bias ? outDim : 0);
}

/** The low-rank-only rank whose r·(in + out) is closest to a parameter budget (bias excluded). */
export function matchedLowRank(inDim: number, outDim: number, budget: number): number {
  if (!(budget > 0)) fail("budget", `must be positive, got ${budget}`);
  return Math.max(1, Math.min(Math.min(inDim, outDim), Math.round(budget / (inDim + outDim))));
}

export class SLTrainLinear {
  /** Aᵀ [in, r], Kaiming-uniform (a = √5), i.e. U(±1/√in). */
  readonly a: tf.Variable<tf.Rank.R2>;
  /** Bᵀ [r, out], zeros (or U(±1/√r), see bInit). */
  readonly b: tf.Variable<tf.Rank.R2>;
  /** Sparse part held densely [in, out]; non-zero only on `support` (null when δ = 0). */
  readonly s: tf.Variable<tf.Rank.R2> | null;
  readonly mask: tf.Tensor2D | null;
  readonly bias: tf.Variable<tf.Rank.R1> | null;
  readonly support: Int32Array;
  readonly scale: number;
  readonly inDim: number;
  readonly outDim: number;
  readonly rank: number;

  constructor(opts: SLTrainLinearOptions) {
    assertKnownOptions("opts", opts, ["inDim", "outDim", "rank", "delta", "alpha", "seed", "bias", "bInit"]);
    const { inDim, outDim, rank, delta, seed } = opts;
    assertPositiveInt("opts.inDim", inDim);
    assertPositiveInt("opts.outDim", outDim);
    assertPositiveInt("opts.rank", rank);
    if (rank > Math.min(inDim, outDim)) fail("opts.rank", `must be ≤ min(inDim, outDim) = ${Math.min(inDim, outDim)}`);
    if (!Number.isFinite(seed)) fail("opts.seed", `must be a finite number, got ${seed}`);
    const alpha = opts.alpha ?? rank;
    if (!(alpha > 0 && Number.isFinite(alpha))) fail("opts.alpha", `must be a positive number, got ${alpha}`);
    this.inDim = inDim;
    this.outDim = outDim;
    this.rank = rank;
    this.scale = alpha / rank;
    this.support = sparseSupport(inDim, outDim, delta, seed);
    const rng = new Rng(seed + 7919);
    const bound = 1 / Math.sqrt(inDim);
    const aInit = new Float32Array(inDim * rank);
    for (let i = 0; i < aInit.length; i++) aInit[i] = (2 * rng.next() - 1) * bound;
    this.a = tf.variable(tf.tensor2d(aInit, [inDim, rank]), true);
    const bInit = opts.bInit ?? "zeros";
    if (bInit !== "zeros" && bInit !== "uniform") fail("opts.bInit", `unknown init "${bInit}" (known: zeros, uniform)`);
    const bVals = new Float32Array(rank * outDim);
    if (bInit === "uniform") for (let i = 0; i < bVals.length; i++) bVals[i] = (2 * rng.next() - 1) / Math.sqrt(rank);
    this.b = tf.variable(tf.tensor2d(bVals, [rank, outDim]), true);
    if (this.support.length > 0) {
      const sInit = new Float32Array(inDim * outDim);
      const m = new Float32Array(inDim * outDim);
      for (const k of this.support) {
        sInit[k] = (2 * rng.next() - 1) * bound;
        m[k] = 1;
      }
      this.s = tf.variable(tf.tensor2d(sInit, [inDim, outDim]), true);
      this.mask = tf.tensor2d(m, [inDim, outDim]);
    } else {
      this.s = null;
      this.mask = null;
    }
    this.bias = (opts.bias ?? true) ? (tf.variable(tf.zeros([outDim]), true) as tf.Variable<tf.Rank.R1>) : null;
  }

  /** x [batch, in] → x·W + bias, without forming the dense W for the low-rank part. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inDim) fail("x", `must be [batch, ${this.inDim}], got [${x.shape}]`);
    return tf.tidy(() => {
      let h = tf.matMul(tf.matMul(x, this.a), this.b);
      if (this.scale !== 1) h = tf.mul(h, this.scale);
      if (this.s && this.mask) h = tf.add(h, tf.matMul(x, tf.mul(this.s, this.mask)));
      if (this.bias) h = tf.add(h, this.bias);
      return h as tf.Tensor2D;
    });
  }

  /** The dense [in, out] weight scale·a·b + S⊙M (for checks and spectra). */
  denseWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const w = tf.mul(tf.matMul(this.a, this.b), this.scale) as tf.Tensor2D;
      return this.s && this.mask ? (tf.add(w, tf.mul(this.s, this.mask)) as tf.Tensor2D) : w;
    });
  }

  variables(): tf.Variable[] {
    const v: tf.Variable[] = [this.a, this.b];
    if (this.s) v.push(this.s);
    if (this.bias) v.push(this.bias);
    return v;
  }

  /** Trainable parameters, counting only the nnz support values of S. */
  parameterCount(): number {
    return this.rank * (this.inDim + this.outDim) + this.support.length + (this.bias ? this.outDim : 0);
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
    this.mask?.dispose();
  }
}
