// Classifier conveniences over the library loop: per-epoch accuracy records, evaluation
// in batches, and a single optimizer step for benchmarks.
import * as tf from "@tensorflow/tfjs";
import { Dataset } from "../data/dataset";
import { ProgressEvent } from "../core/types";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { crossEntropyFused } from "./optimizers";
import { train as trainLoop } from "./loop";
import { crossEntropy } from "../nn/losses";

export interface Classifier {
  forward(x: tf.Tensor2D): tf.Tensor2D;
  variables(): tf.Variable[];
}

export interface ClassifierTrainOptions {
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

/**
 * One optimizer step on a batch: forward, loss (default: mean cross-entropy), backward,
 * update. Returns the batch loss as a scalar tensor (the caller disposes it; no read).
 */
export function fitBatch(
  model: Classifier,
  opt: tf.Optimizer,
  xb: tf.Tensor2D,
  yb: tf.Tensor1D,
  loss?: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar,
  vars?: tf.Variable[],
): tf.Scalar {
  const lossFn = loss ?? crossEntropyFused;
  return opt.minimize(
    () => {
      const logits = model.forward(xb);
      if (yb.rank !== 1 || yb.shape[0] !== logits.shape[0])
        fail("yb", `must be 1-D with one label per logits row (${logits.shape[0]}), got shape [${yb.shape}]`);
      return lossFn(logits, yb);
    },
    true,
    vars ?? model.variables(),
  ) as tf.Scalar;
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

/** Trains `model` on `train` through the library loop; returns one record per epoch. */
export async function trainClassifier(
  model: Classifier,
  train: Dataset,
  opts: ClassifierTrainOptions,
): Promise<EpochRecord[]> {
  assertKnownOptions("opts", opts, TRAIN_KEYS);
  assertPositiveInt("opts.epochs", opts.epochs);
  assertPositiveInt("opts.batchSize", opts.batchSize);
  const history: EpochRecord[] = [];
  await trainLoop(model, train, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    seed: opts.seed,
    optimizer: opts.optimizer,
    lr: opts.lr,
    loss: opts.loss,
    trainable: opts.trainable,
    onEpoch: (epoch, loss) => {
      const rec: EpochRecord = { epoch, loss, trainAcc: evaluate(model, train).acc };
      if (opts.test) {
        const t = evaluate(model, opts.test);
        rec.testAcc = t.acc;
        rec.testLoss = t.loss;
      }
      history.push(rec);
      opts.onProgress?.({
        label: "train",
        step: epoch,
        total: opts.epochs,
        values: { loss, trainAcc: rec.trainAcc, ...(rec.testAcc !== undefined ? { testAcc: rec.testAcc } : {}) },
      });
    },
  });
  return history;
}
