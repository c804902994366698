// Trajectory-matching dataset distillation (MTT, Cazenavette et al. 2022) with the smoothing
// of AST (Shen, Yang & Lam 2023): experts trained on real data leave per-epoch checkpoints; a
// student starts at checkpoint t, takes N SGD steps on the synthetic set, and the synthetic
// images (and the student's learning rate) move to bring it close to checkpoint t+M.
// The student is a plain MLP written with explicit parameter tensors and an analytic
// backward pass, so the unrolled inner loop is an ordinary forward computation: one outer
// autograd pass differentiates it with respect to the images (first-order autograd only).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { Dataset } from "../data/dataset";
import { MLP } from "../nn/mlp";
import { train, TrainHook } from "./loop";
import { crossEntropyFused } from "./optimizers";

export type StudentActivation = "tanh" | "relu";

/** Parameters as [W0, b0, W1, b1, …] with W_l of shape [in, out]. */
export type MlpParams = tf.Tensor[];

function checkParams(params: MlpParams, x: tf.Tensor2D): void {
  if (params.length < 2 || params.length % 2 !== 0)
    fail("params", `expected [W0, b0, W1, b1, …], got ${params.length} tensors`);
  if (x.rank !== 2 || x.shape[1] !== params[0].shape[0])
    fail("x", `shape [${x.shape}] does not match the first weight [${params[0].shape}]`);
}

/** Logits of the functional MLP (hidden layers use `activation`, the last layer is linear). */
export function mlpLogits(params: MlpParams, x: tf.Tensor2D, activation: StudentActivation = "tanh"): tf.Tensor2D {
  checkParams(params, x);
  let h: tf.Tensor2D = x;
  for (let l = 0; l < params.length; l += 2) {
    h = tf.add(tf.matMul(h, params[l] as tf.Tensor2D), params[l + 1]) as tf.Tensor2D;
    if (l + 2 < params.length) h = activation === "tanh" ? tf.tanh(h) : tf.relu(h);
  }
  return h;
}

/**
 * Gradient of scale·mean cross-entropy with respect to every parameter, written with plain ops
 * (softmax − onehot, then layer by layer), so it is itself differentiable in x and the params.
 */
export function mlpCrossEntropyGrads(
  params: MlpParams,
  x: tf.Tensor2D,
  yOneHot: tf.Tensor2D,
  activation: StudentActivation = "tanh",
  scale = 1,
): MlpParams {
  checkParams(params, x);
  if (yOneHot.rank !== 2 || yOneHot.shape[0] !== x.shape[0])
    fail("yOneHot", `shape [${yOneHot.shape}] does not match ${x.shape[0]} inputs`);
  if (!Number.isFinite(scale)) fail("scale", `must be finite, got ${scale}`);
  const acts: tf.Tensor2D[] = [x];
  let h: tf.Tensor2D = x;
  for (let l = 0; l < params.length; l += 2) {
    h = tf.add(tf.matMul(h, params[l] as tf.Tensor2D), params[l + 1]) as tf.Tensor2D;
    if (l + 2 < params.length) {
      h = activation === "tanh" ? tf.tanh(h) : tf.relu(h);
      acts.push(h);
    }
  }
  const n = x.shape[0];
  let dz = tf.mul(tf.sub(tf.softmax(h), yOneHot), scale / n) as tf.Tensor2D;
  const grads: MlpParams = new Array(params.length);
  for (let l = params.length - 2; l >= 0; l -= 2) {
    const a = acts[l / 2];
    grads[l] = tf.matMul(a, dz, true, false);
    grads[l + 1] = tf.sum(dz, 0);
    if (l === 0) break;
    const da = tf.matMul(dz, params[l] as tf.Tensor2D, false, true);
    // tanh' = 1 − a²; relu' = step(a) (a = relu(z) > 0 exactly where z > 0).
    dz = (activation === "tanh" ? tf.mul(da, tf.sub(1, tf.square(a))) : tf.mul(da, tf.step(a))) as tf.Tensor2D;
  }
  return grads;
}

export interface UnrollOptions {
  steps: number;
  activation?: StudentActivation;
  /** Multiplier on the inner cross-entropy (the balanced loss: the expert's scale at the start epoch). */
  lossScale?: number;
}

/** N full-batch SGD steps θ ← θ − lr·∇(scale·CE) on (x, y) from `start`; differentiable in x and lr. */
export function unrollStudent(
  start: MlpParams,
  x: tf.Tensor2D,
  yOneHot: tf.Tensor2D,
  lr: tf.Scalar | number,
  opts: UnrollOptions,
): MlpParams {
  assertKnownOptions("opts", opts, ["steps", "activation", "lossScale"]);
  assertPositiveInt("opts.steps", opts.steps);
  let p = start;
  for (let s = 0; s < opts.steps; s++) {
    const g = mlpCrossEntropyGrads(p, x, yOneHot, opts.activation ?? "tanh", opts.lossScale ?? 1);
    p = p.map((w, i) => tf.sub(w, tf.mul(lr, g[i])));
  }
  return p;
}

/** MTT's normalised matching loss Σ‖θ̂ − θ*_{t+M}‖² / Σ‖θ*_t − θ*_{t+M}‖². */
export function trajectoryMatchingLoss(student: MlpParams, start: MlpParams, target: MlpParams): tf.Scalar {
  if (student.length !== target.length || start.length !== target.length)
    fail("student", `has ${student.length} tensors, start ${start.length}, target ${target.length}; they must match`);
  const sq = (a: MlpParams) => tf.addN(a.map((d, i) => tf.sum(tf.square(tf.sub(d, target[i])))));
  const den = sq(start);
  return tf.div(sq(student), tf.maximum(den, 1e-12)) as tf.Scalar;
}

/**
 * AST's "clipping loss" schedule as in its code: the expert's cross-entropy is scaled by 0.5,
 * 0.5, 0.55, …, 0.9 over its first 11 epochs (0-based epoch index), then by 1.
 */
export function clippedLossScale(epoch: number): number {
  if (!Number.isInteger(epoch) || epoch < 0) fail("epoch", `must be a non-negative integer, got ${epoch}`);
  if (epoch === 0) return 0.5;
  if (epoch <= 9) return 0.5 + 0.05 * (epoch - 1);
  if (epoch === 10) return 0.9;
  return 1;
}

export interface ExpertOptions {
  hidden: number[];
  activation?: StudentActivation;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** AST smoothing: scale the loss by clippedLossScale(epoch). */
  lossScaling?: boolean;
  /** AST smoothing: clip the global gradient norm to this value (none when absent). */
  clipNorm?: number;
  /**
   * AST smoothing: weight λ of the gradient penalty λ·‖∇_θ(scale·CE)‖² added to the expert's
   * objective (none when absent or 0). It favours flat regions, so the trajectory bends less.
   */
  gradPenalty?: number;
  onProgress?: Parameters<typeof train>[2]["onProgress"];
}

/** An expert's checkpoints: params after 0, 1, …, epochs epochs, each as flat arrays [W0, b0, …]. */
export interface ExpertTrajectory {
  shapes: number[][];
  checkpoints: Float32Array[][];
  /** The loss scale the expert used during epoch t (index t). */
  lossScales: number[];
}

/**
 * An expert's per-batch objective: scale·CE, plus λ·‖∇_θ(scale·CE)‖² when λ > 0. The penalty's
 * gradient needs second derivatives; the inner gradient is written with plain ops
 * (mlpCrossEntropyGrads), so ordinary autograd of this function gives them.
 */
export function expertObjective(
  params: MlpParams,
  x: tf.Tensor2D,
  y: tf.Tensor,
  activation: StudentActivation,
  scale: number,
  gradPenalty: number,
): tf.Scalar {
  const ce = tf.mul(crossEntropyFused(mlpLogits(params, x, activation), y as tf.Tensor1D), scale) as tf.Scalar;
  if (!gradPenalty) return ce;
  const k = params[params.length - 1].shape[0];
  const g = mlpCrossEntropyGrads(
    params,
    x,
    tf.oneHot(tf.cast(y, "int32") as tf.Tensor1D, k) as tf.Tensor2D,
    activation,
    scale,
  );
  return tf.add(ce, tf.mul(tf.addN(g.map((t) => tf.sum(tf.square(t)))), gradPenalty)) as tf.Scalar;
}

/** Trains one expert MLP with momentum SGD through train(), keeping a checkpoint per epoch. */
export async function trainExpert(data: Dataset, opts: ExpertOptions): Promise<ExpertTrajectory> {
  assertKnownOptions("opts", opts, [
    "hidden",
    "activation",
    "epochs",
    "batchSize",
    "lr",
    "seed",
    "lossScaling",
    "clipNorm",
    "gradPenalty",
    "onProgress",
  ]);
  assertPositiveInt("opts.epochs", opts.epochs);
  if (opts.clipNorm !== undefined && !(opts.clipNorm > 0)) fail("opts.clipNorm", `must be > 0, got ${opts.clipNorm}`);
  const gp = opts.gradPenalty ?? 0;
  if (!(Number.isFinite(gp) && gp >= 0))
    fail("opts.gradPenalty", `must be a finite number ≥ 0, got ${opts.gradPenalty}`);
  const activation = opts.activation ?? "tanh";
  const model = new MLP({
    sizes: [data.dim, ...opts.hidden, data.numClasses],
    activation,
    init: "glorot",
  });
  const vars = (): tf.Variable[] => model.weights.flatMap((w, i) => [w, model.biases[i]!]);
  const snap = () => vars().map((v) => v.dataSync().slice() as Float32Array);
  const checkpoints = [snap()];
  const lossScales = Array.from({ length: opts.epochs }, (_, e) => (opts.lossScaling ? clippedLossScale(e) : 1));
  const hooks: TrainHook[] = [];
  const clip = opts.clipNorm;
  if (clip !== undefined)
    hooks.push({
      transformGrads(g) {
        const keys = Object.keys(g);
        const norm = tf.sqrt(tf.addN(keys.map((k) => tf.sum(tf.square(g[k])))));
        const f = tf.minimum(1, tf.div(clip, tf.add(norm, 1e-12)));
        return Object.fromEntries(keys.map((k) => [k, tf.mul(g[k], f)]));
      },
    });
  await train(model, data, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    optimizer: "momentum",
    lr: opts.lr,
    seed: opts.seed,
    objective: ({ x, y }, info) => expertObjective(vars(), x, y, activation, lossScales[info.epoch - 1], gp),
    hooks,
    onEpoch: () => void checkpoints.push(snap()),
    onProgress: opts.onProgress,
  });
  const shapes = vars().map((v) => v.shape.slice());
  model.dispose();
  return { shapes, checkpoints, lossScales };
}

export interface DistillOptions {
  /** Initial synthetic images [n, dim] and their labels (fixed). */
  init: Float32Array;
  labels: Int32Array;
  numClasses: number;
  experts: ExpertTrajectory[];
  /** Student steps N and expert epochs M between start and target. */
  syntheticSteps: number;
  expertEpochs: number;
  /** Start epochs are drawn from 0 … maxStartEpoch. */
  maxStartEpoch: number;
  iterations: number;
  lrImages: number;
  lrLr: number;
  /** Initial student learning rate (learnable, clamped ≥ minLr). */
  studentLr: number;
  minLr?: number;
  activation?: StudentActivation;
  /** Balanced inner loss: scale the student's CE by the expert's loss scale at the start epoch. */
  balancedInner?: boolean;
  seed: number;
  onProgress?: Parameters<typeof train>[2]["onProgress"];
}

export interface DistillResult {
  images: Float32Array;
  learnedLr: number;
  /** Matching loss per outer iteration (read at the log points). */
  losses: Array<{ step: number; loss: number }>;
}

/** The MTT outer loop, run through train(): Adam on the images and on the student lr. */
export async function distillTrajectories(opts: DistillOptions): Promise<DistillResult> {
  const n = opts.labels.length;
  if (n === 0) fail("opts.labels", "is empty");
  if (opts.init.length % n !== 0) fail("opts.init", `length ${opts.init.length} is not a multiple of ${n} labels`);
  if (!opts.init.every(Number.isFinite)) fail("opts.init", "contains non-finite values");
  if (opts.experts.length === 0) fail("opts.experts", "is empty");
  const epochsHeld = opts.experts[0].checkpoints.length - 1;
  if (opts.maxStartEpoch + opts.expertEpochs > epochsHeld)
    fail("opts.maxStartEpoch", `${opts.maxStartEpoch} + ${opts.expertEpochs} exceeds the ${epochsHeld} expert epochs`);
  assertPositiveInt("opts.iterations", opts.iterations);
  const dim = opts.init.length / n;
  const minLr = opts.minLr ?? 1e-4;
  const images = tf.variable(tf.tensor2d(opts.init, [n, dim]), true, `distill-images-${opts.seed}`);
  const lr = tf.variable(tf.scalar(opts.studentLr), true, `distill-lr-${opts.seed}`);
  const y = tf.oneHot(tf.tensor1d(opts.labels, "int32"), opts.numClasses).toFloat() as tf.Tensor2D;
  const losses: DistillResult["losses"] = [];
  const source = {
    make: (_: number[] | null, rng: Rng) => ({ e: rng.int(opts.experts.length), t: rng.int(opts.maxStartEpoch + 1) }),
  };
  try {
    await train({ variables: () => [images, lr] }, source, {
      steps: opts.iterations,
      batchSize: 1,
      seed: opts.seed,
      groups: [
        { variables: [images], optimizer: "adam", lr: opts.lrImages },
        { variables: [lr], optimizer: "adam", lr: opts.lrLr },
      ],
      gradients: ({ e, t }, _info, vars) => {
        const ex = opts.experts[e];
        const toT = (arrs: Float32Array[]) => arrs.map((a, i) => tf.tensor(a, ex.shapes[i]));
        const start = toT(ex.checkpoints[t]);
        const target = toT(ex.checkpoints[t + opts.expertEpochs]);
        const scale = opts.balancedInner ? ex.lossScales[t] : 1;
        return tf.variableGrads(() => {
          const student = unrollStudent(start, images, y, lr, {
            steps: opts.syntheticSteps,
            activation: opts.activation ?? "tanh",
            lossScale: scale,
          });
          return trajectoryMatchingLoss(student, start, target);
        }, vars);
      },
      hooks: [{ postStep: () => tf.tidy(() => lr.assign(tf.maximum(lr, minLr) as tf.Scalar)) }],
      logEvery: Math.max(1, Math.floor(opts.iterations / 20)),
      onLog: (r) => void losses.push({ step: r.step, loss: r.loss }),
      onProgress: opts.onProgress,
    });
    return { images: images.dataSync().slice() as Float32Array, learnedLr: lr.dataSync()[0], losses };
  } finally {
    images.dispose();
    lr.dispose();
    y.dispose();
  }
}
