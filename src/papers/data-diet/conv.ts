// Data Diet's conv-net part: the same scores and pruning comparison as the MLP part, on a
// small conv net trained on wasm (conv2d gradients come from src/nn/wasm-conv-kernels.ts).
// It runs after the MLP part, from its own seeds, so the MLP numbers do not move.
import * as tf from "@tensorflow/tfjs";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { averageScores, el2nFromLogits, grandScores, inputNorms, pruneByScore } from "../../metrics/data-diet";
import { spearman } from "../../metrics/stats";
import { crossEntropy } from "../../nn/losses";
import { nextSeed, Rng, seed } from "../../core/random";
import { fail } from "../../core/validate";
import { Check, check } from "../../core/types";

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
  seed: number;
}

/** conv 8@3×3 relu → maxPool 2 → conv 16@3×3 stride 2 relu → flatten → dense (logits), seeded from the global stream. */
export function dataDietConvNet(numClasses = 10, inputShape: [number, number, number] = [28, 28, 1]): tf.Sequential {
  const he = () => tf.initializers.heNormal({ seed: nextSeed() });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape, filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: he() }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu", kernelInitializer: he() }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }));
  return model;
}

interface Images { x: tf.Tensor4D; y: tf.Tensor1D }

function images(ds: Dataset): Images {
  if (ds.shape.length !== 2) fail("dataset", `must hold 2-D images, got shape [${ds.shape}]`);
  return { x: tf.tensor4d(ds.x, [ds.n, ds.shape[0], ds.shape[1], 1]), y: tf.tensor1d(ds.y, "int32") };
}

function weights(model: tf.Sequential): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** One epoch of Adam with logSoftmax cross-entropy on seeded minibatches built in JS. */
function trainEpoch(model: tf.Sequential, opt: tf.Optimizer, ds: Dataset, bs: number, rng: Rng): void {
  const perm = rng.permutation(ds.n);
  const vars = weights(model);
  const [h, w] = ds.shape;
  for (let s = 0; s < ds.n; s += bs) {
    const idx = perm.slice(s, s + bs);
    const { x: xb, y: yb } = subset(ds, idx);
    tf.tidy(() => {
      const x = tf.tensor4d(xb, [idx.length, h, w, 1]);
      const y = tf.tensor1d(yb, "int32");
      opt.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y), false, vars);
    });
  }
}

function logits(model: tf.Sequential, x: tf.Tensor4D): tf.Tensor2D {
  return model.predict(x, { batchSize: 500 }) as tf.Tensor2D;
}

function testAccuracy(model: tf.Sequential, test: Images): number {
  return tf.tidy(() => tf.mean(tf.equal(tf.argMax(logits(model, test.x), 1), test.y).toFloat()).dataSync()[0]);
}

/** EL2N after scoreEpoch epochs and GraNd at init (autograd, first grandExamples examples) of one freshly seeded run. */
function scoreRun(cfg: DataDietConvConfig, train: Dataset, x: tf.Tensor4D, runSeed: number): { el2n: number[]; grandInit: number[] } {
  seed(runSeed);
  const model = dataDietConvNet(train.numClasses);
  const opt = tf.train.adam(cfg.lr);
  const rng = new Rng(runSeed + 1);
  const labels = Array.from(train.y);
  try {
    const m = Math.min(cfg.grandExamples, train.n);
    const xs = tf.slice(x, [0], [m]);
    const grandInit = grandScores(model, xs, labels.slice(0, m));
    xs.dispose();
    for (let e = 0; e < cfg.scoreEpoch; e++) trainEpoch(model, opt, train, cfg.batchSize, rng);
    const z = tf.tidy(() => logits(model, x));
    const el2n = el2nFromLogits(z, labels);
    z.dispose();
    return { el2n, grandInit };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

function retrain(cfg: DataDietConvConfig, ds: Dataset, test: Images, runSeed: number): number {
  seed(runSeed);
  const model = dataDietConvNet(ds.numClasses);
  const opt = tf.train.adam(cfg.lr);
  const rng = new Rng(runSeed + 1);
  try {
    for (let e = 0; e < cfg.retrainEpochs; e++) trainEpoch(model, opt, ds, cfg.batchSize, rng);
    return testAccuracy(model, test);
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export interface DataDietConvResult {
  rows: Array<{ method: string; keep: number; acc: number }>;
  checks: Check[];
  summary: Record<string, number>;
}

/** Scores (K inits), prunes to cfg.keep by EL2N-hard / GraNd-at-init-hard / random, retrains one seed each, and compares with the full subset. */
export function runDataDietConv(cfg: DataDietConvConfig, tick: (label: string, values?: Record<string, number>) => void = () => {}): DataDietConvResult {
  for (const key of ["trainExamples", "testExamples", "k", "scoreEpoch", "grandExamples", "retrainEpochs", "batchSize"] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) fail(`config.conv.${key}`, `must be a positive integer, got ${cfg[key]}`);
  }
  if (!(cfg.keep > 0 && cfg.keep < 1)) fail("config.conv.keep", `must be in (0, 1), got ${cfg.keep}`);
  const t0 = Date.now();
  const train = loadFashionMnist({ split: "train", limit: cfg.trainExamples, seed: cfg.seed });
  const testDs = loadFashionMnist({ split: "test", limit: cfg.testExamples, seed: cfg.seed + 1 });
  const { x, y } = images(train);
  y.dispose();
  const test = images(testDs);
  try {
    const runs = [];
    for (let r = 0; r < cfg.k; r++) {
      runs.push(scoreRun(cfg, train, x, cfg.seed + 10 + 1000 * r));
      tick("conv: score");
    }
    const el2n = averageScores(runs.map((s) => s.el2n));
    const m = runs[0].grandInit.length;
    const grandInitPart = averageScores(runs.map((s) => s.grandInit));
    // Unscored examples (beyond grandExamples) rank below every scored one: GraNd-hard keeps scored ones first.
    const grandInit = Array.from({ length: train.n }, (_, i) => (i < m ? grandInitPart[i] : -1));
    const xs = tf.slice(x, [0], [m]);
    const norms = inputNorms(xs);
    xs.dispose();
    const rhoNorm = spearman(grandInitPart, norms);

    const acc = (idx: number[] | null): number => {
      const a = retrain(cfg, idx ? subset(train, idx) : train, test, cfg.seed + 77);
      tick("conv: retrain", { acc: a });
      return a;
    };
    const full = acc(null);
    const el2nHard = acc(pruneByScore(el2n, { keep: cfg.keep, order: "hardest" }));
    const rand = acc(pruneByScore(el2n, { keep: cfg.keep, order: "random", seed: cfg.seed + 3 }));
    const grandHard = acc(pruneByScore(grandInit, { keep: cfg.keep, order: "hardest" }));
    const f3 = (v: number) => v.toFixed(3);
    const kp = cfg.keep;
    return {
      rows: [
        { method: "all data", keep: 1, acc: full }, { method: "EL2N", keep: kp, acc: el2nHard },
        { method: "GraNd@init", keep: kp, acc: grandHard }, { method: "random", keep: kp, acc: rand },
      ],
      checks: [
        check(`conv net: Clean: EL2N-hard at keep ${kp} ≥ random pruning`, `${f3(el2nHard)} vs random ${f3(rand)}`, "EL2N-hard ≥ random", el2nHard >= rand),
        check(`conv net: Clean: GraNd at init no better than random (Kirsch 2023)`, `${f3(grandHard)} vs random ${f3(rand)}`, "≤ random + 0.01", grandHard <= rand + 0.01),
      ],
      summary: {
        convTrainExamples: train.n, convTestExamples: testDs.n, convK: cfg.k, convGrandExamples: m, convFullAcc: full,
        convEl2nHard: el2nHard, convRandom: rand, convGrandInit: grandHard, convSpearmanGrandInitNorm: rhoNorm,
        convSeconds: (Date.now() - t0) / 1000,
      },
    };
  } finally {
    tf.dispose([x, test.x, test.y]);
  }
}
