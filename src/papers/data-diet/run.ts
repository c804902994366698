// Data Diet (Paul, Ganguli & Dziugaite, NeurIPS 2021) at toy scale, the MLP part: score a
// Fashion-MNIST subset with EL2N / GraNd (averaged over K inits) and forgetting events, prune,
// retrain, and compare test accuracy with random pruning; then permute the labels of a fraction
// of the examples and measure how well each score finds the flipped labels and whether skipping
// the top scores (an offset) helps. Every training run goes through train() (src/train/loop.ts).
import * as tf from "@tensorflow/tfjs";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { addLabelNoise } from "../../data/label-noise";
import {
  averageScores,
  el2nFromLogits,
  grandScores,
  grandScoresAutograd,
  inputNorms,
  pruneByScore,
} from "../../metrics/data-diet";
import { ForgettingTracker } from "../../metrics/forgetting";
import { auroc, mean, spearman } from "../../metrics/stats";
import { MLP } from "../../nn/mlp";
import { Rng, seed } from "../../core/random";
import { fail } from "../../core/validate";
import { train } from "../../train/loop";
import { PaperConfig, PaperContext } from "../types";
import { DataDietConvConfig, DataDietConvRun, runDataDietConv } from "./conv";

export interface DataDietConfig extends PaperConfig {
  /** Training examples scored and pruned (a seeded sample of the 60k train split). */
  trainExamples: number;
  testExamples: number;
  hidden: number;
  /** Independent inits the scores are averaged over (the paper's E_w). */
  k: number;
  /** Epoch at which EL2N and GraNd ("GraNd early") are taken; "GraNd@init" is taken at step 0. */
  scoreEpoch: number;
  /** Each scoring run trains this long while counting forgetting events (≥ scoreEpoch). */
  forgetEpochs: number;
  retrainEpochs: number;
  /** Retrainings averaged per subset (retrain seeds seed + 77 + 100·r). */
  retrainSeeds: number;
  /** Fractions of the training set kept. */
  keeps: number[];
  /** Keep fraction of the headline comparison (must be in keeps). */
  headlineKeep: number;
  /** Label-noise fraction (labels permuted among this fraction of examples). */
  noise: number;
  /** Offsets (fractions of n, top scores skipped) tried on the noisy set at headlineKeep. */
  offsets: number[];
  batchSize: number;
  lr: number;
  /** The small conv net part (run after the MLP part, from its own seeds); null switches it off. */
  conv: DataDietConvConfig | null;
}

export type ScoreName = "EL2N" | "GraNd" | "GraNd@init" | "forgetting";
type Scores = Record<ScoreName, number[]>;

export interface PruneRow {
  method: string;
  keep: number;
  acc: number;
}
export interface NoisyRow {
  subset: string;
  offset: number | null;
  acc: number;
}

/** Everything one seed of the protocol measured (plain JSON). */
export interface DataDietSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  /** Max relative error of closed-form GraNd against per-example autograd (8 real examples, init MLP). */
  grandProbeError: number;
  fullAcc: number;
  /** Test accuracy per (score, keep), keeping the highest scores; "random" is a seeded random subset. */
  pruning: PruneRow[];
  /** EL2N-easy (lowest scores kept) at headlineKeep. */
  el2nEasy: number;
  spearmanGrandInitNorm: number;
  flippedLabels: number;
  /** Fraction of flipped labels among the |flipped| highest-EL2N noisy examples. */
  precisionAtNoisy: number;
  /** AUROC of each noisy-set score (and the label-blind input norm) for finding the flipped labels. */
  auroc: Array<{ score: string; auroc: number }>;
  /** Retraining on the noisy set: all, EL2N-hard, EL2N with each offset, random (all at headlineKeep). */
  noisy: NoisyRow[];
  /** Up to 800 examples: input norm and the clean scores (figure). */
  kirsch: Array<{ inputNorm: number; grandInit: number; grandEarly: number; el2n: number }>;
  /** The same examples on the noisy set (figure). */
  noisyScatter: Array<{ el2n: number; grandEarly: number; label: string }>;
  conv: DataDietConvRun | null;
  seconds: number;
}

export interface DataDietResult {
  runs: DataDietSeedRun[];
}

export const PRUNE_METHODS: Array<[string, ScoreName | null, "hardest" | "random"]> = [
  ["EL2N", "EL2N", "hardest"],
  ["GraNd", "GraNd", "hardest"],
  ["GraNd@init", "GraNd@init", "hardest"],
  ["forgetting", "forgetting", "hardest"],
  ["random", null, "random"],
];

type Tick = (label: string, values?: Record<string, number>) => void;

function testAccuracy(model: MLP, test: Dataset): number {
  return tf.tidy(() => {
    const x = tf.tensor2d(test.x, [test.n, test.dim]);
    const y = tf.tensor1d(test.y, "int32");
    return tf.mean(tf.equal(tf.argMax(model.forward(x), 1), y).toFloat()).dataSync()[0];
  });
}

/**
 * Scores of one freshly initialised run: GraNd at init, EL2N and GraNd after scoreEpoch epochs,
 * forgetting events over the first forgetEpochs epochs (correctness of each example at its
 * presentation, i.e. on the logits of the forward pass that trains on it).
 */
async function scoreRun(cfg: DataDietConfig, ds: Dataset, runSeed: number): Promise<Scores> {
  seed(runSeed);
  const model = new MLP({ sizes: [ds.dim, cfg.hidden, ds.numClasses], activation: "relu", init: "he" });
  const x = tf.tensor2d(ds.x, [ds.n, ds.dim]);
  const labels = Array.from(ds.y);
  const tracker = new ForgettingTracker(ds.n);
  let preds: tf.Tensor[] = [];
  let presented: number[] = [];
  let el2n: number[] = [];
  let grandEarly: number[] = [];
  try {
    const grandInit = grandScores(model, x, labels);
    await train(model, ds, {
      epochs: Math.max(cfg.scoreEpoch, cfg.forgetEpochs),
      batchSize: cfg.batchSize,
      lr: cfg.lr,
      seed: runSeed + 1,
      onForward: (logits, info) => {
        if (info.epoch > cfg.forgetEpochs || !info.idx) return;
        preds.push(tf.keep(tf.argMax(logits, 1)));
        presented = presented.concat(info.idx);
      },
      onEpoch: async (epoch) => {
        if (epoch <= cfg.forgetEpochs) {
          const all = tf.concat(preds);
          const p = await all.data();
          all.dispose();
          tf.dispose(preds);
          tracker.record(
            presented,
            presented.map((i, k) => p[k] === ds.y[i]),
          );
          preds = [];
          presented = [];
        }
        if (epoch === cfg.scoreEpoch) {
          const logits = tf.tidy(() => model.forward(x));
          el2n = el2nFromLogits(logits, labels);
          logits.dispose();
          grandEarly = grandScores(model, x, labels);
        }
      },
    });
    return { EL2N: el2n, GraNd: grandEarly, "GraNd@init": grandInit, forgetting: tracker.scores() };
  } finally {
    tf.dispose(preds);
    x.dispose();
    model.dispose();
  }
}

async function averagedScores(cfg: DataDietConfig, ds: Dataset, baseSeed: number, tick: () => void): Promise<Scores> {
  const runs: Scores[] = [];
  for (let r = 0; r < cfg.k; r++) {
    runs.push(await scoreRun(cfg, ds, baseSeed + 1000 * r));
    tick();
  }
  const avg = (key: ScoreName) => averageScores(runs.map((s) => s[key]));
  return { EL2N: avg("EL2N"), GraNd: avg("GraNd"), "GraNd@init": avg("GraNd@init"), forgetting: avg("forgetting") };
}

/** Test accuracy of a fresh MLP trained retrainEpochs epochs on `ds`. */
async function retrain(cfg: DataDietConfig, ds: Dataset, test: Dataset, runSeed: number): Promise<number> {
  seed(runSeed);
  const model = new MLP({ sizes: [ds.dim, cfg.hidden, ds.numClasses], activation: "relu", init: "he" });
  try {
    await train(model, ds, { epochs: cfg.retrainEpochs, batchSize: cfg.batchSize, lr: cfg.lr, seed: runSeed + 1 });
    return testAccuracy(model, test);
  } finally {
    model.dispose();
  }
}

/** Number of progress ticks one seed of the protocol makes. */
export function ticksPerSeed(cfg: DataDietConfig): number {
  const retrains = 1 + cfg.keeps.length * PRUNE_METHODS.length + 1 + 2 + cfg.offsets.length + 1;
  return 2 * cfg.k + retrains + (cfg.conv ? cfg.conv.k + 4 : 0);
}

/** The whole protocol for one seed `s` (data sample, score inits, retrainings and the conv part derive their seeds from it). */
export async function runDataDietSeed(cfg: DataDietConfig, s: number, tick: Tick): Promise<DataDietSeedRun> {
  const t0 = Date.now();
  const trainDs = loadFashionMnist({ split: "train", limit: cfg.trainExamples, seed: s });
  const test = loadFashionMnist({ split: "test", limit: cfg.testExamples, seed: s + 1 });
  const acc = async (ds: Dataset, idx: number[] | null) => {
    const accs: number[] = [];
    for (let r = 0; r < cfg.retrainSeeds; r++)
      accs.push(await retrain(cfg, idx ? subset(ds, idx) : ds, test, s + 77 + 100 * r));
    tick("retrain", { acc: mean(accs) });
    return mean(accs);
  };

  // ---- clean labels ----
  const clean = await averagedScores(cfg, trainDs, s + 10, () => tick("score (clean)"));
  const xTrain = tf.tensor2d(trainDs.x, [trainDs.n, trainDs.dim]);
  const norms = inputNorms(xTrain);
  // Closed-form GraNd against autograd on a few real examples of this very model.
  seed(s + 5);
  const probe = new MLP({ sizes: [trainDs.dim, cfg.hidden, trainDs.numClasses], activation: "relu" });
  const xProbe = tf.slice(xTrain, [0], [8]);
  const yProbe = Array.from(trainDs.y.subarray(0, 8));
  const fast = grandScores(probe, xProbe, yProbe);
  const slow = grandScoresAutograd(probe, xProbe, yProbe);
  const grandProbeError = Math.max(...fast.map((v, i) => Math.abs(v - slow[i]) / slow[i]));
  tf.dispose([xProbe, xTrain]);
  probe.dispose();

  const pruning: PruneRow[] = [];
  const fullAcc = await acc(trainDs, null);
  for (const keep of cfg.keeps) {
    for (const [method, key, order] of PRUNE_METHODS) {
      const idx = pruneByScore(key ? clean[key] : clean.EL2N, { keep, order, seed: s + 3 });
      pruning.push({ method, keep, acc: await acc(trainDs, idx) });
    }
  }
  const el2nEasy = await acc(trainDs, pruneByScore(clean.EL2N, { keep: cfg.headlineKeep, order: "easiest" }));

  // ---- label noise ----
  const noise = addLabelNoise(trainDs.y, cfg.noise, trainDs.numClasses, s + 21);
  const noisyTrain: Dataset = { ...trainDs, y: noise.labels, name: trainDs.name + ":noisy" };
  const noisy = await averagedScores(cfg, noisyTrain, s + 40, () => tick("score (noisy)"));
  const aurocRows = (Object.keys(noisy) as ScoreName[]).map((k) => ({
    score: k as string,
    auroc: auroc(noisy[k], noise.noisy),
  }));
  aurocRows.push({ score: "input norm", auroc: auroc(norms, noise.noisy) });
  const nNoisy = noise.noisy.filter(Boolean).length;
  const topEl2n = pruneByScore(noisy.EL2N, { keep: { count: nNoisy }, order: "hardest" });
  const precisionAtNoisy = topEl2n.filter((i) => noise.noisy[i]).length / nNoisy;
  const hk = cfg.headlineKeep;
  const noisyRows: NoisyRow[] = [];
  noisyRows.push({ subset: "all data", offset: null, acc: await acc(noisyTrain, null) });
  noisyRows.push({
    subset: "EL2N-hard",
    offset: null,
    acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, order: "hardest" })),
  });
  for (const off of cfg.offsets) {
    noisyRows.push({
      subset: `EL2N offset ${off}`,
      offset: off,
      acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, offset: off, order: "hardest" })),
    });
  }
  noisyRows.push({
    subset: "random",
    offset: null,
    acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, order: "random", seed: s + 3 })),
  });

  // ---- GraNd at init against the input norm (Kirsch 2023) ----
  const spearmanGrandInitNorm = spearman(clean["GraNd@init"], norms);
  const plotIdx = new Rng(s + 9).permutation(trainDs.n).slice(0, Math.min(trainDs.n, 800));
  const kirsch = plotIdx.map((i) => ({
    inputNorm: norms[i],
    grandInit: clean["GraNd@init"][i],
    grandEarly: clean.GraNd[i],
    el2n: clean.EL2N[i],
  }));
  const noisyScatter = plotIdx.map((i) => ({
    el2n: noisy.EL2N[i],
    grandEarly: noisy.GraNd[i],
    label: noise.noisy[i] ? "flipped" : "clean",
  }));

  // ---- conv net (after everything above, from its own seeds, so the MLP numbers do not move) ----
  const conv = cfg.conv ? await runDataDietConv(cfg.conv, s + cfg.conv.seedOffset, tick) : null;
  return {
    seed: s,
    trainExamples: trainDs.n,
    testExamples: test.n,
    grandProbeError,
    fullAcc,
    pruning,
    el2nEasy,
    spearmanGrandInitNorm,
    flippedLabels: nNoisy,
    precisionAtNoisy,
    auroc: aurocRows,
    noisy: noisyRows,
    kirsch,
    noisyScatter,
    conv,
    seconds: (Date.now() - t0) / 1000,
  };
}

export async function runDataDiet(cfg: DataDietConfig, ctx: PaperContext): Promise<DataDietResult> {
  if (!cfg.keeps.includes(cfg.headlineKeep))
    fail("config.headlineKeep", `${cfg.headlineKeep} must be one of keeps [${cfg.keeps}]`);
  if (cfg.forgetEpochs < cfg.scoreEpoch)
    fail("config.forgetEpochs", `must be ≥ scoreEpoch (${cfg.scoreEpoch}), got ${cfg.forgetEpochs}`);
  const total = ticksPerSeed(cfg) * cfg.seeds.length;
  let step = 0;
  const runs: DataDietSeedRun[] = [];
  for (const [i, s] of cfg.seeds.entries()) {
    const tick: Tick = (label, values) =>
      ctx.onProgress?.({ label: `seed ${s} (${i + 1}/${cfg.seeds.length}): ${label}`, step: ++step, total, values });
    runs.push(await runDataDietSeed(cfg, s, tick));
  }
  return { runs };
}
