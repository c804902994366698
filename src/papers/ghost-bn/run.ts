// Hoffer, Hubara & Soudry (NeurIPS'17) at toy scale on Fashion-MNIST with a BN MLP.
// (A) ‖w_t − w_0‖ against log t and √t (SGD, small batch, no decay). (B) Small batch vs large
// batch (√-scaled LR), + ghost BN, + regime adaptation (as many updates as the small batch).
// Each method's LR is chosen from the same multiplier grid around its √-scaled rate, on a
// validation split of the first seed, by validation accuracy.
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../core/random";
import { Dataset, sample, toTensors } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { BnMlp } from "../../nn/ghost-bn";
import { train } from "../../train/loop";
import { crossEntropyFused } from "../../train/optimizers";
import { Selection, selectOnValidation, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface GhostBnConfig extends PaperConfig {
  trainExamples: number;
  testExamples: number;
  valFraction: number;
  hidden: number[];
  /** (A) batch, plain-SGD rate, steps, number of log-spaced distance readings, fit start. */
  distBatch: number;
  distLr: number;
  distSteps: number;
  distPoints: number;
  distFitFrom: number;
  /** (B) small and large batch, ghost size, epochs of the small-batch schedule. */
  smallBatch: number;
  largeBatch: number;
  ghostSize: number;
  epochs: number;
  /** Momentum-SGD base rate at the small batch (scaled by √(B/small) for larger ones) and the multiplier grid. */
  lr0: number;
  lrMultipliers: number[];
}

export type Method = "small-batch" | "large-batch" | "large+ghost-bn" | "large+ghost-bn+regime";
export const METHODS: Method[] = ["small-batch", "large-batch", "large+ghost-bn", "large+ghost-bn+regime"];

export interface MethodRun {
  method: Method;
  batch: number;
  steps: number;
  lr: number;
  testAcc: number;
}

export interface SeedRun {
  seed: number;
  /** (A) weight distance from init at log-spaced steps. */
  distance: Array<{ step: number; distance: number }>;
  runs: MethodRun[];
}

export interface GhostBnResult {
  selection: Record<Method, Selection>;
  seeds: SeedRun[];
}

interface Spec {
  batch: number;
  ghost: number;
  steps: number;
}

/**
 * Batch, ghost size and steps of each method on n training examples: the small batch runs
 * `epochs` epochs of full batches; the large batch the same epochs (ratio× fewer steps);
 * regime adaptation exactly the small batch's steps.
 */
export function spec(cfg: GhostBnConfig, m: Method, n: number): Spec {
  const small = cfg.epochs * Math.floor(n / cfg.smallBatch);
  const large = Math.max(1, Math.round((small * cfg.smallBatch) / cfg.largeBatch));
  if (m === "small-batch") return { batch: cfg.smallBatch, ghost: Infinity, steps: small };
  if (m === "large-batch") return { batch: cfg.largeBatch, ghost: Infinity, steps: large };
  if (m === "large+ghost-bn") return { batch: cfg.largeBatch, ghost: cfg.ghostSize, steps: large };
  return { batch: cfg.largeBatch, ghost: cfg.ghostSize, steps: small };
}

function accuracy(model: BnMlp, ds: Dataset): number {
  return tf.tidy(() => {
    const { x, y } = toTensors(ds);
    return tf.mean(tf.cast(tf.equal(tf.argMax(model.forward(x, false), 1), y), "float32")).dataSync()[0];
  });
}

function distance(model: BnMlp, w0: tf.Tensor2D[]): number {
  return tf.tidy(() =>
    Math.sqrt(tf.addN(model.weights.map((w, l) => tf.sum(tf.square(tf.sub(w, w0[l]))))).dataSync()[0]),
  );
}

/** Log-spaced integer steps in [1, total], deduplicated. */
export function logSteps(total: number, points: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < points; i++) out.add(Math.max(1, Math.round(Math.exp((Math.log(total) * i) / (points - 1)))));
  return [...out].sort((a, b) => a - b);
}

async function fit(
  cfg: GhostBnConfig,
  m: Method,
  lr: number,
  s: number,
  tr: Dataset,
  evalSet: Dataset,
  ctx: PaperContext,
): Promise<MethodRun> {
  const sp = spec(cfg, m, tr.n);
  seed(s);
  const model = new BnMlp({ sizes: [tr.dim, ...cfg.hidden, 10], ghostSize: sp.ghost });
  const res = await train(model, tr, {
    steps: sp.steps,
    batchSize: sp.batch,
    // Full batches only, so every ghost chunk has ghostSize rows.
    sampler: "stream",
    optimizer: "momentum",
    lr,
    seed: s,
    objective: ({ x, y }) => crossEntropyFused(model.forward(x, true), y),
    logEvery: 50,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s} ${m} lr ${lr.toPrecision(3)}` }),
  });
  const testAcc = accuracy(model, evalSet);
  model.dispose();
  return { method: m, batch: sp.batch, steps: res.steps, lr, testAcc };
}

async function distanceRun(
  cfg: GhostBnConfig,
  s: number,
  tr: Dataset,
  ctx: PaperContext,
): Promise<SeedRun["distance"]> {
  seed(s);
  const model = new BnMlp({ sizes: [tr.dim, ...cfg.hidden, 10] });
  const w0 = model.weights.map((w) => tf.clone(w) as tf.Tensor2D);
  const at = logSteps(cfg.distSteps, cfg.distPoints);
  const out: SeedRun["distance"] = [];
  await train(model, tr, {
    steps: cfg.distSteps,
    batchSize: cfg.distBatch,
    sampler: "stream",
    optimizer: "sgd",
    lr: cfg.distLr,
    seed: s,
    objective: ({ x, y }) => crossEntropyFused(model.forward(x, true), y),
    evalAt: at,
    onEval: (step) => void out.push({ step, distance: distance(model, w0) }),
    logEvery: 100,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s} weight distance` }),
  });
  tf.dispose(w0);
  model.dispose();
  return out;
}

export async function runGhostBn(cfg: GhostBnConfig, ctx: PaperContext): Promise<GhostBnResult> {
  const full = loadFashionMnist({ split: "train" });
  const data = (s: number) => sample(full, cfg.trainExamples, s);
  const test = sample(loadFashionMnist({ split: "test" }), cfg.testExamples, 12345);
  const { train: fitSet, val } = validationSplit(data(cfg.seeds[0]), cfg.valFraction, cfg.seeds[0]);
  const selection = {} as Record<Method, Selection>;
  for (const m of METHODS) {
    const base = cfg.lr0 * Math.sqrt(spec(cfg, m, fitSet.n).batch / cfg.smallBatch);
    selection[m] = await selectOnValidation(
      cfg.lrMultipliers.map((k) => k * base),
      async (lr) => (await fit(cfg, m, lr, cfg.seeds[0], fitSet, val, ctx)).testAcc,
      { maxExtensions: 1 },
    );
  }
  const seeds: SeedRun[] = [];
  for (const s of cfg.seeds) {
    const tr = data(s);
    const runs: MethodRun[] = [];
    for (const m of METHODS) runs.push(await fit(cfg, m, selection[m].best, s, tr, test, ctx));
    seeds.push({ seed: s, distance: await distanceRun(cfg, s, tr, ctx), runs });
  }
  return { selection, seeds };
}
