// Data Diet's conv-net part: the same scores and pruning comparison as the MLP part, on the
// small conv net of src/nn/conv-net.ts trained through train() on wasm. It runs after the MLP
// part, from its own seeds, so the MLP numbers do not move.
import * as tf from "@tensorflow/tfjs";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { averageScores, el2nFromLogits, grandScores, inputNorms, pruneByScore } from "../../metrics/data-diet";
import { spearman } from "../../metrics/stats";
import { dataDietConvNet, flatImageClassifier } from "../../nn/conv-net";
import { seed } from "../../core/random";
import { fail } from "../../core/validate";
import { train } from "../../train/loop";

export interface DataDietConvConfig {
  /** Training examples scored and pruned (a seeded sample of the 60k train split). */
  trainExamples: number;
  testExamples: number;
  /** Independent inits the scores are averaged over. */
  k: number;
  /** Epoch at which EL2N is taken (GraNd at init is taken before any step). */
  scoreEpoch: number;
  /** GraNd at init is per-example autograd (slow): scored on the first this many examples; the rest rank after them. */
  grandExamples: number;
  retrainEpochs: number;
  /** Fraction of the training set kept in the pruning comparison. */
  keep: number;
  batchSize: number;
  lr: number;
  /** The conv part's base seed is the protocol seed plus this offset (its own data sample and inits). */
  seedOffset: number;
}

/** What the conv part measured for one protocol seed (plain JSON). */
export interface DataDietConvRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  grandExamples: number;
  fullAcc: number;
  el2nHard: number;
  random: number;
  grandInit: number;
  spearmanGrandInitNorm: number;
  seconds: number;
}

interface Images {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

function images(ds: Dataset): Images {
  if (ds.shape.length !== 2) fail("dataset", `must hold 2-D images, got shape [${ds.shape}]`);
  return { x: tf.tensor4d(ds.x, [ds.n, ds.shape[0], ds.shape[1], 1]), y: tf.tensor1d(ds.y, "int32") };
}

function logits(model: tf.Sequential, x: tf.Tensor4D): tf.Tensor2D {
  return model.predict(x, { batchSize: 500 }) as tf.Tensor2D;
}

function testAccuracy(model: tf.Sequential, test: Images): number {
  return tf.tidy(() => tf.mean(tf.equal(tf.argMax(logits(model, test.x), 1), test.y).toFloat()).dataSync()[0]);
}

/** Adam (FastAdam) with cross-entropy on seeded minibatches of the flattened images, through the library loop. */
async function fit(
  cfg: DataDietConvConfig,
  model: tf.Sequential,
  ds: Dataset,
  epochs: number,
  runSeed: number,
): Promise<void> {
  await train(flatImageClassifier(model), ds, { epochs, batchSize: cfg.batchSize, lr: cfg.lr, seed: runSeed });
}

/** EL2N after scoreEpoch epochs and GraNd at init (autograd, first grandExamples examples) of one freshly seeded run. */
async function scoreRun(
  cfg: DataDietConvConfig,
  ds: Dataset,
  x: tf.Tensor4D,
  runSeed: number,
): Promise<{ el2n: number[]; grandInit: number[] }> {
  seed(runSeed);
  const model = dataDietConvNet(ds.numClasses);
  const labels = Array.from(ds.y);
  try {
    const m = Math.min(cfg.grandExamples, ds.n);
    const xs = tf.slice(x, [0], [m]);
    const grandInit = grandScores(model, xs, labels.slice(0, m));
    xs.dispose();
    await fit(cfg, model, ds, cfg.scoreEpoch, runSeed + 1);
    const z = tf.tidy(() => logits(model, x));
    const el2n = el2nFromLogits(z, labels);
    z.dispose();
    return { el2n, grandInit };
  } finally {
    model.dispose();
  }
}

async function retrain(cfg: DataDietConvConfig, ds: Dataset, test: Images, runSeed: number): Promise<number> {
  seed(runSeed);
  const model = dataDietConvNet(ds.numClasses);
  try {
    await fit(cfg, model, ds, cfg.retrainEpochs, runSeed + 1);
    return testAccuracy(model, test);
  } finally {
    model.dispose();
  }
}

/** Scores (K inits), prunes to cfg.keep by EL2N-hard / GraNd-at-init-hard / random, retrains one seed each, and compares with the full subset. */
export async function runDataDietConv(
  cfg: DataDietConvConfig,
  s: number,
  tick: (label: string, values?: Record<string, number>) => void = () => {},
): Promise<DataDietConvRun> {
  for (const key of [
    "trainExamples",
    "testExamples",
    "k",
    "scoreEpoch",
    "grandExamples",
    "retrainEpochs",
    "batchSize",
  ] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      fail(`config.conv.${key}`, `must be a positive integer, got ${cfg[key]}`);
  }
  if (!(cfg.keep > 0 && cfg.keep < 1)) fail("config.conv.keep", `must be in (0, 1), got ${cfg.keep}`);
  const t0 = Date.now();
  const trainDs = loadFashionMnist({ split: "train", limit: cfg.trainExamples, seed: s });
  const testDs = loadFashionMnist({ split: "test", limit: cfg.testExamples, seed: s + 1 });
  const { x, y } = images(trainDs);
  y.dispose();
  const test = images(testDs);
  try {
    const runs = [];
    for (let r = 0; r < cfg.k; r++) {
      runs.push(await scoreRun(cfg, trainDs, x, s + 10 + 1000 * r));
      tick("conv: score");
    }
    const el2n = averageScores(runs.map((r) => r.el2n));
    const m = runs[0].grandInit.length;
    const grandInitPart = averageScores(runs.map((r) => r.grandInit));
    // Unscored examples (beyond grandExamples) rank below every scored one: GraNd-hard keeps scored ones first.
    const grandInitAll = Array.from({ length: trainDs.n }, (_, i) => (i < m ? grandInitPart[i] : -1));
    const xs = tf.slice(x, [0], [m]);
    const norms = inputNorms(xs);
    xs.dispose();
    const spearmanGrandInitNorm = spearman(grandInitPart, norms);

    const acc = async (idx: number[] | null): Promise<number> => {
      const a = await retrain(cfg, idx ? subset(trainDs, idx) : trainDs, test, s + 77);
      tick("conv: retrain", { acc: a });
      return a;
    };
    const fullAcc = await acc(null);
    const el2nHard = await acc(pruneByScore(el2n, { keep: cfg.keep, order: "hardest" }));
    const random = await acc(pruneByScore(el2n, { keep: cfg.keep, order: "random", seed: s + 3 }));
    const grandInit = await acc(pruneByScore(grandInitAll, { keep: cfg.keep, order: "hardest" }));
    return {
      seed: s,
      trainExamples: trainDs.n,
      testExamples: testDs.n,
      grandExamples: m,
      fullAcc,
      el2nHard,
      random,
      grandInit,
      spearmanGrandInitNorm,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    tf.dispose([x, test.x, test.y]);
  }
}
