// Interval bound propagation (IBP) through Dense / BatchNorm / ReLU MLPs: boxes as
// (center, radius), the margin bounds with the margin matrix folded into the last layer,
// the IBP cross-entropy, the IBP initialisation and warm-up regularisers of Shi et al.
// (NeurIPS'21), and certified accuracy. Weights are [in, out] like src/nn/mlp.ts.
import * as tf from "@tensorflow/tfjs";
import { randn } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { Dataset } from "../data/dataset";
import { initWeight } from "./mlp";

/** An axis-aligned box: lower = center − radius, upper = center + radius (radius ≥ 0). */
export interface Box {
  center: tf.Tensor2D;
  radius: tf.Tensor2D;
}

/** The L∞ ball of radius eps around x, clipped to `range` (default [0, 1]; null: no clip). */
export function inputBox(x: tf.Tensor2D, eps: number, range: [number, number] | null = [0, 1]): Box {
  if (!(eps >= 0) || !Number.isFinite(eps)) fail("eps", `must be a finite number ≥ 0, got ${eps}`);
  if (x.rank !== 2) fail("x", `must be 2-D [batch, features], got rank ${x.rank}`);
  return tf.tidy(() => {
    let lo = tf.sub(x, eps);
    let hi = tf.add(x, eps);
    if (range) {
      lo = tf.clipByValue(lo, range[0], range[1]);
      hi = tf.clipByValue(hi, range[0], range[1]);
    }
    return { center: tf.div(tf.add(lo, hi), 2) as tf.Tensor2D, radius: tf.div(tf.sub(hi, lo), 2) as tf.Tensor2D };
  });
}

/** Dense layer on a box: center W·c + b, radius |W|·r (exact for one affine map). */
export function boxDense(b: Box, w: tf.Tensor2D, bias?: tf.Tensor1D | null): Box {
  if (b.center.shape[1] !== w.shape[0]) fail("w", `has ${w.shape[0]} inputs; the box has ${b.center.shape[1]}`);
  let c = tf.matMul(b.center, w);
  if (bias) c = tf.add(c, bias);
  return { center: c as tf.Tensor2D, radius: tf.matMul(b.radius, tf.abs(w)) };
}

/** A per-feature affine map x·s + t on a box (BatchNorm): one map for both ends, |s| on the radius. */
export function boxAffine(b: Box, scale: tf.Tensor1D, shift: tf.Tensor1D): Box {
  return { center: tf.add(tf.mul(b.center, scale), shift), radius: tf.mul(b.radius, tf.abs(scale)) };
}

/** ReLU on a box: [relu(l), relu(u)]. */
export function boxRelu(b: Box): Box {
  const lo = tf.relu(tf.sub(b.center, b.radius));
  const hi = tf.relu(tf.add(b.center, b.radius));
  return { center: tf.div(tf.add(lo, hi), 2) as tf.Tensor2D, radius: tf.div(tf.sub(hi, lo), 2) as tf.Tensor2D };
}

/**
 * Lower bounds of the margins z_y − z_j over the box of the last layer's input (the margin
 * matrix folded into the last Dense layer, tighter than subtracting logit bounds). [B, K];
 * the entry j = y is 0.
 */
export function marginLowerBounds(h: Box, w: tf.Tensor2D, bias: tf.Tensor1D | null, y: tf.Tensor1D): tf.Tensor2D {
  const [B, n] = h.center.shape;
  const K = w.shape[1];
  if (w.shape[0] !== n) fail("w", `has ${w.shape[0]} inputs; the box has ${n}`);
  if (y.rank !== 1 || y.shape[0] !== B) fail("y", `must hold one label per row (${B}), got shape [${y.shape}]`);
  return tf.tidy(() => {
    const onehot = tf.oneHot(y, K).toFloat() as tf.Tensor2D;
    let z = tf.matMul(h.center, w);
    if (bias) z = tf.add(z, bias);
    const zy = tf.sum(tf.mul(z, onehot), 1, true);
    const center = tf.sub(zy, z);
    const wt = tf.transpose(w) as tf.Tensor2D; // [K, n]
    const wy = tf.matMul(onehot, wt); // [B, n]: the label's row
    const d = tf.sub(tf.reshape(wy, [B, 1, n]), tf.reshape(wt, [1, K, n])); // [B, K, n]
    const radius = tf.sum(tf.mul(tf.reshape(h.radius, [B, 1, n]), tf.abs(d)), 2);
    return tf.sub(center, radius) as tf.Tensor2D;
  });
}

/** Cross-entropy of the worst-case logits −margin (Gowal et al.'s IBP loss). */
export function ibpCrossEntropy(marginLower: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const K = marginLower.shape[1];
    const lp = tf.logSoftmax(tf.neg(marginLower));
    return tf.neg(tf.mean(tf.sum(tf.mul(lp, tf.oneHot(y, K).toFloat()), 1))) as tf.Scalar;
  });
}

/** Shi et al.'s IBP initialisation: N(0, 2π / fan_in²), which keeps the IBP radius ≈ constant per ReLU layer. */
export function ibpInitWeight(fanIn: number, fanOut: number): Float32Array {
  assertPositiveInt("fanIn", fanIn);
  assertPositiveInt("fanOut", fanOut);
  const std = Math.sqrt(2 * Math.PI) / fanIn;
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = randn() * std;
  return out;
}

/**
 * Shi et al.'s warm-up regularisers over the hidden layers' pre-activation boxes (after BN):
 * tightness = mean_l relu(τ − r̄_0 / r̄_l) / τ; relu = mean_l [relu(τ − min(q, 1/q)) / τ] summed
 * over q ∈ {mean ratio, variance ratio} of the active vs inactive centers.
 */
export function ibpWarmupRegularizers(input: Box, pre: Box[], tau = 0.5): { tightness: tf.Scalar; relu: tf.Scalar } {
  if (!(tau > 0)) fail("tau", `must be > 0, got ${tau}`);
  if (pre.length === 0) fail("pre", "needs at least one hidden layer's box");
  return tf.tidy(() => {
    const r0 = tf.mean(input.radius);
    let tight: tf.Tensor = tf.scalar(0);
    let relu: tf.Tensor = tf.scalar(0);
    const tiny = 1e-12;
    for (const b of pre) {
      const rl = tf.maximum(tf.mean(b.radius), tiny);
      tight = tf.add(tight, tf.div(tf.relu(tf.sub(tau, tf.div(r0, rl))), tau));
      const lo = tf.sub(b.center, b.radius);
      const hi = tf.add(b.center, b.radius);
      const act = tf.step(lo); // step, not greater: it has a (zero) gradient on the tape
      const inact = tf.step(tf.neg(hi));
      const meanAct = tf.mean(tf.mul(b.center, act));
      const meanInact = tf.neg(tf.mean(tf.mul(b.center, inact)));
      const delta = tf.square(tf.sub(b.center, tf.mean(b.center)));
      const varAct = tf.sum(tf.mul(delta, act));
      const varInact = tf.sum(tf.mul(delta, inact));
      const balance = (a: tf.Tensor, c: tf.Tensor) => {
        const q = tf.div(a, tf.maximum(c, tiny));
        const m = tf.minimum(q, tf.div(1, tf.maximum(q, tiny)));
        return tf.div(tf.relu(tf.sub(tau, m)), tau);
      };
      relu = tf.add(relu, tf.add(balance(meanAct, meanInact), balance(varAct, varInact)));
    }
    return { tightness: tf.div(tight, pre.length) as tf.Scalar, relu: tf.div(relu, pre.length) as tf.Scalar };
  });
}

export interface IbpMlpConfig {
  /** Widths including input and output, e.g. [784, 256, 256, 10]. */
  sizes: number[];
  /** BatchNorm after every hidden Dense layer (before its ReLU). */
  batchNorm?: boolean;
  /** "ibp": N(0, 2π/fan_in²) on hidden layers (He on the last); "he": N(0, 2/fan_in) everywhere. */
  init?: "ibp" | "he";
  /** Running-statistics momentum (torch convention: new = (1 − m)·old + m·batch; default 0.1). */
  bnMomentum?: number;
}

interface BnParams {
  gamma: tf.Variable<tf.Rank.R1>;
  beta: tf.Variable<tf.Rank.R1>;
  mean: tf.Variable<tf.Rank.R1>;
  variance: tf.Variable<tf.Rank.R1>;
}

/** One pass: clean logits, the logits box, the hidden pre-activation boxes (after BN), the last layer's input box. */
export interface IbpPass {
  logits: tf.Tensor2D;
  input: Box;
  pre: Box[];
  /** Clean pre-activations (after BN) of each hidden layer: their signs are the ReLU pattern. */
  cleanPre: tf.Tensor2D[];
  last: Box;
}

const BN_EPS = 1e-5;

/** A ReLU MLP with optional BatchNorm that propagates a clean input and an input box together. */
export class IbpMlp {
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  readonly bn: BnParams[] = [];
  readonly config: Required<IbpMlpConfig>;

  constructor(config: IbpMlpConfig) {
    assertKnownOptions("config", config, ["sizes", "batchNorm", "init", "bnMomentum"]);
    const { sizes } = config;
    if (!Array.isArray(sizes) || sizes.length < 2) fail("config.sizes", "needs at least input and output widths");
    sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s <= 0) fail("config.sizes", `entry ${i} is ${s}; widths are positive integers`);
    });
    const init = config.init ?? "he";
    if (init !== "ibp" && init !== "he") fail("config.init", `unknown init "${init}" (known: ibp, he)`);
    const m = config.bnMomentum ?? 0.1;
    if (!(m > 0 && m <= 1)) fail("config.bnMomentum", `must lie in (0, 1], got ${m}`);
    this.config = { sizes: [...sizes], batchNorm: config.batchNorm ?? false, init, bnMomentum: m };
    const L = sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const [fi, fo] = [sizes[l], sizes[l + 1]];
      // The IBP init skips the last layer (it feeds the margin, not another ReLU).
      const w = init === "ibp" && l + 1 < L ? ibpInitWeight(fi, fo) : initWeight(fi, fo, "he");
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(w, [fi, fo]), true)));
      this.biases.push(tf.tidy(() => tf.variable(tf.zeros([fo]), true) as tf.Variable<tf.Rank.R1>));
      if (this.config.batchNorm && l + 1 < L)
        this.bn.push(
          tf.tidy(() => ({
            gamma: tf.variable(tf.ones([fo]), true) as tf.Variable<tf.Rank.R1>,
            beta: tf.variable(tf.zeros([fo]), true) as tf.Variable<tf.Rank.R1>,
            mean: tf.variable(tf.zeros([fo]), false) as tf.Variable<tf.Rank.R1>,
            variance: tf.variable(tf.ones([fo]), false) as tf.Variable<tf.Rank.R1>,
          })),
        );
    }
  }

  /** BN of hidden layer l as a per-feature (scale, shift): batch statistics of the clean pass when training. */
  private bnAffine(l: number, cleanZ: tf.Tensor2D, training: boolean): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    const p = this.bn[l];
    let mean: tf.Tensor1D = p.mean;
    let variance: tf.Tensor1D = p.variance;
    if (training) {
      const mo = tf.moments(cleanZ, 0);
      mean = mo.mean as tf.Tensor1D;
      variance = mo.variance as tf.Tensor1D;
      const m = this.config.bnMomentum;
      const n = cleanZ.shape[0];
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      p.mean.assign(tf.add(tf.mul(p.mean, 1 - m), tf.mul(mean, m)) as tf.Tensor1D);
      p.variance.assign(tf.add(tf.mul(p.variance, 1 - m), tf.mul(unbiased, m)) as tf.Tensor1D);
    }
    const scale = tf.div(p.gamma, tf.sqrt(tf.add(variance, BN_EPS))) as tf.Tensor1D;
    return { scale, shift: tf.sub(p.beta, tf.mul(mean, scale)) as tf.Tensor1D };
  }

  private checkInput(x: tf.Tensor2D): void {
    if (x.rank !== 2 || x.shape[1] !== this.config.sizes[0])
      fail("x", `must be [batch, ${this.config.sizes[0]}], got [${x.shape}]`);
  }

  /** Clean logits (BN with running statistics unless training; training updates them). */
  forward(x: tf.Tensor2D, training = false): tf.Tensor2D {
    this.checkInput(x);
    let h: tf.Tensor2D = x;
    const L = this.weights.length;
    for (let l = 0; l + 1 < L; l++) {
      let z = tf.add(tf.matMul(h, this.weights[l]), this.biases[l]) as tf.Tensor2D;
      if (this.config.batchNorm) {
        const { scale, shift } = this.bnAffine(l, z, training);
        z = tf.add(tf.mul(z, scale), shift) as tf.Tensor2D;
      }
      h = tf.relu(z);
    }
    return tf.add(tf.matMul(h, this.weights[L - 1]), this.biases[L - 1]) as tf.Tensor2D;
  }

  /** The clean pass and the IBP pass over the L∞ ball of radius eps (clipped to [0, 1]). */
  pass(x: tf.Tensor2D, eps: number, training = false, range: [number, number] | null = [0, 1]): IbpPass {
    this.checkInput(x);
    const input = inputBox(x, eps, range);
    let h: tf.Tensor2D = x;
    let box = input;
    const pre: Box[] = [];
    const cleanPre: tf.Tensor2D[] = [];
    const L = this.weights.length;
    for (let l = 0; l + 1 < L; l++) {
      let z = tf.add(tf.matMul(h, this.weights[l]), this.biases[l]) as tf.Tensor2D;
      box = boxDense(box, this.weights[l], this.biases[l]);
      if (this.config.batchNorm) {
        const { scale, shift } = this.bnAffine(l, z, training);
        z = tf.add(tf.mul(z, scale), shift) as tf.Tensor2D;
        box = boxAffine(box, scale, shift);
      }
      pre.push(box);
      cleanPre.push(z);
      h = tf.relu(z);
      box = boxRelu(box);
    }
    const logits = tf.add(tf.matMul(h, this.weights[L - 1]), this.biases[L - 1]) as tf.Tensor2D;
    return { logits, input, pre, cleanPre, last: box };
  }

  /** Lower bounds of z_y − z_j for a pass (0 at j = y). */
  margins(p: IbpPass, y: tf.Tensor1D): tf.Tensor2D {
    const L = this.weights.length;
    return marginLowerBounds(p.last, this.weights[L - 1], this.biases[L - 1], y);
  }

  /**
   * The weights of the network linearised for its current BN statistics (eval mode): W_l·diag(s_l)
   * for hidden layers with BN; the BN shift moves the pattern but not the tightness ratio.
   */
  foldedWeights(): tf.Tensor2D[] {
    return tf.tidy(() =>
      this.weights.map((w, l) => {
        if (!this.config.batchNorm || l + 1 === this.weights.length) return tf.clone(w) as tf.Tensor2D;
        const p = this.bn[l];
        return tf.mul(w, tf.div(p.gamma, tf.sqrt(tf.add(p.variance, BN_EPS)))) as tf.Tensor2D;
      }),
    );
  }

  variables(): tf.Variable[] {
    return [...this.weights, ...this.biases, ...this.bn.flatMap((p) => [p.gamma, p.beta])];
  }

  dispose(): void {
    for (const v of [...this.weights, ...this.biases]) v.dispose();
    for (const p of this.bn) for (const v of [p.gamma, p.beta, p.mean, p.variance]) v.dispose();
  }
}

/** Clean and IBP-certified accuracy at radius eps (eval mode), in batches. */
export function certifiedAccuracy(
  model: IbpMlp,
  ds: Dataset,
  eps: number,
  batchSize = 500,
): { clean: number; certified: number } {
  assertPositiveInt("batchSize", batchSize);
  if (ds.dim !== model.config.sizes[0]) fail("ds", `has dim ${ds.dim}; the model takes ${model.config.sizes[0]}`);
  let clean = 0;
  let cert = 0;
  for (let s = 0; s < ds.n; s += batchSize) {
    const e = Math.min(ds.n, s + batchSize);
    const [c, v] = tf.tidy(() => {
      const x = tf.tensor2d(ds.x.subarray(s * ds.dim, e * ds.dim), [e - s, ds.dim]);
      const y = tf.tensor1d(ds.y.subarray(s, e), "int32");
      const p = model.pass(x, eps, false);
      const right = tf.equal(tf.argMax(p.logits, 1), y);
      // Certified: every margin lower bound (j ≠ y) positive; j = y holds 0, so add a big offset there.
      const m = tf.add(model.margins(p, y), tf.mul(tf.oneHot(y, p.logits.shape[1]).toFloat(), 1e9));
      const ok = tf.greater(tf.min(m, 1), 0);
      return [tf.sum(tf.cast(right, "float32")).dataSync()[0], tf.sum(tf.cast(ok, "float32")).dataSync()[0]];
    });
    clean += c;
    cert += v;
  }
  return { clean: clean / ds.n, certified: cert / ds.n };
}
