// Data Diet (Paul, Ganguli & Dziugaite, NeurIPS 2021) at toy scale, the MLP part: score a
// Fashion-MNIST subset with EL2N / GraNd (averaged over K inits, taken at the paper's early
// point: a tenth of the training budget) and forgetting events, prune, retrain every subset
// for the full-data run's number of optimizer steps, and compare test accuracy with random
// pruning; compared subsets select their own learning rate on a validation split. Then permute
// the labels of a fraction of the examples and measure how well each score finds the flipped
// labels and whether skipping the top scores (an offset) helps. Every training run goes
// through train() (src/train/loop.ts).
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
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { DataDietConvConfig, DataDietConvRun, runDataDietConv } from "./conv";

export interface DataDietConfig extends PaperConfig {
  /** Training examples scored and pruned (a seeded sample of the 60k train split, validation carved off first). */
  trainExamples: number;
  /** Validation examples carved from the same train-split sample (learning-rate selection only). */
  valExamples: number;
  testExamples: number;
  hidden: number;
  /** Independent inits the scores are averaged over (the paper's E_w). */
  k: number;
  /**
   * EL2N and GraNd ("GraNd early") are taken after this fraction of the full-data training
   * budget (the paper: epoch 20 of 200, i.e. 0.1); "GraNd@init" is taken at step 0.
   */
  scoreFraction: number;
  /** Each scoring run trains this many epochs while counting forgetting events (covers the score step). */
  forgetEpochs: number;
  /** Adam learning rate of the scoring runs (the fixed recipe the scores come from). */
  scoreLr: number;
  /** Epochs of the full-data run; every subset trains the same number of optimizer steps. */
  retrainEpochs: number;
  /** Retrainings averaged per subset (retrain seeds seed + 77 + 100·r). */
  retrainSeeds: number;
  /** Learning-rate grid; each compared subset selects its own rate on the validation split (extended at an edge). */
  lrs: number[];
  /** Fractions of the training set kept. */
  keeps: number[];
  /** Keep fraction of the headline comparison (must be in keeps). */
  headlineKeep: number;
  /** Label-noise fraction (labels permuted among this fraction of examples). */
  noise: number;
  /** Offsets (fractions of n, top scores skipped) tried on the noisy set at headlineKeep. */
  offsets: number[];
  batchSize: number;
  /** The small conv net part (run after the MLP part, from its own seeds); null switches it off. */
  conv: DataDietConvConfig | null;
}

export type ScoreName = "EL2N" | "GraNd" | "GraNd@init" | "forgetting";
type Scores = Record<ScoreName, number[]>;

export interface PruneRow {
  method: string;
  keep: number;
  acc: number;
  /** Learning rate used (selected on validation for compared subsets, else the full-data one). */
  lr: number;
}
export interface NoisyRow {
  subset: string;
  offset: number | null;
  acc: number;
  lr: number;
}

/** Everything one seed of the protocol measured (plain JSON). */
export interface DataDietSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  /** Max relative error of closed-form GraNd against per-example autograd (8 real examples, init MLP). */
  grandProbeError: number;
  fullAcc: number;
  /** Optimizer steps of every retraining (the full-data run's budget). */
  steps: number;
  /** Step at which EL2N and GraNd early were taken. */
  scoreStep: number;
  /** Learning-rate selections on the validation split, by subset name. */
  selections: Record<string, Selection>;
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

/** Pruning rules: name, score (null = random), order, and whether the rule selects its own learning rate (a compared arm). */
export const PRUNE_METHODS: Array<[string, ScoreName | null, "hardest" | "random", boolean]> = [
  ["EL2N", "EL2N", "hardest", true],
  ["GraNd", "GraNd", "hardest", false],
  ["GraNd@init", "GraNd@init", "hardest", true],
  ["forgetting", "forgetting", "hardest", false],
  ["random", null, "random", true],
];
/** Methods retrained at every keep fraction (the others only at headlineKeep). */
const SWEPT = new Set(["EL2N", "random"]);

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
async function scoreRun(cfg: DataDietConfig, ds: Dataset, runSeed: number, scoreStep: number): Promise<Scores> {
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
      epochs: cfg.forgetEpochs,
      batchSize: cfg.batchSize,
      lr: cfg.scoreLr,
      seed: runSeed + 1,
      evalAt: [scoreStep],
      onEval: () => {
        const logits = tf.tidy(() => model.forward(x));
        el2n = el2nFromLogits(logits, labels);
        logits.dispose();
        grandEarly = grandScores(model, x, labels);
      },
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
      },
    });
    return { EL2N: el2n, GraNd: grandEarly, "GraNd@init": grandInit, forgetting: tracker.scores() };
  } finally {
    tf.dispose(preds);
    x.dispose();
    model.dispose();
  }
}

async function averagedScores(
  cfg: DataDietConfig,
  ds: Dataset,
  baseSeed: number,
  scoreStep: number,
  tick: () => void,
): Promise<Scores> {
  const runs: Scores[] = [];
  for (let r = 0; r < cfg.k; r++) {
    runs.push(await scoreRun(cfg, ds, baseSeed + 1000 * r, scoreStep));
    tick();
  }
  const avg = (key: ScoreName) => averageScores(runs.map((s) => s[key]));
  return { EL2N: avg("EL2N"), GraNd: avg("GraNd"), "GraNd@init": avg("GraNd@init"), forgetting: avg("forgetting") };
}

/** Test (and validation) accuracy of a fresh MLP trained `steps` optimizer steps on `ds` at `lr`. */
async function retrain(
  cfg: DataDietConfig,
  ds: Dataset,
  evalSets: { test: Dataset; val: Dataset },
  runSeed: number,
  steps: number,
  lr: number,
): Promise<{ test: number; val: number }> {
  seed(runSeed);
  const model = new MLP({ sizes: [ds.dim, cfg.hidden, ds.numClasses], activation: "relu", init: "he" });
  try {
    await train(model, ds, { steps, batchSize: Math.min(cfg.batchSize, ds.n), lr, seed: runSeed + 1 });
    return { test: testAccuracy(model, evalSets.test), val: testAccuracy(model, evalSets.val) };
  } finally {
    model.dispose();
  }
}

/** Number of progress ticks one seed of the protocol makes (one per retraining subset, one per scoring run). */
export function ticksPerSeed(cfg: DataDietConfig): number {
  const clean = 1 + cfg.keeps.length * SWEPT.size + (PRUNE_METHODS.length - SWEPT.size) + 1;
  const retrains = clean + 3 + cfg.offsets.length;
  return 2 * cfg.k + retrains + (cfg.conv ? cfg.conv.k + 4 : 0);
}

/** The whole protocol for one seed `s` (data sample, score inits, retrainings and the conv part derive their seeds from it). */
export async function runDataDietSeed(cfg: DataDietConfig, s: number, tick: Tick): Promise<DataDietSeedRun> {
  const t0 = Date.now();
  const sample = loadFashionMnist({ split: "train", limit: cfg.trainExamples + cfg.valExamples, seed: s });
  const split = validationSplit(sample, cfg.valExamples / sample.n, s + 6);
  const trainDs = split.train;
  const test = loadFashionMnist({ split: "test", limit: cfg.testExamples, seed: s + 1 });
  // Every retraining gets the full-data run's optimizer steps (the official code fixes steps, not epochs).
  const steps = cfg.retrainEpochs * Math.ceil(trainDs.n / cfg.batchSize);
  const scoreStep = Math.max(1, Math.round(cfg.scoreFraction * steps));
  const selections: Record<string, Selection> = {};
  /**
   * Mean test accuracy of `retrainSeeds` retrainings on a subset. With `select`, the first
   * retraining seed tries each learning rate of the grid and the validation split picks one
   * (that run's test accuracy is the first seed's); otherwise every seed trains at `lr`.
   */
  const arm = async (
    name: string,
    ds: Dataset,
    val: Dataset,
    idx: number[] | null,
    opts: { select: true } | { select: false; lr: number },
  ): Promise<{ acc: number; lr: number }> => {
    const sub = idx ? subset(ds, idx) : ds;
    const evalSets = { test, val };
    const accs: number[] = [];
    let lr: number;
    if (opts.select) {
      const tests = new Map<number, number>();
      const sel = await selectOnValidation(cfg.lrs, async (v) => {
        const r = await retrain(cfg, sub, evalSets, s + 77, steps, v);
        tests.set(v, r.test);
        return r.val;
      });
      selections[name] = sel;
      lr = sel.best;
      accs.push(tests.get(lr)!);
    } else {
      lr = opts.lr;
      accs.push((await retrain(cfg, sub, evalSets, s + 77, steps, lr)).test);
    }
    for (let r = 1; r < cfg.retrainSeeds; r++)
      accs.push((await retrain(cfg, sub, evalSets, s + 77 + 100 * r, steps, lr)).test);
    tick(`retrain ${name}`, { acc: mean(accs) });
    return { acc: mean(accs), lr };
  };

  // ---- clean labels ----
  const clean = await averagedScores(cfg, trainDs, s + 10, scoreStep, () => tick("score (clean)"));
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

  const full = await arm("all data", trainDs, split.val, null, { select: true });
  const pruning: PruneRow[] = [];
  for (const keep of cfg.keeps) {
    for (const [method, key, order, compared] of PRUNE_METHODS) {
      if (keep !== cfg.headlineKeep && !SWEPT.has(method)) continue;
      const idx = pruneByScore(key ? clean[key] : clean.EL2N, { keep, order, seed: s + 3 });
      // Compared subsets select their own rate at the headline keep; the rest use the full-data rate.
      const opts =
        compared && keep === cfg.headlineKeep ? { select: true as const } : { select: false as const, lr: full.lr };
      const r = await arm(`${method} keep ${keep}`, trainDs, split.val, idx, opts);
      pruning.push({ method, keep, acc: r.acc, lr: r.lr });
    }
  }
  const el2nEasy = (
    await arm("EL2N-easy", trainDs, split.val, pruneByScore(clean.EL2N, { keep: cfg.headlineKeep, order: "easiest" }), {
      select: false,
      lr: full.lr,
    })
  ).acc;

  // ---- label noise (training and validation labels alike; the test labels stay clean) ----
  const noise = addLabelNoise(trainDs.y, cfg.noise, trainDs.numClasses, s + 21);
  const noisyTrain: Dataset = { ...trainDs, y: noise.labels, name: trainDs.name + ":noisy" };
  const noisyVal: Dataset = {
    ...split.val,
    y: addLabelNoise(split.val.y, cfg.noise, split.val.numClasses, s + 22).labels,
    name: split.val.name + ":noisy",
  };
  const noisy = await averagedScores(cfg, noisyTrain, s + 40, scoreStep, () => tick("score (noisy)"));
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
  const noisyArm = async (subsetName: string, offset: number | null, idx: number[] | null, select: boolean) => {
    const r = await arm(
      `noisy: ${subsetName}`,
      noisyTrain,
      noisyVal,
      idx,
      select ? { select: true } : { select: false, lr: full.lr },
    );
    noisyRows.push({ subset: subsetName, offset, acc: r.acc, lr: r.lr });
  };
  await noisyArm("all data", null, null, false);
  await noisyArm("EL2N-hard", null, pruneByScore(noisy.EL2N, { keep: hk, order: "hardest" }), true);
  for (const off of cfg.offsets)
    await noisyArm(
      `EL2N offset ${off}`,
      off,
      pruneByScore(noisy.EL2N, { keep: hk, offset: off, order: "hardest" }),
      true,
    );
  await noisyArm("random", null, pruneByScore(noisy.EL2N, { keep: hk, order: "random", seed: s + 3 }), true);
  const fullAcc = full.acc;

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
    steps,
    scoreStep,
    selections,
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

/** One protocol seed (runPaper runs seeds as independent jobs and combines them in config order). */
export async function runDataDietSeedJob(cfg: DataDietConfig, s: number, ctx: PaperContext): Promise<DataDietSeedRun> {
  if (!cfg.keeps.includes(cfg.headlineKeep))
    fail("config.headlineKeep", `${cfg.headlineKeep} must be one of keeps [${cfg.keeps}]`);
  if (!(cfg.scoreFraction > 0 && cfg.scoreFraction <= 1))
    fail("config.scoreFraction", `must lie in (0, 1], got ${cfg.scoreFraction}`);
  const perEpoch = Math.ceil(cfg.trainExamples / cfg.batchSize);
  const scoreStep = Math.round(cfg.scoreFraction * cfg.retrainEpochs * perEpoch);
  if (cfg.forgetEpochs * perEpoch < scoreStep)
    fail("config.forgetEpochs", `must cover the score step (${scoreStep} steps = ${scoreStep / perEpoch} epochs)`);
  const total = ticksPerSeed(cfg);
  let step = 0;
  const tick: Tick = (label, values) => ctx.onProgress?.({ label, step: ++step, total, values });
  return runDataDietSeed(cfg, s, tick);
}
