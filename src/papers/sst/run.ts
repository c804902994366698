// Sparse Spectral Training at toy scale: an MLP on MNIST digits whose hidden weight matrices
// are trained from scratch as full-rank, low-rank only (B·A, rank matched to SST's per-step
// trainable count) or SST (U·diag(s)·Vᵀ, all s and r sampled vector pairs per step). Each method gets its own Adam learning rate,
// selected on a validation split of the first seed's training data, then every seed trains
// each method for the same number of steps and is scored on held-out test digits.
import * as tf from "@tensorflow/tfjs";
import { Dataset, toTensors } from "../../data/dataset";
import { seed, Rng } from "../../core/random";
import { matchedLowRank, SLTrainLinear } from "../../nn/sltrain";
import { SSTLinear, sstTrainableParams } from "../../nn/sst";
import { train } from "../../train/loop";
import { Selection } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { DenseLayer, hiddenDims, Layer, selectThenRunSeeds } from "../sltrain/mlp-harness";

export const METHODS = ["full-rank", "low-rank", "SST"] as const;
export type Method = (typeof METHODS)[number];

export interface SSTConfig extends PaperConfig {
  /** Digits drawn per seed (then split into train / validation / test). */
  examples: number;
  testFraction: number;
  valFraction: number;
  /** Width of the two hidden layers (784 → hidden → hidden → 10). */
  hidden: number;
  /** Singular-vector pairs SST updates at a time. */
  rank: number;
  /** Steps between redraws of the sampled vectors, and between re-SVDs. */
  resampleEvery: number;
  reorthEvery: number;
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
  /** Parameters of the two hidden layers updated per step (weights only). */
  hiddenParams: number;
  curve: Array<{ step: number; loss: number }>;
  /** SST only: largest |UᵀU − I|, |VᵀV − I| entry after training, and re-SVDs done per layer. */
  orthoError?: number;
  reorths?: number[];
}

export interface SeedRun {
  seed: number;
  runs: MethodRun[];
}

export interface SSTResult {
  selection: Record<Method, Selection>;
  selectionSeed: number;
  seeds: SeedRun[];
  ranks: { sst: number[]; lowRank: number[] };
  sizes: { train: number; val: number; test: number };
}

/** SST's rank per hidden layer, and the low-rank-only rank closest to SST's per-step trainable count. */
export function ranksFor(cfg: SSTConfig): { sst: number[]; lowRank: number[] } {
  const dims = hiddenDims(cfg.hidden);
  return {
    sst: dims.map(() => cfg.rank),
    lowRank: dims.map(([m, n]) => matchedLowRank(m, n, sstTrainableParams(m, n, cfg.rank, false))),
  };
}

function buildModel(cfg: SSTConfig, method: Method, s: number) {
  const rng = new Rng(1000 + s);
  const ranks = ranksFor(cfg);
  // The head is drawn first so that it starts identical across methods for a seed.
  const head = new DenseLayer(cfg.hidden, 10, rng);
  const hidden: Layer[] = hiddenDims(cfg.hidden).map(([m, n], l) =>
    method === "full-rank"
      ? new DenseLayer(m, n, rng)
      : method === "SST"
        ? new SSTLinear({
            inDim: m,
            outDim: n,
            rank: ranks.sst[l],
            seed: 97 * s + l,
            resampleEvery: cfg.resampleEvery,
            reorthEvery: cfg.reorthEvery,
          })
        : new SLTrainLinear({
            inDim: m,
            outDim: n,
            rank: ranks.lowRank[l],
            delta: 0,
            seed: 97 * s + l,
            bInit: "uniform",
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
    hooks: () => hidden.filter((l): l is SSTLinear => l instanceof SSTLinear).map((l) => l.hook()),
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

async function trainOne(
  cfg: SSTConfig,
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
    hooks: model.hooks(),
    logEvery: cfg.logEvery,
    onLog: (rec) => {
      curve.push({ step: rec.step, loss: rec.loss });
      progress(rec.step / cfg.steps);
    },
  });
  const { loss, acc } = evaluate((x) => model.forward(x), evalSet);
  const hiddenParams = model.hidden.reduce(
    (a, l) =>
      a +
      (l instanceof SSTLinear
        ? l.trainableParams() - l.outDim
        : l instanceof SLTrainLinear
          ? l.parameterCount() - l.outDim
          : (l as DenseLayer).w.size),
    0,
  );
  const sst = model.hidden.filter((l): l is SSTLinear => l instanceof SSTLinear);
  const ortho = sst.length ? Math.max(...sst.map((l) => l.orthogonalityError())) : null;
  model.dispose();
  return {
    method,
    lr,
    testLoss: loss,
    testAcc: acc,
    hiddenParams,
    curve,
    ...(ortho !== null ? { orthoError: ortho, reorths: sst.map((l) => l.reorths) } : {}),
  };
}

export async function runSST(cfg: SSTConfig, ctx: PaperContext): Promise<SSTResult> {
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
export function perSeed(r: SSTResult, method: Method, key: "testLoss" | "testAcc"): number[] {
  return r.seeds.map((s) => s.runs.find((x) => x.method === method)![key]);
}
