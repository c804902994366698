// Ghost batch normalisation (Hoffer, Hubara & Soudry, NeurIPS'17): a large batch is split
// into chunks of `ghostSize` rows, each normalised with its own statistics; running
// statistics (the chunks' mean statistics) serve at test time. ghostSize ≥ batch is plain BN.
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { initWeight } from "./mlp";

const BN_EPS = 1e-5;

/**
 * Ghost BN of x [B, C] in training mode: chunks of ghostSize rows (B must be a multiple, or
 * ≤ ghostSize for one chunk). Returns the normalised x and the chunk-averaged mean and
 * (biased) variance [C] for the running statistics.
 */
export function ghostBatchNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  ghostSize: number,
): { y: tf.Tensor2D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  assertPositiveInt("ghostSize", ghostSize);
  if (x.rank !== 2) fail("x", `must be 2-D [batch, channels], got rank ${x.rank}`);
  const [B, C] = x.shape;
  const g = Math.min(ghostSize, B);
  if (B % g !== 0) fail("ghostSize", `${ghostSize} does not divide the batch (${B} rows)`);
  if (gamma.shape[0] !== C || beta.shape[0] !== C) fail("gamma", `gamma and beta need ${C} entries`);
  return tf.tidy(() => {
    const xs = tf.reshape(x, [B / g, g, C]);
    const { mean, variance } = tf.moments(xs, 1, true); // [B/g, 1, C]
    const norm = tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, BN_EPS)));
    const y = tf.add(tf.mul(tf.reshape(norm, [B, C]), gamma), beta) as tf.Tensor2D;
    return {
      y,
      mean: tf.reshape(tf.mean(mean, 0), [C]) as tf.Tensor1D,
      variance: tf.reshape(tf.mean(variance, 0), [C]) as tf.Tensor1D,
    };
  });
}

export interface BnMlpConfig {
  sizes: number[];
  /** Rows per ghost batch in training (Infinity or ≥ batch: plain BN). */
  ghostSize?: number;
  /** Running-statistics momentum (torch convention, default 0.1). */
  momentum?: number;
}

/** A ReLU MLP with (ghost) BN after every hidden Dense layer; `training` selects batch vs running statistics. */
export class BnMlp {
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  readonly gammas: tf.Variable<tf.Rank.R1>[] = [];
  readonly betas: tf.Variable<tf.Rank.R1>[] = [];
  readonly runMean: tf.Variable<tf.Rank.R1>[] = [];
  readonly runVar: tf.Variable<tf.Rank.R1>[] = [];
  ghostSize: number;
  readonly momentum: number;

  constructor(config: BnMlpConfig) {
    assertKnownOptions("config", config, ["sizes", "ghostSize", "momentum"]);
    const { sizes } = config;
    if (!Array.isArray(sizes) || sizes.length < 2) fail("config.sizes", "needs at least input and output widths");
    sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s <= 0) fail("config.sizes", `entry ${i} is ${s}; widths are positive integers`);
    });
    this.ghostSize = config.ghostSize ?? Infinity;
    if (!(this.ghostSize >= 1)) fail("config.ghostSize", `must be ≥ 1, got ${this.ghostSize}`);
    this.momentum = config.momentum ?? 0.1;
    if (!(this.momentum > 0 && this.momentum <= 1)) fail("config.momentum", `must lie in (0, 1], got ${this.momentum}`);
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fi, fo] = [sizes[l], sizes[l + 1]];
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(initWeight(fi, fo, "he"), [fi, fo]), true)));
      this.biases.push(tf.tidy(() => tf.variable(tf.zeros([fo]), true) as tf.Variable<tf.Rank.R1>));
      if (l + 2 < sizes.length) {
        this.gammas.push(tf.tidy(() => tf.variable(tf.ones([fo]), true) as tf.Variable<tf.Rank.R1>));
        this.betas.push(tf.tidy(() => tf.variable(tf.zeros([fo]), true) as tf.Variable<tf.Rank.R1>));
        this.runMean.push(tf.tidy(() => tf.variable(tf.zeros([fo]), false) as tf.Variable<tf.Rank.R1>));
        this.runVar.push(tf.tidy(() => tf.variable(tf.ones([fo]), false) as tf.Variable<tf.Rank.R1>));
      }
    }
  }

  /** Logits; training mode normalises by (ghost) batch statistics and updates the running ones. */
  forward(x: tf.Tensor2D, training = false): tf.Tensor2D {
    const L = this.weights.length;
    if (x.rank !== 2 || x.shape[1] !== this.weights[0].shape[0])
      fail("x", `must be [batch, ${this.weights[0].shape[0]}], got [${x.shape}]`);
    let h = x;
    for (let l = 0; l < L; l++) {
      const z = tf.add(tf.matMul(h, this.weights[l]), this.biases[l]) as tf.Tensor2D;
      if (l + 1 === L) return z;
      let n: tf.Tensor2D;
      if (training) {
        const g = Number.isFinite(this.ghostSize) ? this.ghostSize : z.shape[0];
        const r = ghostBatchNorm(z, this.gammas[l], this.betas[l], g);
        const m = this.momentum;
        this.runMean[l].assign(tf.add(tf.mul(this.runMean[l], 1 - m), tf.mul(r.mean, m)) as tf.Tensor1D);
        this.runVar[l].assign(tf.add(tf.mul(this.runVar[l], 1 - m), tf.mul(r.variance, m)) as tf.Tensor1D);
        n = r.y;
      } else {
        const s = tf.div(this.gammas[l], tf.sqrt(tf.add(this.runVar[l], BN_EPS)));
        n = tf.add(tf.mul(tf.sub(z, this.runMean[l]), s), this.betas[l]) as tf.Tensor2D;
      }
      h = tf.relu(n);
    }
    return h;
  }

  variables(): tf.Variable[] {
    return [...this.weights, ...this.biases, ...this.gammas, ...this.betas];
  }

  dispose(): void {
    for (const v of [...this.variables(), ...this.runMean, ...this.runVar]) v.dispose();
  }
}
