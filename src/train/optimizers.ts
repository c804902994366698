// Optimizer construction and the fused classification loss the loop uses by default.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { FastAdam } from "../optim/fast-adam";

export type OptimizerName = "adam" | "sgd" | "momentum";

/** "adam" is the fused FastAdam (tf.train.adam's update); "momentum" uses β = 0.9. */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  if (!(lr > 0) || !Number.isFinite(lr)) fail("lr", `must be a positive number, got ${lr}`);
  if (name === "adam") return new FastAdam(lr);
  if (name === "sgd") return tf.train.sgd(lr);
  if (name === "momentum") return tf.train.momentum(lr, 0.9);
  return fail("optimizer", `unknown optimizer "${name}" (known: adam, sgd, momentum)`);
}

/** Sets an optimizer's learning rate for the next step (schedules). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else if (typeof o.learningRate === "number") o.learningRate = lr;
  else
    fail(
      "optimizer",
      `${opt.getClassName?.() ?? "this optimizer"} has no settable learning rate; a schedule cannot drive it`,
    );
}

/**
 * Mean cross-entropy with a hand-written gradient (softmax − onehot)/n: the same value as
 * crossEntropy (same ops), but its backward pass is 3 kernels instead of ~15.
 */
export function crossEntropyFused(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const [n, c] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== n)
    fail("labels", `must be 1-D with one label per logits row (${n}), got shape [${labels.shape}]`);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const lp = tf.logSoftmax(z);
    const oh = tf.oneHot(labels, c).toFloat();
    save([lp, oh]);
    return {
      value: tf.mean(tf.neg(tf.sum(tf.mul(lp, oh), 1))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.sub(tf.exp(saved[0]), saved[1]), tf.div(dy, n)),
    };
  });
  return f(logits) as tf.Scalar;
}
