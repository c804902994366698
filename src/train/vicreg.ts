// VICReg training through the library loop: a batch source that draws full batches from a
// stream sampler (reshuffled when exhausted, last partial batch dropped) and makes two
// augmented views with the loop's Rng (permutation first, then view a, then view b, the
// same RNG order as the earlier hand loop), and the VICReg objective of src/nn/vicreg.ts.
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { AugmentOptions, augmentImages, JointEmbeddingModel, vicregLoss, VICRegWeights } from "../nn/vicreg";
import { BatchSource, train } from "./loop";

export interface TrainVICRegOptions {
  steps: number;
  batchSize: number;
  lr: number;
  weights: VICRegWeights;
  seed: number;
  augment?: AugmentOptions;
  /** Called after every step (e.g. probe.maybeRecord); its time is not training time. */
  onStep?: (step: number) => void;
  /** Read the loss every this many steps (one synchronous read each; default 25). */
  logEvery?: number;
}

export interface TrainVICRegResult {
  /** Loss parts read every logEvery steps (and at the last step): the values of that step's batch. */
  losses: Array<{ step: number; loss: number; inv: number; var: number; cov: number }>;
  /** Wall seconds of the training steps alone (onStep excluded). */
  trainSeconds: number;
}

/** Two augmented views of the same rows. */
export interface TwoViews {
  xa: tf.Tensor2D;
  xb: tf.Tensor2D;
}

/** A batch source of two augmented views of the rows `idx` of row-major images `x` (n × dim). */
export function twoViewSource(x: Float32Array, dim: number, augment?: AugmentOptions): BatchSource<TwoViews> {
  assertPositiveInt("dim", dim);
  const n = x.length / dim;
  if (!Number.isInteger(n) || n < 1) fail("x", `holds ${x.length} values, not a positive multiple of dim = ${dim}`);
  return {
    n,
    make(idx, rng) {
      if (!idx) return fail("idx", "the two-view source needs index batches");
      const va = augmentImages(x, idx, rng, augment);
      const vb = augmentImages(x, idx, rng, augment);
      return { xa: tf.tensor2d(va, [idx.length, dim]), xb: tf.tensor2d(vb, [idx.length, dim]) };
    },
  };
}

/** Trains `model` with VICReg (Adam, i.e. FastAdam) on images `x` (row-major, n × dim) with two augmented views. */
export async function trainVICReg(
  model: JointEmbeddingModel,
  x: Float32Array,
  dim: number,
  opts: TrainVICRegOptions,
): Promise<TrainVICRegResult> {
  assertKnownOptions("opts", opts, ["steps", "batchSize", "lr", "weights", "seed", "augment", "onStep", "logEvery"]);
  assertPositiveInt("opts.steps", opts.steps);
  assertPositiveInt("opts.batchSize", opts.batchSize);
  if (!(opts.lr > 0)) fail("opts.lr", `must be positive, got ${opts.lr}`);
  const n = x.length / dim;
  if (!Number.isInteger(n) || n < opts.batchSize)
    fail("x", `holds ${n} rows of ${dim}; need at least batchSize = ${opts.batchSize}`);
  const logEvery = opts.logEvery ?? 25;
  assertPositiveInt("opts.logEvery", logEvery);
  const losses: TrainVICRegResult["losses"] = [];
  let parts: tf.Tensor | null = null;
  let hookSeconds = 0;
  const res = await train<TwoViews>(model, twoViewSource(x, dim, opts.augment), {
    steps: opts.steps,
    batchSize: opts.batchSize,
    sampler: "stream",
    lr: opts.lr,
    seed: opts.seed,
    objective: (b, info) => {
      const p = vicregLoss(model.embed(b.xa), model.embed(b.xb), opts.weights);
      // The step's own loss parts are kept for the log (the loop frees the rest of the step).
      if (info.step % logEvery === 0 || info.step === opts.steps)
        parts = tf.keep(tf.stack([p.loss, p.inv, p.var, p.cov]));
      return p.loss;
    },
    hooks: [
      {
        postStep: (step) => {
          if (parts !== null) {
            const t = parts as tf.Tensor;
            parts = null;
            const [loss, inv, v, cov] = Array.from(t.dataSync());
            t.dispose();
            if (!Number.isFinite(loss)) fail("training", `loss became ${loss} at step ${step}; lower lr`);
            losses.push({ step, loss, inv, var: v, cov });
          }
          const t1 = performance.now();
          opts.onStep?.(step);
          // The log read is training time (as before); the caller's onStep is not.
          hookSeconds += (performance.now() - t1) / 1000;
        },
      },
    ],
  });
  return { losses, trainSeconds: res.seconds - hookSeconds };
}
