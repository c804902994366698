// Cross-entropy built from tf.logSoftmax ((z − max) − log Σ exp(z − max)), not
// tf.losses.softmaxCrossEntropy, which returns exactly 0 once a logit gap reaches ~16 in
// float32 and so hides softmax collapse.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";

export type Labels = tf.Tensor1D | ArrayLike<number>;

function labelsTensor(labels: Labels, n: number, numClasses: number): tf.Tensor1D {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== n)
      fail("labels", `must be a 1-D tensor of length ${n}, got shape [${labels.shape}]`);
    return labels.toInt() as tf.Tensor1D;
  }
  if (labels == null || labels.length !== n)
    fail("labels", `must have ${n} entries (one per row), got ${labels?.length}`);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses)
      fail("labels", `entry ${i} is ${y}; expected a class index in [0, ${numClasses})`);
  }
  return tf.tensor1d(Array.from(labels), "int32");
}

function checkLogits(logits: tf.Tensor): [number, number] {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) fail("logits", "must be a 2-D tensor [batch, classes]");
  const [n, c] = logits.shape as [number, number];
  if (n === 0 || c === 0) fail("logits", `is empty (shape [${n}, ${c}])`);
  return [n, c];
}

/** Per-example cross-entropy −log softmax(z)_y, shape [n]. */
export function crossEntropyPerExample(logits: tf.Tensor2D, labels: Labels): tf.Tensor1D {
  const [n, c] = checkLogits(logits);
  return tf.tidy(() => {
    const y = labelsTensor(labels, n, c);
    const lp = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(lp, tf.oneHot(y, c).toFloat()), 1)) as tf.Tensor1D;
  });
}

/** Mean cross-entropy (scalar tensor). */
export function crossEntropy(logits: tf.Tensor2D, labels: Labels): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropyPerExample(logits, labels)) as tf.Scalar);
}

/** Fraction of rows whose arg-max equals the label. */
export function accuracy(logits: tf.Tensor2D, labels: Labels): number {
  const [n, c] = checkLogits(logits);
  return tf.tidy(() => {
    const y = labelsTensor(labels, n, c);
    return tf.mean(tf.equal(tf.argMax(logits, 1), y).toFloat()).dataSync()[0];
  });
}
