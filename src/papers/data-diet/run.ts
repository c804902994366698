// Data Diet (Paul, Ganguli & Dziugaite, NeurIPS 2021) at toy scale: score a Fashion-MNIST
// subset with EL2N / GraNd (averaged over K inits) and forgetting events, prune, retrain, and
// compare test accuracy with random pruning; then add 20% label noise and measure how well
// each score finds the flipped labels and whether skipping the top scores (offset) helps.
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../core/backend";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { addLabelNoise } from "../../data/label-noise";
import { averageScores, el2nFromLogits, grandScores, grandScoresAutograd, inputNorms, pruneByScore } from "../../metrics/data-diet";
import { ForgettingTracker } from "../../metrics/forgetting";
import { auroc, mean, spearman } from "../../metrics/stats";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { Rng, seed } from "../../core/random";
import { check, Experiment, ExperimentResult, RunOptions } from "../../core/types";
import { DataDietConvConfig, runDataDietConv } from "./conv";

export interface DataDietConfig {
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
  retrainSeeds: number;
  /** Fractions of the training set kept. */
  keeps: number[];
  /** Keep fraction of the card's headline comparison (must be in keeps). */
  headlineKeep: number;
  /** Label-noise fraction (labels permuted among this fraction of examples). */
  noise: number;
  /** Offsets (fractions of n, top scores skipped) tried on the noisy set at headlineKeep. */
  offsets: number[];
  batchSize: number;
  lr: number;
  seed: number;
  /** The small conv net part (run after the MLP part, from its own seeds); null switches it off. */
  conv: DataDietConvConfig | null;
}

const base: DataDietConfig = {
  trainExamples: 3000, testExamples: 2000, hidden: 256, k: 3, scoreEpoch: 2, forgetEpochs: 5,
  retrainEpochs: 8, retrainSeeds: 1, keeps: [0.3, 0.5, 0.7, 0.9], headlineKeep: 0.5,
  noise: 0.2, offsets: [0.2], batchSize: 128, lr: 1e-3, seed: 0,
  conv: { trainExamples: 3000, testExamples: 2000, k: 2, scoreEpoch: 2, grandExamples: 3000, retrainEpochs: 8, keep: 0.5, batchSize: 64, lr: 1e-3, seed: 100 },
};

type Scores = Record<"EL2N" | "GraNd" | "GraNd@init" | "forgetting", number[]>;

function tensors(ds: Dataset): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return { x: tf.tensor2d(ds.x, [ds.n, ds.dim]), y: tf.tensor1d(ds.y, "int32") };
}

/** One epoch of Adam on seeded minibatches built in JS (no tf.gather: slow on wasm). Records correctness at presentation. */
async function trainEpoch(model: MLP, opt: tf.Optimizer, ds: Dataset, bs: number, rng: Rng, tracker?: ForgettingTracker): Promise<void> {
  const perm = rng.permutation(ds.n);
  const correct: tf.Tensor[] = [];
  for (let s = 0; s < ds.n; s += bs) {
    const idx = perm.slice(s, s + bs);
    const { x: xb, y: yb } = subset(ds, idx);
    tf.tidy(() => {
      const x = tf.tensor2d(xb, [idx.length, ds.dim]);
      const y = tf.tensor1d(yb, "int32");
      opt.minimize(() => {
        const logits = model.forward(x);
        if (tracker) correct.push(tf.keep(tf.equal(tf.argMax(logits, 1), y)));
        return crossEntropy(logits, y);
      }, false, model.variables());
    });
  }
  if (tracker) {
    const all = tf.concat(correct);
    tracker.record(perm, await all.data());
    all.dispose();
  }
  tf.dispose(correct);
}

function testAccuracy(model: MLP, test: { x: tf.Tensor2D; y: tf.Tensor1D }): number {
  return tf.tidy(() => tf.mean(tf.equal(tf.argMax(model.forward(test.x), 1), test.y).toFloat()).dataSync()[0]);
}

/** Scores of one freshly initialised run: GraNd at init, EL2N and GraNd at scoreEpoch, forgetting over forgetEpochs. */
async function scoreRun(cfg: DataDietConfig, train: Dataset, runSeed: number): Promise<Scores> {
  seed(runSeed);
  const model = new MLP({ sizes: [train.dim, cfg.hidden, train.numClasses], activation: "relu", init: "he" });
  const opt = tf.train.adam(cfg.lr);
  const { x } = tensors(train);
  const labels = Array.from(train.y);
  const rng = new Rng(runSeed + 1);
  const tracker = new ForgettingTracker(train.n);
  try {
    const grandInit = grandScores(model, x, labels);
    let el2n: number[] = [];
    let grandEarly: number[] = [];
    for (let e = 1; e <= Math.max(cfg.scoreEpoch, cfg.forgetEpochs); e++) {
      await trainEpoch(model, opt, train, cfg.batchSize, rng, e <= cfg.forgetEpochs ? tracker : undefined);
      if (e === cfg.scoreEpoch) {
        const logits = tf.tidy(() => model.forward(x));
        el2n = el2nFromLogits(logits, labels);
        logits.dispose();
        grandEarly = grandScores(model, x, labels);
      }
    }
    return { EL2N: el2n, GraNd: grandEarly, "GraNd@init": grandInit, forgetting: tracker.scores() };
  } finally {
    x.dispose();
    opt.dispose();
    model.dispose();
  }
}

async function averagedScores(cfg: DataDietConfig, train: Dataset, baseSeed: number, tick: () => void): Promise<Scores> {
  const runs: Scores[] = [];
  for (let r = 0; r < cfg.k; r++) {
    runs.push(await scoreRun(cfg, train, baseSeed + 1000 * r));
    tick();
  }
  const avg = (key: keyof Scores) => averageScores(runs.map((s) => s[key]));
  return { EL2N: avg("EL2N"), GraNd: avg("GraNd"), "GraNd@init": avg("GraNd@init"), forgetting: avg("forgetting") };
}

async function retrain(cfg: DataDietConfig, ds: Dataset, test: { x: tf.Tensor2D; y: tf.Tensor1D }, runSeed: number): Promise<number> {
  seed(runSeed);
  const model = new MLP({ sizes: [ds.dim, cfg.hidden, ds.numClasses], activation: "relu", init: "he" });
  const opt = tf.train.adam(cfg.lr);
  const rng = new Rng(runSeed + 1);
  try {
    for (let e = 0; e < cfg.retrainEpochs; e++) await trainEpoch(model, opt, ds, cfg.batchSize, rng);
    return testAccuracy(model, test);
  } finally {
    opt.dispose();
    model.dispose();
  }
}

type Row = Record<string, number | string>;
const PRUNE_METHODS: Array<[string, keyof Scores | null, "hardest" | "easiest" | "random"]> = [
  ["EL2N", "EL2N", "hardest"], ["GraNd", "GraNd", "hardest"], ["GraNd@init", "GraNd@init", "hardest"],
  ["forgetting", "forgetting", "hardest"], ["random", null, "random"],
];

export const dataDiet: Experiment<DataDietConfig> = {
  name: "data-diet",
  paper: "Paul, Ganguli & Dziugaite, Deep Learning on a Data Diet: Finding Important Examples Early in Training, NeurIPS 2021 (arXiv 2107.07075); Kirsch, arXiv 2303.14753",
  claim: "Examples with high EL2N early in training are the important ones: keeping them prunes much of the data at little cost, beating random pruning, while top scores under label noise are mostly mislabelled and should be skipped.",
  presets: {
    smoke: { ...base, trainExamples: 600, testExamples: 600, hidden: 64, k: 2, forgetEpochs: 3, retrainEpochs: 3, keeps: [0.5], offsets: [0.2], conv: null },
    default: base,
    full: { ...base, trainExamples: 10000, testExamples: 10000, k: 5, forgetEpochs: 12, retrainEpochs: 12, retrainSeeds: 2, offsets: [0.1, 0.2],
      conv: { ...base.conv!, trainExamples: 10000, testExamples: 10000, k: 3, grandExamples: 10000, retrainEpochs: 12 } },
  },
  async run(cfg: DataDietConfig, opts: RunOptions = {}): Promise<ExperimentResult> {
    await backendReady();
    seed(cfg.seed);
    if (!cfg.keeps.includes(cfg.headlineKeep)) throw new Error(`config.headlineKeep: ${cfg.headlineKeep} must be one of keeps [${cfg.keeps}]`);
    const t0 = Date.now();
    const train = loadFashionMnist({ split: "train", limit: cfg.trainExamples, seed: cfg.seed });
    const testDs = loadFashionMnist({ split: "test", limit: cfg.testExamples, seed: cfg.seed + 1 });
    const test = tensors(testDs);
    const retrains = (1 + cfg.keeps.length * PRUNE_METHODS.length + 1 + 2 + cfg.offsets.length) * cfg.retrainSeeds;
    const total = 2 * cfg.k + retrains + (cfg.conv ? cfg.conv.k + 4 : 0);
    let step = 0;
    const tick = (label: string, values?: Record<string, number>) => opts.onProgress?.({ label, step: ++step, total, values });
    const acc = async (ds: Dataset, idx: number[] | null) => {
      const accs: number[] = [];
      for (let s = 0; s < cfg.retrainSeeds; s++) accs.push(await retrain(cfg, idx ? subset(ds, idx) : ds, test, cfg.seed + 77 + 100 * s));
      tick("retrain", { acc: mean(accs) });
      return mean(accs);
    };

    // ---- clean labels ----
    const clean = await averagedScores(cfg, train, cfg.seed + 10, () => tick("score (clean)"));
    const xTrain = tf.tensor2d(train.x, [train.n, train.dim]);
    const norms = inputNorms(xTrain);
    // Sanity: closed-form GraNd equals autograd on a few real examples of this very model.
    seed(cfg.seed + 5);
    const probe = new MLP({ sizes: [train.dim, cfg.hidden, train.numClasses], activation: "relu" });
    const xProbe = tf.slice(xTrain, [0], [8]);
    const yProbe = Array.from(train.y.subarray(0, 8));
    const fast = grandScores(probe, xProbe, yProbe);
    const slow = grandScoresAutograd(probe, xProbe, yProbe);
    const probeErr = Math.max(...fast.map((v, i) => Math.abs(v - slow[i]) / slow[i]));
    tf.dispose([xProbe, xTrain]);
    probe.dispose();

    const pruning: Row[] = [];
    const fullAcc = await acc(train, null);
    for (const keep of cfg.keeps) {
      for (const [method, key, order] of PRUNE_METHODS) {
        const idx = pruneByScore(key ? clean[key] : clean.EL2N, { keep, order, seed: cfg.seed + 3 });
        pruning.push({ method, keep, acc: await acc(train, idx) });
      }
    }
    const easyAcc = await acc(train, pruneByScore(clean.EL2N, { keep: cfg.headlineKeep, order: "easiest" }));
    const at = (m: string) => pruning.find((r) => r.method === m && r.keep === cfg.headlineKeep)!.acc as number;
    for (const keep of cfg.keeps) pruning.push({ method: "all data", keep, acc: fullAcc });

    // ---- 20% label noise ----
    const noise = addLabelNoise(train.y, cfg.noise, train.numClasses, cfg.seed + 21);
    const noisyTrain: Dataset = { ...train, y: noise.labels, name: train.name + ":noisy" };
    const noisy = await averagedScores(cfg, noisyTrain, cfg.seed + 40, () => tick("score (noisy)"));
    const aurocRows: Row[] = (Object.keys(noisy) as Array<keyof Scores>).map((s) => ({ score: s, auroc: auroc(noisy[s], noise.noisy) }));
    aurocRows.push({ score: "input norm", auroc: auroc(norms, noise.noisy) });
    const nNoisy = noise.noisy.filter(Boolean).length;
    const topEl2n = pruneByScore(noisy.EL2N, { keep: { count: nNoisy }, order: "hardest" });
    const precisionAtNoisy = topEl2n.filter((i) => noise.noisy[i]).length / nNoisy;
    const noisyRows: Row[] = [];
    const hk = cfg.headlineKeep;
    noisyRows.push({ subset: "all data", acc: await acc(noisyTrain, null) });
    noisyRows.push({ subset: "EL2N-hard", acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, order: "hardest" })) });
    for (const off of cfg.offsets) {
      noisyRows.push({ subset: `EL2N offset ${off}`, offset: off, acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, offset: off, order: "hardest" })) });
    }
    noisyRows.push({ subset: "random", acc: await acc(noisyTrain, pruneByScore(noisy.EL2N, { keep: hk, order: "random", seed: cfg.seed + 3 })) });
    test.x.dispose();
    test.y.dispose();

    // ---- Kirsch: GraNd at init tracks the input norm ----
    const rhoNorm = spearman(clean["GraNd@init"], norms);
    const plotIdx = new Rng(cfg.seed + 9).permutation(train.n).slice(0, Math.min(train.n, 800));
    const kirsch = plotIdx.map((i) => ({ inputNorm: norms[i], grandInit: clean["GraNd@init"][i], grandEarly: clean.GraNd[i], el2n: clean.EL2N[i] }));
    const noisyScatter = plotIdx.map((i) => ({ el2n: noisy.EL2N[i], grandEarly: noisy.GraNd[i], label: noise.noisy[i] ? "flipped" : "clean" }));

    const el2nHard = at("EL2N");
    const rand = at("random");
    const grandInit = at("GraNd@init");
    const aur = (s: string) => aurocRows.find((r) => r.score === s)!.auroc as number;
    const el2nHardNoisy = noisyRows[1].acc as number;
    const bestOffset = Math.max(...noisyRows.filter((r) => typeof r.offset === "number").map((r) => r.acc as number));
    const f3 = (v: number) => v.toFixed(3);
    // ---- conv net (after everything above, from its own seeds, so the MLP numbers do not move) ----
    const conv = cfg.conv ? runDataDietConv(cfg.conv, tick) : null;
    return {
      series: { pruning, noisy: noisyRows, auroc: aurocRows, kirsch, noisyScatter, conv: conv?.rows ?? [] },
      checks: [
        check("GraNd closed form equals per-example autograd (8 real examples, init MLP)", probeErr, "max rel. error < 1e-3", probeErr < 1e-3),
        check(`Clean: EL2N-hard at keep ${hk} ≥ random pruning`, `${f3(el2nHard)} vs random ${f3(rand)}`, "EL2N-hard ≥ random", el2nHard >= rand),
        check(`Clean: EL2N-hard at keep ${hk} within 0.02 of the full data`, `${f3(el2nHard)} vs full ${f3(fullAcc)}`, "≥ full − 0.02", el2nHard >= fullAcc - 0.02),
        check(`Clean: GraNd at init no better than random (Kirsch 2023)`, `${f3(grandInit)} vs random ${f3(rand)}`, "≤ random + 0.01", grandInit <= rand + 0.01),
        check("GraNd at init tracks the input norm (Kirsch 2023)", rhoNorm, "Spearman ≥ 0.9", rhoNorm >= 0.9),
        check(`Noisy (${cfg.noise}): EL2N finds the flipped labels`, aur("EL2N"), "AUROC ≥ 0.9", aur("EL2N") >= 0.9),
        check(`Noisy: skipping the top scores (best offset) beats EL2N-hard by > 0.2`, `${f3(bestOffset)} vs ${f3(el2nHardNoisy)}`, "offset > EL2N-hard + 0.2", bestOffset > el2nHardNoisy + 0.2),
        ...(conv?.checks ?? []),
      ],
      summary: {
        trainExamples: train.n, testExamples: testDs.n, k: cfg.k, fullAcc, el2nHard, el2nEasy: easyAcc, random: rand,
        grandEarly: at("GraNd"), grandInit, forgetting: at("forgetting"), spearmanGrandInitNorm: rhoNorm,
        flippedLabels: nNoisy, precisionAtNoisy, aurocEl2n: aur("EL2N"), aurocGrandEarly: aur("GraNd"),
        aurocGrandInit: aur("GraNd@init"), aurocForgetting: aur("forgetting"), seconds: (Date.now() - t0) / 1000,
        ...(conv?.summary ?? {}),
      },
    };
  },
};
