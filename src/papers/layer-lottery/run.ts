// When layers play the lottery (Jordao et al. 2023), on a residual MLP with batch norm and
// Fashion-MNIST: score every residual block at initialisation (GraSP, SNIP, or at random),
// drop the p lowest, and train the shallower net that inherits θ0 next to the dense net.
import * as tf from "@tensorflow/tfjs";
import { Dataset, sample } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { Rng, seed } from "../../core/random";
import { ResidualMLP } from "../../nn/residual-mlp";
import { evaluate } from "../../train/classifier";
import { crossEntropyFused } from "../../train/optimizers";
import { train } from "../../train/loop";
import { blockScores, graspScores, lowestBlocks, snipScores } from "../../prune";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface LayerLotteryConfig extends PaperConfig {
  trainExamples: number;
  valExamples: number;
  testExamples: number;
  width: number;
  blocks: number;
  /** Blocks removed. */
  removals: number[];
  epochs: number;
  batchSize: number;
  scoreBatch: number;
  lrs: number[];
}

export type Criterion = "grasp" | "snip" | "random";
export const CRITERIA: Criterion[] = ["grasp", "snip", "random"];

export interface PrunedRun {
  criterion: Criterion;
  p: number;
  removed: number[];
  testAcc: number;
  epochSeconds: number;
}

export interface LayerLotterySeedRun {
  seed: number;
  denseAcc: number;
  denseEpochSeconds: number;
  scores: { grasp: number[]; snip: number[] };
  pruned: PrunedRun[];
}

export interface LayerLotteryResult {
  trainExamples: number;
  valExamples: number;
  testExamples: number;
  flops: { dense: number; byP: Record<string, number> };
  /** LR per depth: "dense" and "p=<k>" (chosen on GraSP's pruned net of the first seed). */
  selection: Record<string, Selection>;
  runs: LayerLotterySeedRun[];
}

interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splits(cfg: LayerLotteryConfig): Splits {
  const pool = loadFashionMnist({ split: "train", limit: cfg.trainExamples + cfg.valExamples, seed: 21 });
  const { train: tr, val } = validationSplit(pool, cfg.valExamples / pool.n, 22);
  return { train: tr, val, test: sample(loadFashionMnist({ split: "test" }), cfg.testExamples, 23) };
}

const init = (cfg: LayerLotteryConfig, s: number) => {
  seed(s);
  return new ResidualMLP({ input: 784, width: cfg.width, blocks: cfg.blocks, classes: 10 });
};

/** Per-block scores at θ0 on one batch (batch statistics, running statistics untouched). */
export function scoreBlocks(model: ResidualMLP, batch: Dataset): { grasp: number[]; snip: number[] } {
  const x = tf.tensor2d(batch.x, [batch.n, batch.dim]);
  const y = tf.tensor1d(batch.y, "int32");
  model.training = true;
  model.freezeStats = true;
  const loss = () => crossEntropyFused(model.forward(x), y);
  const vars = model.variables();
  try {
    const snip = snipScores(loss, vars);
    const grasp = graspScores(loss, vars);
    const at = (scores: Float32Array[]) => {
      const byName = new Map(vars.map((v, i) => [v.name, scores[i]]));
      return model.blocks.map((b) => [byName.get(b.w1.name) as Float32Array, byName.get(b.w2.name) as Float32Array]);
    };
    // GraSP removes the weights with the highest −θ⊙Hg, so a block's importance is Σ θ⊙Hg.
    return { snip: blockScores(at(snip)), grasp: blockScores(at(grasp)).map((s) => -s) };
  } finally {
    model.freezeStats = false;
    x.dispose();
    y.dispose();
  }
}

async function fitScore(cfg: LayerLotteryConfig, m: ResidualMLP, data: Splits, lr: number, s: number, on: Dataset) {
  m.training = true;
  const r = await train(m, data.train, { epochs: cfg.epochs, batchSize: cfg.batchSize, lr, seed: s });
  m.training = false;
  const acc = evaluate(m, on).acc;
  return { acc, epochSeconds: r.seconds / cfg.epochs };
}

function removedBy(c: Criterion, scores: { grasp: number[]; snip: number[] }, p: number, blocks: number, s: number) {
  if (c === "random")
    return new Rng(7_000 + 31 * s + p)
      .permutation(blocks)
      .slice(0, p)
      .sort((a, b) => a - b);
  return lowestBlocks(scores[c], p);
}

const keepOf = (removed: number[], blocks: number) => [...Array(blocks).keys()].filter((b) => !removed.includes(b));

export async function runLayerLottery(cfg: LayerLotteryConfig, ctx: PaperContext): Promise<LayerLotteryResult> {
  const data = splits(cfg);
  const s0 = cfg.seeds[0];
  const scoreSet = (s: number) => sample(data.train, Math.min(cfg.scoreBatch, data.train.n), 900 + s);
  const tick = (label: string, values: Record<string, number> = {}) =>
    ctx.onProgress?.({ label, step: 1, total: 1, values });
  const selection: Record<string, Selection> = {};
  selection.dense = await selectOnValidation(cfg.lrs, async (lr) => {
    tick("select lr (dense)", { lr });
    const m = init(cfg, s0);
    const r = await fitScore(cfg, m, data, lr, s0, data.val);
    m.dispose();
    return r.acc;
  });
  const m0 = init(cfg, s0);
  const sc0 = scoreBlocks(m0, scoreSet(s0));
  for (const p of cfg.removals)
    selection[`p=${p}`] = await selectOnValidation(cfg.lrs, async (lr) => {
      tick(`select lr (p=${p})`, { lr });
      const m = m0.keepBlocks(keepOf(lowestBlocks(sc0.grasp, p), cfg.blocks));
      const r = await fitScore(cfg, m, data, lr, s0, data.val);
      m.dispose();
      return r.acc;
    });
  m0.dispose();
  const runs: LayerLotterySeedRun[] = [];
  const total = cfg.seeds.length * (1 + CRITERIA.length * cfg.removals.length);
  let step = 0;
  for (const s of cfg.seeds) {
    const theta0 = init(cfg, s);
    const scores = scoreBlocks(theta0, scoreSet(s));
    const pruned: PrunedRun[] = [];
    for (const p of cfg.removals)
      for (const c of CRITERIA) {
        ctx.onProgress?.({ label: `seed ${s}`, step: step++, total, values: { p } });
        const removed = removedBy(c, scores, p, cfg.blocks, s);
        const m = theta0.keepBlocks(keepOf(removed, cfg.blocks));
        const r = await fitScore(cfg, m, data, selection[`p=${p}`].best, s, data.test);
        m.dispose();
        pruned.push({ criterion: c, p, removed, testAcc: r.acc, epochSeconds: r.epochSeconds });
      }
    ctx.onProgress?.({ label: `seed ${s}`, step: step++, total, values: {} });
    const dense = await fitScore(cfg, theta0, data, selection.dense.best, s, data.test);
    theta0.dispose();
    runs.push({ seed: s, denseAcc: dense.acc, denseEpochSeconds: dense.epochSeconds, scores, pruned });
  }
  const flops = (b: number) => 784 * cfg.width + b * 2 * cfg.width * cfg.width + cfg.width * 10;
  return {
    trainExamples: data.train.n,
    valExamples: data.val.n,
    testExamples: data.test.n,
    flops: {
      dense: flops(cfg.blocks),
      byP: Object.fromEntries(cfg.removals.map((p) => [`p=${p}`, flops(cfg.blocks - p)])),
    },
    selection,
    runs,
  };
}
