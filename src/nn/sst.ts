// Sparse Spectral Training (Zhao et al., NeurIPS 2024), Euclidean part: a linear layer held
// as its SVD, W = U·diag(s)·Vᵀ (tfjs [in, out] layout: U [in, k], V [out, k], k = min(in, out)).
// Every step updates all singular values s, but only r singular-vector pairs (columns of U
// and V) chosen by multinomial sampling without replacement with p_i ∝ s_i; the choice is
// redrawn every `resampleEvery` steps, and every `reorthEvery` steps W is re-decomposed so
// U and V are orthonormal again. The loop's hooks carry this: transformGrads zeroes the
// gradients of unsampled columns, postStep restores those columns (Adam's momentum would
// otherwise keep moving them), resamples and re-orthogonalises.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { svd } from "../linalg/decompose";

/**
 * r distinct indices drawn without replacement, each draw with probability proportional to
 * the weight among those not yet drawn (successive multinomial draws). Weights must be ≥ 0
 * with at least r positive.
 */
export function sampleByWeight(weights: ArrayLike<number>, r: number, rng: Rng): number[] {
  const k = weights.length;
  if (!Number.isInteger(r) || r < 0 || r > k) fail("r", `must be an integer in [0, ${k}], got ${r}`);
  const w = Array.from(weights);
  w.forEach((v, i) => {
    if (!(v >= 0 && Number.isFinite(v))) fail("weights", `entry ${i} is ${v}; weights are finite and ≥ 0`);
  });
  if (w.filter((v) => v > 0).length < r) fail("weights", `needs at least ${r} positive entries`);
  const out: number[] = [];
  for (let t = 0; t < r; t++) {
    const total = w.reduce((a, b) => a + b, 0);
    let u = rng.next() * total;
    let pick = -1;
    for (let i = 0; i < k; i++) {
      if (w[i] <= 0) continue;
      pick = i;
      u -= w[i];
      if (u < 0) break;
    }
    out.push(pick);
    w[pick] = 0;
  }
  return out.sort((a, b) => a - b);
}

/** Parameters an SST layer stores: k(in + out) + k (+ out bias), k = min(in, out). */
export function sstStoredParams(inDim: number, outDim: number, bias = true): number {
  const k = Math.min(inDim, outDim);
  return k * (inDim + outDim) + k + (bias ? outDim : 0);
}

/** Parameters an SST layer updates per step: r(in + out) + k (+ out bias). */
export function sstTrainableParams(inDim: number, outDim: number, rank: number, bias = true): number {
  return rank * (inDim + outDim) + Math.min(inDim, outDim) + (bias ? outDim : 0);
}

/** The two training-loop hooks SST needs (structurally a train/loop TrainHook). */
export interface SSTHook {
  transformGrads(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor>;
  postStep(step: number): void;
}

export interface SSTLinearOptions {
  inDim: number;
  outDim: number;
  /** Singular-vector pairs updated at a time. */
  rank: number;
  /** Seed of the initial weight (U(±1/√in), then SVD) and of the sampling stream. */
  seed: number;
  /** Steps between redraws of the sampled vectors (default 50). */
  resampleEvery?: number;
  /** Steps between re-SVDs of W (default 200). */
  reorthEvery?: number;
  bias?: boolean;
}

export class SSTLinear {
  readonly u: tf.Variable<tf.Rank.R2>;
  readonly s: tf.Variable<tf.Rank.R1>;
  readonly v: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1> | null;
  readonly inDim: number;
  readonly outDim: number;
  readonly k: number;
  readonly rank: number;
  readonly resampleEvery: number;
  readonly reorthEvery: number;
  /** Currently sampled singular-vector indices (sorted). */
  sampled: number[] = [];
  /** Count of re-orthogonalisations done. */
  reorths = 0;
  private rng: Rng;
  private colMask: tf.Tensor2D | null = null;
  private uFrozen: tf.Tensor2D | null = null;
  private vFrozen: tf.Tensor2D | null = null;

  constructor(opts: SSTLinearOptions) {
    assertKnownOptions("opts", opts, ["inDim", "outDim", "rank", "seed", "resampleEvery", "reorthEvery", "bias"]);
    const { inDim, outDim, rank, seed } = opts;
    assertPositiveInt("opts.inDim", inDim);
    assertPositiveInt("opts.outDim", outDim);
    assertPositiveInt("opts.rank", rank);
    this.k = Math.min(inDim, outDim);
    if (rank > this.k) fail("opts.rank", `must be ≤ min(inDim, outDim) = ${this.k}, got ${rank}`);
    if (!Number.isFinite(seed)) fail("opts.seed", `must be a finite number, got ${seed}`);
    this.resampleEvery = opts.resampleEvery ?? 50;
    this.reorthEvery = opts.reorthEvery ?? 200;
    assertPositiveInt("opts.resampleEvery", this.resampleEvery);
    assertPositiveInt("opts.reorthEvery", this.reorthEvery);
    this.inDim = inDim;
    this.outDim = outDim;
    this.rank = rank;
    this.rng = new Rng(seed);
    const bound = 1 / Math.sqrt(inDim);
    const w0 = Array.from({ length: inDim }, () =>
      Array.from({ length: outDim }, () => (2 * this.rng.next() - 1) * bound),
    );
    const d = svd(w0);
    this.u = tf.variable(tf.tensor2d(d.U), true);
    this.s = tf.variable(tf.tensor1d(d.S), true);
    this.v = tf.variable(tf.tensor2d(d.V), true);
    this.bias = (opts.bias ?? true) ? (tf.variable(tf.zeros([outDim]), true) as tf.Variable<tf.Rank.R1>) : null;
    this.resample();
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inDim) fail("x", `must be [batch, ${this.inDim}], got [${x.shape}]`);
    return tf.tidy(() => {
      const h = tf.matMul(tf.mul(tf.matMul(x, this.u), this.s), this.v, false, true);
      return (this.bias ? tf.add(h, this.bias) : h) as tf.Tensor2D;
    });
  }

  denseWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.mul(this.u, this.s), this.v, false, true));
  }

  variables(): tf.Variable[] {
    return this.bias ? [this.u, this.s, this.v, this.bias] : [this.u, this.s, this.v];
  }

  /** Redraws the sampled vectors (p ∝ current |s|) and freezes the others at their values. */
  resample(): void {
    // A trained s_i can cross zero between re-SVDs; |s_i| is that vector's singular value.
    this.sampled = sampleByWeight(Array.from(this.s.dataSync(), Math.abs), this.rank, this.rng);
    const m = new Float32Array(this.k);
    this.sampled.forEach((i) => (m[i] = 1));
    this.colMask?.dispose();
    this.uFrozen?.dispose();
    this.vFrozen?.dispose();
    this.colMask = tf.tensor2d(m, [1, this.k]);
    this.uFrozen = tf.clone(this.u);
    this.vFrozen = tf.clone(this.v);
  }

  /** Re-decomposes W = U diag(s) Vᵀ so that U and V are orthonormal again (W unchanged). */
  reorthogonalize(): void {
    const w = tf.tidy(() => this.denseWeight().arraySync());
    const d = svd(w);
    tf.tidy(() => {
      this.u.assign(tf.tensor2d(d.U));
      this.s.assign(tf.tensor1d(d.S));
      this.v.assign(tf.tensor2d(d.V));
    });
    this.reorths++;
  }

  /** Largest |UᵀU − I| and |VᵀV − I| entry (0 for exactly orthonormal factors). */
  orthogonalityError(): number {
    return tf.tidy(() => {
      const eye = tf.eye(this.k);
      const eu = tf.max(tf.abs(tf.sub(tf.matMul(this.u, this.u, true, false), eye))).dataSync()[0];
      const ev = tf.max(tf.abs(tf.sub(tf.matMul(this.v, this.v, true, false), eye))).dataSync()[0];
      return Math.max(eu, ev);
    });
  }

  /** The training-loop hook: masks unsampled vectors' gradients, restores them, resamples, re-SVDs. */
  hook(): SSTHook {
    return {
      transformGrads: (grads) => {
        const out = { ...grads };
        for (const v of [this.u, this.v]) {
          const g = grads[v.name];
          // The loop calls this inside its tidy, which frees the replaced gradient.
          if (g) out[v.name] = tf.mul(g, this.colMask!);
        }
        return out;
      },
      postStep: (step) => {
        tf.tidy(() => {
          // Singular values stay ≥ 0 (a projected step, as in the paper).
          this.s.assign(tf.relu(this.s));
          const keep = tf.sub(1, this.colMask!);
          this.u.assign(tf.add(tf.mul(this.u, this.colMask!), tf.mul(this.uFrozen!, keep)));
          this.v.assign(tf.add(tf.mul(this.v, this.colMask!), tf.mul(this.vFrozen!, keep)));
        });
        if (step % this.reorthEvery === 0) this.reorthogonalize();
        if (step % this.resampleEvery === 0 || step % this.reorthEvery === 0) this.resample();
      },
    };
  }

  /** Parameters updated per step (r vector pairs, every s, the bias). */
  trainableParams(): number {
    return sstTrainableParams(this.inDim, this.outDim, this.rank, !!this.bias);
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
    this.colMask?.dispose();
    this.uFrozen?.dispose();
    this.vFrozen?.dispose();
  }
}
