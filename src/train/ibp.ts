// Certified (IBP) training through the one loop: the IBP cross-entropy at a radius that ramps
// from 0 to eps, Shi et al.'s warm-up regularisers weighted λ0·(1 − ε_t/ε) during the ramp,
// and gradient-norm clipping. eps = 0 is plain cross-entropy training of the same model.
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { Dataset } from "../data/dataset";
import { ProgressEvent } from "../core/types";
import { ibpCrossEntropy, IbpMlp, ibpWarmupRegularizers } from "../nn/ibp";
import { crossEntropyFused } from "./optimizers";
import { ClassBatch, train, TrainHook, TrainResult } from "./loop";

export interface IbpTrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Target L∞ radius (0: standard training). */
  eps: number;
  /** The ramp of ε_t from 0 to eps, as fractions of the total steps (default 0 and 0.5). */
  rampStart?: number;
  rampEnd?: number;
  /**
   * Gowal et al.'s mixing: loss = κ·CE(clean) + (1 − κ)·CE(IBP), κ going from 1 to this value
   * along the ε ramp (default 0: the pure IBP loss of Shi et al.).
   */
  cleanWeight?: number;
  /** λ0 of the warm-up regularisers (tightness + ReLU balance); 0 switches them off (default 0). */
  regLambda?: number;
  /** τ of the regularisers (default 0.5). */
  tau?: number;
  /** Clip the global gradient norm at this value (default: no clipping). */
  gradClip?: number;
  evalEvery?: number;
  onEval?: (step: number) => void | Promise<void>;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

const KEYS = [
  "epochs",
  "batchSize",
  "lr",
  "seed",
  "eps",
  "rampStart",
  "rampEnd",
  "cleanWeight",
  "regLambda",
  "tau",
  "gradClip",
  "evalEvery",
  "onEval",
  "onProgress",
  "label",
];

/** ε_t at 1-based step t of `total`: 0 before rampStart·total, linear to eps at rampEnd·total. */
export function epsRamp(step: number, total: number, eps: number, rampStart = 0, rampEnd = 0.5): number {
  const a = rampStart * total;
  const b = rampEnd * total;
  if (step <= a) return 0;
  if (step >= b) return eps;
  return (eps * (step - a)) / (b - a);
}

/** A hook clipping the global gradient norm (Shi et al. clip at 10). */
export function clipGlobalNorm(maxNorm: number): TrainHook {
  if (!(maxNorm > 0)) fail("maxNorm", `must be > 0, got ${maxNorm}`);
  return {
    transformGrads(g) {
      const keys = Object.keys(g);
      const norm = Math.sqrt(tf.tidy(() => tf.addN(keys.map((k) => tf.sum(tf.square(g[k])))).dataSync()[0]));
      if (!(norm > maxNorm)) return g;
      const out: Record<string, tf.Tensor> = {};
      for (const k of keys) out[k] = tf.mul(g[k], maxNorm / norm);
      return out;
    },
  };
}

/** Trains an IbpMlp with the IBP loss (see IbpTrainOptions) through `train`. */
export async function trainIbp(model: IbpMlp, data: Dataset, opts: IbpTrainOptions): Promise<TrainResult> {
  assertKnownOptions("opts", opts, KEYS);
  assertPositiveInt("opts.epochs", opts.epochs);
  if (!(opts.eps >= 0) || !Number.isFinite(opts.eps)) fail("opts.eps", `must be a finite number ≥ 0, got ${opts.eps}`);
  const rs = opts.rampStart ?? 0;
  const re = opts.rampEnd ?? 0.5;
  if (!(rs >= 0 && re >= rs && re <= 1)) fail("opts.rampEnd", `needs 0 ≤ rampStart ≤ rampEnd ≤ 1, got ${rs}, ${re}`);
  const lambda = opts.regLambda ?? 0;
  if (!(lambda >= 0)) fail("opts.regLambda", `must be ≥ 0, got ${lambda}`);
  const tau = opts.tau ?? 0.5;
  const kEnd = opts.cleanWeight ?? 0;
  if (!(kEnd >= 0 && kEnd <= 1)) fail("opts.cleanWeight", `must lie in [0, 1], got ${kEnd}`);
  const total = opts.epochs * Math.ceil(data.n / opts.batchSize);
  return train<ClassBatch>(model, data, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    lr: opts.lr,
    seed: opts.seed,
    hooks: opts.gradClip ? [clipGlobalNorm(opts.gradClip)] : [],
    objective: ({ x, y }, info) => {
      const eps = epsRamp(info.step, total, opts.eps, rs, re);
      const reg = lambda > 0 && opts.eps > 0 && eps < opts.eps ? lambda * (1 - eps / opts.eps) : 0;
      if (eps === 0 && reg === 0) return crossEntropyFused(model.forward(x, true), y);
      const p = model.pass(x, eps, true);
      let loss = ibpCrossEntropy(model.margins(p, y), y);
      const kappa = opts.eps > 0 ? 1 - (1 - kEnd) * (eps / opts.eps) : 1;
      if (kappa > 0) loss = tf.add(tf.mul(loss, 1 - kappa), tf.mul(crossEntropyFused(p.logits, y), kappa)) as tf.Scalar;
      if (reg > 0) {
        const r = ibpWarmupRegularizers(p.input, p.pre, tau);
        loss = tf.add(loss, tf.mul(tf.add(r.tightness, r.relu), reg)) as tf.Scalar;
      }
      return loss;
    },
    evalEvery: opts.evalEvery,
    onEval: opts.onEval ? (s) => opts.onEval?.(s) : undefined,
    logEvery: Math.max(1, Math.floor(total / 20)),
    onProgress: opts.onProgress,
    label: opts.label,
  });
}
