// One training loop for classifiers: seeded minibatches, loss read once per epoch (no
// per-step synchronous reads), progress callbacks.
import * as tf from "@tensorflow/tfjs";
import { Dataset } from "../data/dataset";
import { ProgressEvent } from "../core/types";
import { Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { FastAdam } from "../optim/fast-adam";
import { crossEntropy } from "../nn/losses";

export interface Classifier {
  forward(x: tf.Tensor2D): tf.Tensor2D;
  variables(): tf.Variable[];
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** An optimizer instance, or "adam"/"sgd" with `lr`. */
  optimizer?: tf.Optimizer | "adam" | "sgd";
  lr?: number;
  seed: number;
  /** Evaluate on this set every epoch. */
  test?: Dataset;
  /** Loss override (default: mean cross-entropy on logits). */
  loss?: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;
  onProgress?: (p: ProgressEvent) => void;
  /** Variables to train (default: all of the model's). */
  trainable?: tf.Variable[];
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc?: number;
  testLoss?: number;
}

const TRAIN_KEYS = ["epochs", "batchSize", "optimizer", "lr", "seed", "test", "loss", "onProgress", "trainable"];

export function makeOptimizer(name: "adam" | "sgd", lr: number): tf.Optimizer {
  if (!(lr > 0)) fail("lr", `must be positive, got ${lr}`);
  // FastAdam: tf.train.adam's update, fused into one kernel per variable.
  if (name === "adam") return new FastAdam(lr);
  if (name === "sgd") return tf.train.sgd(lr);
  return fail("optimizer", `unknown optimizer "${name}" (known: adam, sgd)`);
}

/**
 * Mean cross-entropy with a hand-written gradient (softmax − onehot)/n: the same value as
 * crossEntropy (same ops), but its backward pass is 3 kernels instead of ~15.
 */
function crossEntropyFused(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const [n, c] = logits.shape;
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

/**
 * One optimizer step on a batch: forward, loss (default: mean cross-entropy), backward,
 * update. Returns the batch loss as a scalar tensor (the caller disposes it; no read).
 */
export function fitBatch(
  model: Classifier, opt: tf.Optimizer, xb: tf.Tensor2D, yb: tf.Tensor1D,
  loss?: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar, vars?: tf.Variable[],
): tf.Scalar {
  const lossFn = loss ?? crossEntropyFused;
  return opt.minimize(() => {
    const logits = model.forward(xb);
    if (yb.rank !== 1 || yb.shape[0] !== logits.shape[0]) fail("yb", `must be 1-D with one label per logits row (${logits.shape[0]}), got shape [${yb.shape}]`);
    return lossFn(logits, yb);
  }, true, vars ?? model.variables()) as tf.Scalar;
}

/** Mean loss and accuracy on a dataset, in batches. */
export function evaluate(model: Classifier, ds: Dataset, batchSize = 1024): { loss: number; acc: number } {
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < ds.n; s += batchSize) {
    const e = Math.min(ds.n, s + batchSize);
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor2d(ds.x.subarray(s * ds.dim, e * ds.dim), [e - s, ds.dim]);
      const y = tf.tensor1d(ds.y.subarray(s, e), "int32");
      const logits = model.forward(x);
      const loss = tf.mul(crossEntropy(logits, y), e - s);
      const corr = tf.sum(tf.equal(tf.argMax(logits, 1), y).toFloat());
      return [loss.dataSync()[0], corr.dataSync()[0]];
    });
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / ds.n, acc: correct / ds.n };
}

/** Trains `model` on `train`; returns one record per epoch. */
export async function trainClassifier(model: Classifier, train: Dataset, opts: TrainOptions): Promise<EpochRecord[]> {
  assertKnownOptions("opts", opts, TRAIN_KEYS);
  assertPositiveInt("opts.epochs", opts.epochs);
  assertPositiveInt("opts.batchSize", opts.batchSize);
  const opt = typeof opts.optimizer === "object" ? opts.optimizer : makeOptimizer(opts.optimizer ?? "adam", opts.lr ?? 1e-3);
  const vars = opts.trainable ?? model.variables();
  const rng = new Rng(opts.seed);
  const xAll = tf.tensor2d(train.x, [train.n, train.dim]);
  const yAll = tf.tensor1d(train.y, "int32");
  const history: EpochRecord[] = [];
  const steps = Math.ceil(train.n / opts.batchSize);
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const perm = rng.permutation(train.n);
      let lossAcc = tf.scalar(0);
      for (let s = 0; s < steps; s++) {
        const idx = perm.slice(s * opts.batchSize, (s + 1) * opts.batchSize);
        const cost = tf.tidy(() => {
          const ids = tf.tensor1d(idx, "int32");
          const xb = tf.gather(xAll, ids) as tf.Tensor2D;
          const yb = tf.gather(yAll, ids) as tf.Tensor1D;
          return fitBatch(model, opt, xb, yb, opts.loss, vars);
        });
        const next = tf.add(lossAcc, tf.mul(cost, idx.length)) as tf.Scalar;
        lossAcc.dispose();
        cost.dispose();
        lossAcc = next;
      }
      const loss = (await lossAcc.data())[0] / train.n;
      lossAcc.dispose();
      const rec: EpochRecord = { epoch, loss, trainAcc: evaluate(model, train).acc };
      if (opts.test) {
        const t = evaluate(model, opts.test);
        rec.testAcc = t.acc;
        rec.testLoss = t.loss;
      }
      history.push(rec);
      opts.onProgress?.({ label: "train", step: epoch, total: opts.epochs, values: { loss, trainAcc: rec.trainAcc, ...(rec.testAcc !== undefined ? { testAcc: rec.testAcc } : {}) } });
    }
  } finally {
    xAll.dispose();
    yAll.dispose();
  }
  return history;
}
