// Early-Learning Regularization (Liu et al., NeurIPS'20): cross-entropy plus
// λ·mean log(1 − ⟨t_i, p_i⟩), with t_i a temporal ensemble of the model's own (detached,
// clamped, renormalised) predictions, t_i ← β·t_i + (1 − β)·p̂_i, indexed by example id.
import * as tf from "@tensorflow/tfjs";
import { assertInRange, assertPositiveInt, fail } from "../core/validate";

const CLAMP = 1e-4;

/**
 * The ELR objective for a batch: mean CE(logits, labels) + λ·mean log(1 − Σ_k t_k·p_k), where
 * p = clamp(softmax(logits), 1e-4, 1 − 1e-4) keeps its gradient and `targets` are constants.
 */
export function elrLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, targets: tf.Tensor2D, lambda: number): tf.Scalar {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) fail("lambda", `must be a finite number ≥ 0, got ${lambda}`);
  const [n, k] = logits.shape;
  if (targets.shape[0] !== n || targets.shape[1] !== k)
    fail("targets", `must be [${n}, ${k}] like the logits, got [${targets.shape}]`);
  if (labels.rank !== 1 || labels.shape[0] !== n) fail("labels", `must hold ${n} labels, got shape [${labels.shape}]`);
  return tf.tidy(() => {
    const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, k), logits);
    const p = tf.clipByValue(tf.softmax(logits), CLAMP, 1 - CLAMP);
    const reg = tf.mean(tf.log(tf.sub(1, tf.sum(tf.mul(targets, p), 1))));
    return tf.add(ce, tf.mul(reg, lambda)) as tf.Scalar;
  });
}

/** The per-example temporal-ensemble targets (zeros until an example is first seen). */
export class ElrTargets {
  readonly values: Float32Array;

  constructor(
    readonly n: number,
    readonly numClasses: number,
    readonly beta: number,
  ) {
    assertPositiveInt("n", n);
    assertPositiveInt("numClasses", numClasses);
    assertInRange("beta", beta, 0, 1);
    this.values = new Float32Array(n * numClasses);
  }

  /** t_i ← β·t_i + (1 − β)·p̂_i for the batch's example ids, from its (detached) logits; returns the updated rows. */
  update(idx: ArrayLike<number>, logits: tf.Tensor2D): tf.Tensor2D {
    const K = this.numClasses;
    if (logits.shape[0] !== idx.length || logits.shape[1] !== K)
      fail("logits", `must be [${idx.length}, ${K}], got [${logits.shape}]`);
    const p = tf.tidy(() => tf.softmax(logits).dataSync());
    const rows = new Float32Array(idx.length * K);
    for (let b = 0; b < idx.length; b++) {
      const i = idx[b];
      if (!Number.isInteger(i) || i < 0 || i >= this.n) fail("idx", `entry ${b} is ${i}; ids lie in [0, ${this.n})`);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.min(1 - CLAMP, Math.max(CLAMP, p[b * K + k]));
      for (let k = 0; k < K; k++) {
        const ph = Math.min(1 - CLAMP, Math.max(CLAMP, p[b * K + k])) / s;
        const v = this.beta * this.values[i * K + k] + (1 - this.beta) * ph;
        this.values[i * K + k] = v;
        rows[b * K + k] = v;
      }
    }
    return tf.tensor2d(rows, [idx.length, K]);
  }
}
