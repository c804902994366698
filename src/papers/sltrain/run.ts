// SLTrain at toy scale: an MLP on MNIST digits whose hidden weight matrices are trained from
// scratch as full-rank, low-rank only (B·A, rank matched to SLTrain's parameter count) or
// SLTrain (low-rank + fixed-support sparse). Each method gets its own Adam learning rate,
// selected on a validation split of the first seed's training data, then every seed trains
// each method for the same number of steps and is scored on held-out test digits.
import * as tf from "@tensorflow/tfjs";
import { Dataset, toTensors } from "../../data/dataset";
import { seed, Rng } from "../../core/random";
import { matchedLowRank, sltrainParamCount, SLTrainLinear } from "../../nn/sltrain";
import { train } from "../../train/loop";
import { Selection } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { DenseLayer, hiddenDims, Layer, selectThenRunSeeds } from "./mlp-harness";

export const METHODS = ["full-rank", "low-rank", "SLTrain"] as const;
export type Method = (typeof METHODS)[number];

export interface SLTrainConfig extends PaperConfig {
  /** Digits drawn per seed (then split into train / validation / test). */
  examples: number;
  testFraction: number;
  valFraction: number;
  /** Width of the two hidden layers (784 → hidden → hidden → 10). */
  hidden: number;
  /** SLTrain rank r, scale numerator α and support fraction δ. */
  rank: number;
  alpha: number;
  delta: number;
  steps: number;
  batchSize: number;
  /** Adam learning rates tried on validation for every method (extended at an edge). */
  lrGrid: number[];
  /** Record the training loss every this many steps (for the figure). */
  logEvery: number;
}

export interface MethodRun {
  method: Method;
  lr: number;
  testLoss: number;
  testAcc: number;
  /** Trainable parameters of the two factorised hidden layers (weights only). */
  hiddenParams: number;
  curve: Array<{ step: number; loss: number }>;
  /** SLTrain only: support entries per layer, and whether S stayed zero off its support. */
  supportSizes?: number[];
  offSupportZero?: boolean;
  supportUnchanged?: boolean;
}

export interface SeedRun {
  seed: number;
  runs: MethodRun[];
}

export interface SLTrainResult {
  selection: Record<Method, Selection>;
  selectionSeed: number;
  seeds: SeedRun[];
  ranks: { sltrain: number[]; lowRank: number[] };
  sizes: { train: number; val: number; test: number };
}

/** SLTrain's rank per hidden layer, and the low-rank-only rank with the same parameter count. */
export function ranksFor(cfg: SLTrainConfig): { sltrain: number[]; lowRank: number[] } {
  const dims = hiddenDims(cfg.hidden);
  return {
    sltrain: dims.map(() => cfg.rank),
    lowRank: dims.map(([m, n]) => matchedLowRank(m, n, sltrainParamCount(m, n, cfg.rank, cfg.delta, false))),
  };
}

function buildModel(cfg: SLTrainConfig, method: Method, s: number) {
  const rng = new Rng(1000 + s);
  const ranks = ranksFor(cfg);
  // The head is drawn first so that it starts identical across methods for a seed.
  const head = new DenseLayer(cfg.hidden, 10, rng);
  const hidden: Layer[] = hiddenDims(cfg.hidden).map(([m, n], l) =>
    method === "full-rank"
      ? new DenseLayer(m, n, rng)
      : new SLTrainLinear({
          inDim: m,
          outDim: n,
          rank: method === "SLTrain" ? ranks.sltrain[l] : ranks.lowRank[l],
          delta: method === "SLTrain" ? cfg.delta : 0,
          alpha: method === "SLTrain" ? cfg.alpha : (cfg.alpha * ranks.lowRank[l]) / cfg.rank,
          seed: 97 * s + l,
          bInit: method === "SLTrain" ? "zeros" : "uniform",
        }),
  );
  const layers = [...hidden, head];
  return {
    hidden,
    forward(x: tf.Tensor2D): tf.Tensor2D {
      let h = x;
      layers.forEach((layer, l) => {
        h = layer.forward(h);
        if (l + 1 < layers.length) h = tf.relu(h);
      });
      return h;
    },
    variables: () => layers.flatMap((layer) => layer.variables()),
    dispose: () => layers.forEach((layer) => layer.dispose()),
  };
}

function evaluate(forward: (x: tf.Tensor2D) => tf.Tensor2D, ds: Dataset): { loss: number; acc: number } {
  return tf.tidy(() => {
    const { x, y } = toTensors(ds);
    const logits = forward(x);
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(y, 10)), 1);
    const loss = -tf.mean(picked).dataSync()[0];
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32")).dataSync()[0];
    return { loss, acc };
  });
}

/** Off-support entries of S still exactly zero, and the support the one drawn from the seed. */
function supportReport(layers: Layer[]): { sizes: number[]; offZero: boolean; unchanged: boolean } {
  const sl = layers.filter((l): l is SLTrainLinear => l instanceof SLTrainLinear && l.s !== null);
  let offZero = true;
  let unchanged = true;
  for (const l of sl) {
    const s = l.s!.dataSync();
    const on = new Uint8Array(s.length);
    l.support.forEach((k) => (on[k] = 1));
    for (let i = 0; i < s.length; i++) if (!on[i] && s[i] !== 0) offZero = false;
    let nonzero = 0;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) nonzero++;
    if (nonzero !== l.support.length) unchanged = false;
  }
  return { sizes: sl.map((l) => l.support.length), offZero, unchanged };
}

async function trainOne(
  cfg: SLTrainConfig,
  method: Method,
  lr: number,
  s: number,
  trainSet: Dataset,
  evalSet: Dataset,
  progress: (frac: number) => void,
): Promise<MethodRun> {
  seed(s);
  const model = buildModel(cfg, method, s);
  const curve: Array<{ step: number; loss: number }> = [];
  await train(model, trainSet, {
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    sampler: "stream",
    seed: s,
    optimizer: "adam",
    lr,
    logEvery: cfg.logEvery,
    onLog: (rec) => {
      curve.push({ step: rec.step, loss: rec.loss });
      progress(rec.step / cfg.steps);
    },
  });
  const { loss, acc } = evaluate((x) => model.forward(x), evalSet);
  const hiddenParams = model.hidden.reduce(
    (a, l) => a + (l instanceof SLTrainLinear ? l.parameterCount() - l.outDim : (l as DenseLayer).w.size),
    0,
  );
  const sup = method === "SLTrain" ? supportReport(model.hidden) : null;
  model.dispose();
  return {
    method,
    lr,
    testLoss: loss,
    testAcc: acc,
    hiddenParams,
    curve,
    ...(sup ? { supportSizes: sup.sizes, offSupportZero: sup.offZero, supportUnchanged: sup.unchanged } : {}),
  };
}

export async function runSLTrain(cfg: SLTrainConfig, ctx: PaperContext): Promise<SLTrainResult> {
  const { selection, seeds, sel } = await selectThenRunSeeds(
    METHODS,
    cfg,
    (method, lr, s, tr, evalSet, onFrac) => trainOne(cfg, method, lr, s, tr, evalSet, onFrac),
    ctx.onProgress,
  );
  return {
    selection,
    selectionSeed: cfg.seeds[0],
    seeds,
    ranks: ranksFor(cfg),
    sizes: { train: sel.train.n, val: sel.val.n, test: sel.test.n },
  };
}

/** One metric per seed for a method, in seed order. */
export function perSeed(r: SLTrainResult, method: Method, key: "testLoss" | "testAcc"): number[] {
  return r.seeds.map((s) => s.runs.find((x) => x.method === method)![key]);
}
