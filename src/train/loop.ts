// The library's one training loop. Every experiment trains through `train`: seeded
// minibatches (or a batch source), one or more optimizer groups with a shared schedule,
// hooks for regularisers, gradient transforms and post-step updates (adapters, ⊥Grad,
// proximal steps), and callbacks for logging, evaluation and per-example statistics.
// Losses stay on the device until a consumer needs them (no synchronous read per step).
import * as tf from "@tensorflow/tfjs";
import { Dataset } from "../data/dataset";
import { ProgressEvent } from "../core/types";
import { Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { crossEntropyFused, makeOptimizer, OptimizerName, setLearningRate } from "./optimizers";

/** What a method plugs into the loop (an adapter implements the same members). */
export interface TrainHook {
  /** Variables whose gradients `transformGrads` receives (default: all). */
  trainableVariables?(): tf.Variable[];
  /** A regulariser added to the objective (summed over hooks). */
  regLoss?(): tf.Scalar;
  /** Replaces some gradients before the update (keys are variable names). */
  transformGrads?(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor>;
  /** Runs after each optimizer step (1-based step). */
  postStep?(step: number): void;
  /** Reads the step's raw gradients and loss before the update (they are freed afterwards). */
  onGrads?(step: number, grads: tf.NamedTensorMap, loss: tf.Scalar): void;
}

/** Where the loop is: 1-based step and epoch, the batch's example indices (null for sampled sources). */
export interface StepInfo {
  step: number;
  epoch: number;
  idx: number[] | null;
  /** True when this step's loss will be read (log, eval or epoch end). */
  logging: boolean;
}

/** A classification batch: features [b, dim], integer labels [b]. */
export interface ClassBatch {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}

/**
 * Anything that makes batches. With `n`, the loop draws index batches (see `sampler`) and
 * passes them to `make`; without, `make(null, rng)` samples a batch itself (e.g. a task generator).
 */
export interface BatchSource<B> {
  n?: number;
  make(idx: number[] | null, rng: Rng): B;
}

/** Trains the listed variables with its own optimizer and base learning rate. */
export interface ParamGroup {
  variables: tf.Variable[];
  optimizer?: tf.Optimizer | OptimizerName;
  lr: number;
}

export interface TrainModel {
  variables(): tf.Variable[];
  forward?(x: tf.Tensor2D): tf.Tensor2D;
}

export interface LogRecord {
  step: number;
  epoch: number;
  /** Mean loss over the steps since the previous log (batch-size weighted). */
  loss: number;
}

export interface TrainOptions<B> {
  /** Exactly one of steps or epochs. */
  steps?: number;
  epochs?: number;
  /** Examples per batch (index-drawing sources; default: the whole set). */
  batchSize?: number;
  seed: number;
  /** "epoch": a new permutation each epoch, last partial batch kept; "stream": full batches only, reshuffled when exhausted. */
  sampler?: "epoch" | "stream";
  /** One optimizer for all trainable variables (default "adam" = FastAdam), with `lr`. */
  optimizer?: tf.Optimizer | OptimizerName;
  lr?: number;
  /** Several optimizer groups instead of `optimizer`/`lr` (e.g. adapter and head). */
  groups?: ParamGroup[];
  /** Learning-rate multiplier at 1-based step t of `total` (e.g. warmupCosine). */
  schedule?: (step: number, total: number) => number;
  /** Classification loss on logits (default: mean cross-entropy with a fused gradient). */
  loss?: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;
  /** The scalar to minimise for a batch (default: loss(model.forward(x), y)). */
  objective?: (batch: B, info: StepInfo) => tf.Scalar;
  /** A hand-written gradient (e.g. BPTT) instead of autograd of the objective. */
  gradients?: (batch: B, info: StepInfo, vars: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };
  hooks?: TrainHook[];
  /** Variables to train with `optimizer` (default: model.variables()). */
  trainable?: tf.Variable[];
  /** Read and report the mean loss every this many steps. */
  logEvery?: number;
  onLog?: (rec: LogRecord) => void | Promise<void>;
  /** Steps after which `onEval` runs (0 = before training); or every `evalEvery` steps. */
  evalAt?: number[];
  evalEvery?: number;
  onEval?: (step: number, trainLoss: number) => void | Promise<void>;
  /** After each epoch of an index-drawing source, with the epoch's mean loss. */
  onEpoch?: (epoch: number, loss: number) => void | Promise<void>;
  /** Sees the training logits of each batch inside the tape (keep what you need with tf.keep). */
  onForward?: (logits: tf.Tensor2D, info: StepInfo) => void;
  /** Stop (and report) when a read loss is not finite. */
  stopOnNonFinite?: boolean;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

export interface TrainResult {
  steps: number;
  epochs: number;
  log: LogRecord[];
  /** Step at which a non-finite loss stopped training, or null. */
  stoppedAt: number | null;
  /** Wall time of the loop in seconds. */
  seconds: number;
}

const KEYS = [
  "steps",
  "epochs",
  "batchSize",
  "seed",
  "sampler",
  "optimizer",
  "lr",
  "groups",
  "schedule",
  "loss",
  "objective",
  "gradients",
  "hooks",
  "trainable",
  "logEvery",
  "onLog",
  "evalAt",
  "evalEvery",
  "onEval",
  "onEpoch",
  "onForward",
  "stopOnNonFinite",
  "onProgress",
  "label",
];

function isDataset(d: unknown): d is Dataset {
  const x = d as Dataset;
  return !!x && x.x instanceof Float32Array && x.y instanceof Int32Array && typeof x.dim === "number";
}

/** Batches of a Dataset, copied in JS from the flat arrays (no device gather). */
export function datasetSource(ds: Dataset): BatchSource<ClassBatch> {
  return {
    n: ds.n,
    make(idx) {
      if (!idx) return fail("idx", "a Dataset source needs index batches");
      const x = new Float32Array(idx.length * ds.dim);
      const y = new Int32Array(idx.length);
      idx.forEach((i, k) => {
        x.set(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim), k * ds.dim);
        y[k] = ds.y[i];
      });
      return { x: tf.tensor2d(x, [idx.length, ds.dim]), y: tf.tensor1d(y, "int32") };
    },
  };
}

/** Trains `model` on `data` (a Dataset or a BatchSource); see TrainOptions. */
export async function train<B = ClassBatch>(
  model: TrainModel,
  data: Dataset | BatchSource<B>,
  opts: TrainOptions<B>,
): Promise<TrainResult> {
  assertKnownOptions("opts", opts, KEYS);
  if (!model || typeof model.variables !== "function") fail("model", "must have variables()");
  if ((opts.steps === undefined) === (opts.epochs === undefined)) fail("opts", "give exactly one of steps or epochs");
  if (!Number.isFinite(opts.seed)) fail("opts.seed", `must be a number, got ${opts.seed}`);
  const source = (isDataset(data) ? datasetSource(data) : data) as BatchSource<B>;
  if (!source || typeof source.make !== "function")
    fail("data", "must be a Dataset or a BatchSource { n?, make(idx, rng) }");
  const n = source.n;
  if (n !== undefined) assertPositiveInt("data.n", n);
  const bs = opts.batchSize ?? n ?? fail("opts.batchSize", "is required for a source without n");
  assertPositiveInt("opts.batchSize", bs);
  const sampler = opts.sampler ?? "epoch";
  if (sampler !== "epoch" && sampler !== "stream")
    fail("opts.sampler", `unknown sampler "${sampler}" (known: epoch, stream)`);
  if (n !== undefined && sampler === "stream" && bs > n)
    fail("opts.batchSize", `is ${bs}; the stream sampler needs at most n = ${n}`);
  const perEpoch = n === undefined ? 1 : sampler === "epoch" ? Math.ceil(n / bs) : Math.floor(n / bs);
  if (opts.epochs !== undefined) assertPositiveInt("opts.epochs", opts.epochs);
  if (opts.steps !== undefined) assertPositiveInt("opts.steps", opts.steps);
  const total = opts.steps ?? (opts.epochs as number) * perEpoch;
  if (opts.logEvery !== undefined) assertPositiveInt("opts.logEvery", opts.logEvery);
  if (opts.evalEvery !== undefined) assertPositiveInt("opts.evalEvery", opts.evalEvery);
  if (!opts.objective && !opts.gradients && typeof model.forward !== "function")
    fail("model", "needs forward(x) unless an objective or gradients function is given");

  // Optimizer groups: explicit, or one over the trainable variables.
  if (opts.groups && (opts.optimizer !== undefined || opts.lr !== undefined || opts.trainable))
    fail("opts.groups", "replaces optimizer, lr and trainable; give one or the other");
  const groups = (
    opts.groups ?? [{ variables: opts.trainable ?? model.variables(), optimizer: opts.optimizer, lr: opts.lr ?? 1e-3 }]
  ).map((g, i) => {
    if (!(g.lr > 0) || !Number.isFinite(g.lr)) fail(`opts.groups[${i}].lr`, `must be a positive number, got ${g.lr}`);
    const owned = typeof g.optimizer !== "object";
    return {
      vars: g.variables,
      lr: g.lr,
      opt: owned ? makeOptimizer((g.optimizer as OptimizerName) ?? "adam", g.lr) : (g.optimizer as tf.Optimizer),
      owned,
      names: new Set(g.variables.map((v) => v.name)),
    };
  });
  const vars = groups.flatMap((g) => g.vars);
  if (vars.length === 0) fail("opts", "no variables to train");
  const hooks = opts.hooks ?? [];
  const lossFn = opts.loss ?? crossEntropyFused;
  const objective =
    opts.objective ??
    ((b: B, info: StepInfo) => {
      const { x, y } = b as unknown as ClassBatch;
      const logits = (model.forward as (x: tf.Tensor2D) => tf.Tensor2D)(x);
      if (opts.onForward) opts.onForward(logits, info);
      return lossFn(logits, y);
    });
  const evalSet = new Set(opts.evalAt ?? []);
  const isEval = (s: number) => evalSet.has(s) || (!!opts.evalEvery && s % opts.evalEvery === 0);
  const isLog = (s: number) => !!opts.logEvery && (s % opts.logEvery === 0 || s === total);

  const rng = new Rng(opts.seed);
  const losses = new Float64Array(total + 1); // per step, filled when read
  const weights = new Float64Array(total + 1);
  let pending: Array<{ step: number; t: tf.Scalar }> = [];
  const flush = () => {
    if (!pending.length) return;
    const stacked = tf.stack(pending.map((p) => p.t));
    const vals = stacked.dataSync();
    stacked.dispose();
    pending.forEach((p, i) => {
      losses[p.step] = vals[i];
      p.t.dispose();
    });
    pending = [];
  };
  const meanOver = (from: number, to: number) => {
    let s = 0,
      w = 0;
    for (let k = from; k <= to; k++) {
      s += losses[k] * weights[k];
      w += weights[k];
    }
    return w > 0 ? s / w : NaN;
  };
  const log: LogRecord[] = [];
  let lastLog = 0,
    lastEval = 0,
    epochStart = 1,
    stoppedAt: number | null = null;
  let perm: number[] = [];
  let pos = 0;
  const t0 = Date.now();
  const yieldToUi = () => new Promise((r) => setImmediate(r));
  try {
    if (evalSet.has(0) && opts.onEval) await opts.onEval(0, NaN);
    for (let step = 1; step <= total; step++) {
      // The batch: index draws from the sampler, or the source's own sampling.
      let idx: number[] | null = null;
      let epoch = Math.ceil(step / perEpoch);
      if (n !== undefined) {
        if (sampler === "epoch") {
          const k = (step - 1) % perEpoch;
          if (k === 0) perm = rng.permutation(n);
          idx = perm.slice(k * bs, (k + 1) * bs);
        } else {
          if (step === 1 || pos + bs > n) {
            perm = rng.permutation(n);
            pos = 0;
          }
          idx = perm.slice(pos, pos + bs);
          pos += bs;
        }
      } else epoch = step;
      const epochEnd = n !== undefined && step % perEpoch === 0;
      const logging = isLog(step) || isEval(step) || (epochEnd && !!opts.onEpoch) || step === total;
      const info: StepInfo = { step, epoch, idx, logging };
      if (opts.schedule) {
        const m = opts.schedule(step, total);
        if (!(m >= 0) || !Number.isFinite(m))
          fail("opts.schedule", `returned ${m} at step ${step}; expected a finite multiplier ≥ 0`);
        for (const g of groups) setLearningRate(g.opt, g.lr * m);
      }
      const value = tf.tidy(() => {
        const batch = source.make(idx, rng);
        const { value: v, grads } = opts.gradients
          ? opts.gradients(batch, info, vars)
          : tf.variableGrads(() => {
              let l = objective(batch, info);
              for (const h of hooks) if (h.regLoss) l = tf.add(l, h.regLoss()) as tf.Scalar;
              return l;
            }, vars);
        for (const h of hooks) h.onGrads?.(step, grads, v);
        let g: Record<string, tf.Tensor> = grads;
        for (const h of hooks) {
          if (!h.transformGrads) continue;
          const own = h.trainableVariables ? h.trainableVariables().map((x) => x.name) : Object.keys(g);
          const sub: Record<string, tf.Tensor> = {};
          for (const k of own) if (g[k]) sub[k] = g[k];
          g = { ...g, ...h.transformGrads(sub) };
        }
        for (const grp of groups) {
          const mine: tf.NamedTensorMap = {};
          for (const [k, t] of Object.entries(g)) if (grp.names.has(k)) mine[k] = t;
          grp.opt.applyGradients(mine);
        }
        return v;
      });
      for (const h of hooks) h.postStep?.(step);
      weights[step] = idx ? idx.length : 1;
      pending.push({ step, t: value });
      if (!logging) continue;
      flush();
      if (opts.stopOnNonFinite && !Number.isFinite(losses[step])) {
        stoppedAt = step;
        log.push({ step, epoch, loss: meanOver(lastLog + 1, step) });
        break;
      }
      if (isLog(step)) {
        const rec = { step, epoch, loss: meanOver(lastLog + 1, step) };
        lastLog = step;
        log.push(rec);
        await opts.onLog?.(rec);
        opts.onProgress?.({ label: opts.label ?? "train", step, total, values: { loss: rec.loss } });
        await yieldToUi();
      }
      if (isEval(step) && opts.onEval) {
        await opts.onEval(step, meanOver(lastEval + 1, step));
        lastEval = step;
      }
      if (epochEnd && opts.onEpoch) {
        await opts.onEpoch(epoch, meanOver(epochStart, step));
        epochStart = step + 1;
        await yieldToUi();
      }
    }
  } finally {
    pending.forEach((p) => p.t.dispose());
    for (const g of groups) if (g.owned) g.opt.dispose();
  }
  const steps = stoppedAt ?? total;
  return {
    steps,
    epochs: n === undefined ? 0 : Math.ceil(steps / perEpoch),
    log,
    stoppedAt,
    seconds: (Date.now() - t0) / 1000,
  };
}
