// Grokking at the edge of numerical stability (Prieto et al., ICLR 2025): modular addition,
// bias-free ReLU MLP, full batch, Adam(W) with wd 0. Each method is one full-batch run through
// the library loop (one step per epoch); a TrainHook measures at logging epochs, with the
// gradients of that epoch, before they are applied.
import * as tf from "@tensorflow/tfjs";
import { modularArithmetic } from "../../data/modular";
import { toMl } from "../../linalg/convert";
import {
  collapseGap,
  FloatPrecision,
  log1pCrossEntropy,
  log1pCrossEntropyLoss,
  nlmCosine,
  significandBits,
  softmaxCollapse,
  stablemaxCollapse,
  stablemaxLoss,
  zeroGradientFraction,
} from "../../metrics/stablemax";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { AdamW } from "../../optim/orthograd";
import { BatchSource, ClassBatch, train } from "../../train/loop";
import { seed } from "../../core/random";
import { fail } from "../../core/validate";
import { ProgressEvent } from "../../core/types";
import { PaperConfig, PaperContext } from "../types";

export interface GrokkingConfig extends PaperConfig {
  /** Modulus (prime); inputs are the concatenated one-hots of a and b (2p features). */
  p: number;
  trainFraction: number;
  hidden: number[];
  /** Adam(W) settings shared by every run (β = (0.9, 0.99), eps 1e-25, wd 0). */
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Plain softmax run: lr and epochs. */
  softmax: { lr: number; epochs: number };
  /** ⊥AdamW run. */
  ortho: { lr: number; epochs: number };
  /** StableMax run; grokking itself needs ~1e5 epochs (size full only). */
  stablemax: { lr: number; beta2: number; epochs: number };
  /**
   * Longer plain run at a larger lr where softmax collapse grows, once with tf's log-softmax
   * cross-entropy and once with the absorption-free float64 log1p form, from the same θ₀, for
   * every seed; null skips both.
   */
  collapse: { lr: number; epochs: number } | null;
  /** Measure (read back) every this many epochs. */
  logEvery: number;
  /** Formats the softmax-collapse measurement is emulated in (precision study). */
  precisions: FloatPrecision[];
  /** Collapse onset = first logged epoch with collapsed fraction ≥ this. */
  onsetFraction: number;
}

export type Method = "softmax" | "⊥AdamW" | "StableMax" | "long softmax" | "long log1p";
export type Row = Record<string, number | string>;

interface RunSpec {
  method: Method;
  /** softmax: tf log-softmax CE (float32); log1p: float64 log1p CE (absorption-free); stablemax. */
  loss: "softmax" | "stablemax" | "log1p";
  orthogonal: boolean;
  lr: number;
  beta2: number;
  epochs: number;
}

/** One seed's share: the method comparison and the two long runs (the precision study on the first seed only). */
export interface GrokkingSeedRun {
  seed: number;
  runs: Record<string, Row[]>;
  precision: Row[];
  timing: Row[];
}

/** The method comparison (plain softmax, ⊥AdamW, StableMax) of one seed. */
export interface ComparisonRun {
  seed: number;
  runs: Record<string, Row[]>;
}

export const COMPARISON: Method[] = ["softmax", "⊥AdamW", "StableMax"];

export interface GrokkingResult {
  /** Logged rows per method of the first seed (epoch 0 = init): the single-seed figures. */
  runs: Record<string, Row[]>;
  /** The method comparison of every seed, in config order (the checks' intervals). */
  comparison: ComparisonRun[];
  /** The long log-softmax and log1p runs of every seed, in config order. */
  long: Array<{ seed: number; softmax: Row[]; log1p: Row[] }>;
  /** SC fraction per emulated float format and logged epoch of the precision run. */
  precision: Row[];
  /** First logged epoch with SC ≥ onsetFraction per format (NaN: never). */
  onsets: Row[];
  precisionRun: Method;
  timing: Row[];
}

// tfjs-wasm runs matMul with transpose flags (what the default matMul gradient uses) ~10×
// slower than an explicit transpose followed by a plain matMul, so the backward pass
// here transposes explicitly; the input layer's dX is never needed and is skipped.
type MatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
const matMulT: MatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as MatMul;
const matMulInput: MatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa]: tf.Tensor[]) => [
      tf.zerosLike(sa),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as MatMul;

/** Bias-free ReLU MLP forward over the MLP's weights ([in, out]), wasm-friendly backward. */
function forward(model: MLP, x: tf.Tensor2D): tf.Tensor2D {
  const W = model.weights;
  let h = matMulInput(x, W[0]);
  for (let l = 1; l < W.length; l++) h = matMulT(tf.relu(h), W[l]);
  return h;
}

/**
 * One full-batch run through the loop: step e + 1 computes the gradient at θ_e; at logging
 * epochs the hook measures θ_e with that gradient before it is applied, and the last epoch
 * is measured after training. Returns one row per logged epoch (epoch 0 = init).
 */
async function trainRun(
  cfg: GrokkingConfig,
  s0: number,
  spec: RunSpec,
  precisionRows: Row[] | null,
  onProgress?: PaperContext["onProgress"],
): Promise<{ rows: Row[]; seconds: number }> {
  const { train: trainSet, test } = modularArithmetic({
    p: cfg.p,
    op: "add",
    trainFraction: cfg.trainFraction,
    seed: s0,
  });
  seed(s0); // same θ₀ for every method
  const model = new MLP({ sizes: [2 * cfg.p, ...cfg.hidden, cfg.p], activation: "relu", bias: false, init: "torch" });
  const opt = new AdamW({
    lr: spec.lr,
    beta1: cfg.beta1,
    beta2: spec.beta2,
    eps: cfg.eps,
    weightDecay: cfg.weightDecay,
    orthogonal: spec.orthogonal,
  });
  const x = tf.tensor2d(trainSet.x, [trainSet.n, trainSet.dim]);
  const y = tf.tensor1d(trainSet.y, "int32");
  const xt = tf.tensor2d(test.x, [test.n, test.dim]);
  const yt = tf.tensor1d(test.y, "int32");
  const vars = model.variables();
  const named: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, v]));
  const lossFn =
    spec.loss === "stablemax"
      ? stablemaxLoss
      : spec.loss === "log1p"
        ? (z: tf.Tensor2D) => log1pCrossEntropyLoss(z, trainSet.y)
        : crossEntropy;
  const objective = (b: ClassBatch) => lossFn(forward(model, b.x), b.y);
  // Full batch: the same (unpermuted) tensors every step.
  const source: BatchSource<ClassBatch> = { make: () => ({ x, y }) };
  const rows: Row[] = [];
  const record = (epoch: number, value: tf.Scalar, grads: tf.NamedTensorMap) => {
    const r = measure(cfg, spec, epoch, model, x, trainSet.y, xt, yt, value, grads, named, precisionRows);
    rows.push(r);
    onProgress?.({
      label: spec.method,
      step: epoch,
      total: spec.epochs,
      values: { trainAcc: r.trainAcc as number, testAcc: r.testAcc as number, collapse: r.collapse as number },
    });
  };
  const t0 = Date.now();
  try {
    await train<ClassBatch>({ variables: () => vars }, source, {
      steps: spec.epochs,
      batchSize: trainSet.n,
      seed: s0,
      optimizer: opt,
      lr: spec.lr,
      objective,
      // Reads the loss (and lets a notebook redraw) once per logging window.
      logEvery: cfg.logEvery,
      hooks: [
        {
          onGrads: (step, grads, loss) => {
            if ((step - 1) % cfg.logEvery === 0) record(step - 1, loss, grads);
          },
        },
      ],
    });
    // The final epoch: θ after the last update, with its gradient (not applied).
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => objective({ x, y }), vars);
      record(spec.epochs, value, grads);
    });
  } finally {
    model.dispose();
    opt.dispose();
    tf.dispose([x, y, xt, yt]);
  }
  return { rows, seconds: (Date.now() - t0) / 1000 };
}

/** The logger: accuracies, loss, softmax collapse (float32 + emulated formats), NLM cosine. */
function measure(
  cfg: GrokkingConfig,
  spec: RunSpec,
  epoch: number,
  model: MLP,
  x: tf.Tensor2D,
  yTrain: Int32Array,
  xt: tf.Tensor2D,
  yt: tf.Tensor1D,
  value: tf.Scalar,
  grads: tf.NamedTensorMap,
  named: tf.NamedTensorMap,
  precisionRows: Row[] | null,
): Row {
  return tf.tidy(() => {
    const logits = forward(model, x);
    const z = toMl(logits, "logits");
    const trainAcc = tf.mean(tf.equal(tf.argMax(logits, 1), tf.tensor1d(yTrain, "int32")).toFloat()).dataSync()[0];
    const testAcc = tf.mean(tf.equal(tf.argMax(forward(model, xt), 1), yt).toFloat()).dataSync()[0];
    const sc = softmaxCollapse(z, yTrain);
    // The real backward pass of tf's log-softmax CE on these logits (whatever loss the run trains).
    const zg = zeroGradientFraction(logits, yTrain);
    const loss64 = log1pCrossEntropy(z, yTrain);
    // Collapse in the run's own normaliser (what stops the gradient); for softmax runs the same.
    const own = spec.loss === "stablemax" ? stablemaxCollapse(z, yTrain) : sc;
    // Median logit gap (correct − best other) on the train set: collapse needs gap ≳ ln2·bits.
    const gaps: number[] = [];
    for (let i = 0; i < z.rows; i++) {
      let other = -Infinity;
      for (let j = 0; j < z.columns; j++) if (j !== yTrain[i] && z.get(i, j) > other) other = z.get(i, j);
      gaps.push(z.get(i, yTrain[i]) - other);
    }
    gaps.sort((a, b) => a - b);
    if (precisionRows) {
      for (const precision of cfg.precisions) {
        const f = precision === "float32" ? sc : softmaxCollapse(z, yTrain, { precision });
        precisionRows.push({ precision, bits: significandBits(precision), epoch, collapse: f.collapsedFraction });
      }
    }
    return {
      method: spec.method,
      epoch,
      trainAcc,
      testAcc,
      loss: value.dataSync()[0],
      collapse: own.collapsedFraction,
      zeroLoss: own.zeroLossFraction,
      softmaxCollapse: sc.collapsedFraction,
      zeroGradTarget: zg.targetFraction,
      zeroGradRow: zg.rowFraction,
      loss64: loss64.reduce((a, b) => a + b, 0) / loss64.length,
      cosine: nlmCosine(grads, named),
      medianGap: gaps[Math.floor(gaps.length / 2)],
      weightNorm: Math.sqrt(model.variables().reduce((a, v) => a + tf.sum(tf.square(v)).dataSync()[0], 0)),
    };
  });
}

/** One seed: the method comparison and the two long runs; the first seed also feeds the precision study. */
export async function runGrokkingSeed(cfg: GrokkingConfig, s: number, ctx: PaperContext): Promise<GrokkingSeedRun> {
  const common = { beta2: cfg.beta2 };
  const specs: RunSpec[] = [
    { method: "softmax", loss: "softmax", orthogonal: false, ...cfg.softmax, ...common },
    { method: "⊥AdamW", loss: "softmax", orthogonal: true, ...cfg.ortho, ...common },
    { method: "StableMax", loss: "stablemax", orthogonal: false, ...cfg.stablemax },
  ];
  if (cfg.collapse)
    specs.push(
      { method: "long softmax", loss: "softmax", orthogonal: false, ...cfg.collapse, ...common },
      { method: "long log1p", loss: "log1p", orthogonal: false, ...cfg.collapse, ...common },
    );
  // The precision study reads the run where collapse goes furthest: the long run if any.
  const precisionRun: Method = cfg.collapse ? "long softmax" : "softmax";
  const precision: Row[] = [];
  const runs: Record<string, Row[]> = {};
  const timing: Row[] = [];
  const prefix = cfg.seeds.length > 1 ? `seed ${s}: ` : "";
  const onProgress = ctx.onProgress && ((p: ProgressEvent) => ctx.onProgress?.({ ...p, label: prefix + p.label }));
  for (const spec of specs) {
    const own = s === cfg.seeds[0] && spec.method === precisionRun;
    const r = await trainRun(cfg, s, spec, own ? precision : null, onProgress);
    runs[spec.method] = r.rows;
    timing.push({ seed: s, method: spec.method, epochs: spec.epochs, seconds: r.seconds });
  }
  return { seed: s, runs, precision, timing };
}

export function combineGrokking(perSeed: GrokkingSeedRun[], cfg: GrokkingConfig): GrokkingResult {
  if (!Array.isArray(perSeed) || perSeed.length === 0) fail("perSeed", "is empty: no seed ran");
  for (const x of perSeed)
    for (const m of COMPARISON) if (!x.runs[m]?.length) fail("perSeed", `seed ${x.seed} has no ${m} run`);
  const first = perSeed[0];
  const precisionRun: Method = cfg.collapse ? "long softmax" : "softmax";
  const precision = first.precision;
  const onsets: Row[] = cfg.precisions.map((p) => {
    const hit = precision.find((r) => r.precision === p && (r.collapse as number) >= cfg.onsetFraction);
    return {
      precision: p,
      bits: significandBits(p),
      gapThreshold: collapseGap(p),
      onsetEpoch: hit ? (hit.epoch as number) : NaN,
    };
  });
  const long = cfg.collapse
    ? perSeed.map((x) => ({ seed: x.seed, softmax: x.runs["long softmax"], log1p: x.runs["long log1p"] }))
    : [];
  const comparison = perSeed.map((x) => ({
    seed: x.seed,
    runs: Object.fromEntries(COMPARISON.map((m) => [m, x.runs[m]])),
  }));
  return {
    runs: first.runs,
    comparison,
    long,
    precision,
    onsets,
    precisionRun,
    timing: perSeed.flatMap((x) => x.timing),
  };
}
