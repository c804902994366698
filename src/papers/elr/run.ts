// Liu et al. (NeurIPS'20) at toy scale: MNIST digits with symmetric label noise, an MLP
// trained with cross-entropy vs ELR (same steps, momentum SGD, weight decay), each with its own
// learning rate chosen on a (noisy) validation split of the first seed. Tracked per epoch:
// clean test accuracy and the fraction of mislabelled training points predicted as their noisy label.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { Dataset, makeDataset, sample, toTensors, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { ElrTargets, elrLoss } from "../../train/elr";
import { train } from "../../train/loop";
import { crossEntropyFused } from "../../train/optimizers";
import { Selection, selectOnValidation, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface ElrConfig extends PaperConfig {
  examples: number;
  testFraction: number;
  valFraction: number;
  noise: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  weightDecay: number;
  beta: number;
  lambda: number;
  lrGrid: number[];
}

export type Method = "cross-entropy" | "elr";
export const METHODS: Method[] = ["cross-entropy", "elr"];

export interface MethodRun {
  method: Method;
  lr: number;
  testAcc: number;
  memorized: number;
  history: Array<{ epoch: number; testAcc: number; memorized: number }>;
}

export interface SeedRun {
  seed: number;
  noisyFraction: number;
  runs: MethodRun[];
}

export interface ElrResult {
  selection: Record<Method, Selection>;
  seeds: SeedRun[];
  trainExamples: number;
  testExamples: number;
}

/** Symmetric noise: a seeded `fraction` of the labels replaced by a uniformly drawn different class. */
export function symmetricNoise(ds: Dataset, fraction: number, s: number): { data: Dataset; noisy: boolean[] } {
  const rng = new Rng(s);
  const y = Int32Array.from(ds.y);
  const chosen = rng.permutation(ds.n).slice(0, Math.round(fraction * ds.n));
  for (const i of chosen) y[i] = (ds.y[i] + 1 + rng.int(ds.numClasses - 1)) % ds.numClasses;
  const noisy = Array.from(y, (v, i) => v !== ds.y[i]);
  return { data: makeDataset(ds.name + ":noisy", ds.x, y, ds.shape, ds.numClasses), noisy };
}

function predict(model: MLP, ds: Dataset): Int32Array {
  return tf.tidy(() => {
    const { x } = toTensors(ds);
    return tf.argMax(model.forward(x), 1).dataSync() as Int32Array;
  });
}

async function fit(
  cfg: ElrConfig,
  m: Method,
  lr: number,
  s: number,
  tr: Dataset,
  noisy: boolean[],
  evalSet: Dataset,
  ctx: PaperContext,
  track: boolean,
): Promise<MethodRun> {
  seed(s);
  const model = new MLP({ sizes: [tr.dim, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const targets = new ElrTargets(tr.n, 10, cfg.beta);
  const history: MethodRun["history"] = [];
  const measure = () => {
    const pe = predict(model, evalSet);
    const pt = predict(model, tr);
    let right = 0;
    for (let i = 0; i < evalSet.n; i++) right += pe[i] === evalSet.y[i] ? 1 : 0;
    let mem = 0;
    let nNoisy = 0;
    for (let i = 0; i < tr.n; i++)
      if (noisy[i]) {
        nNoisy++;
        mem += pt[i] === tr.y[i] ? 1 : 0;
      }
    return { testAcc: right / evalSet.n, memorized: nNoisy ? mem / nNoisy : 0 };
  };
  const wd = cfg.weightDecay;
  await train(model, tr, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    optimizer: "momentum",
    lr,
    seed: s,
    objective: ({ x, y }, info) => {
      const logits = model.forward(x);
      if (m === "cross-entropy") return crossEntropyFused(logits, y);
      // The targets are updated before the loss reads them, as in the official code.
      return elrLoss(logits, y, targets.update(info.idx as number[], logits), cfg.lambda);
    },
    // Weight decay as (wd/2)·‖W‖², i.e. SGD's wd·W added to the gradient.
    hooks:
      wd > 0
        ? [{ regLoss: () => tf.mul(tf.addN(model.weights.map((w) => tf.sum(tf.square(w)))), wd / 2) as tf.Scalar }]
        : [],
    onEpoch: track ? (epoch) => void history.push({ epoch, ...measure() }) : undefined,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s} ${m} lr ${lr}` }),
    logEvery: 100,
  });
  const last = measure();
  model.dispose();
  return { method: m, lr, ...last, history };
}

export async function runElr(cfg: ElrConfig, ctx: PaperContext): Promise<ElrResult> {
  const digits = loadMnistDigits();
  const split = (s: number) => {
    const { train: clean, test } = trainTestSplit(sample(digits, cfg.examples, s), {
      testFraction: cfg.testFraction,
      seed: s,
    });
    const { data, noisy } = symmetricNoise(clean, cfg.noise, s + 777);
    return { train: data, noisy, test };
  };
  // Selection on a validation part of the noisy training data (no clean labels are used).
  const first = split(cfg.seeds[0]);
  const { train: fitSet, val } = validationSplit(first.train, cfg.valFraction, cfg.seeds[0]);
  const noFlags = new Array<boolean>(fitSet.n).fill(false);
  const selection = {} as Record<Method, Selection>;
  for (const m of METHODS)
    selection[m] = await selectOnValidation(
      cfg.lrGrid,
      async (lr) => (await fit(cfg, m, lr, cfg.seeds[0], fitSet, noFlags, val, ctx, false)).testAcc,
      { maxExtensions: 1 },
    );
  const seeds: SeedRun[] = [];
  let trainExamples = 0;
  let testExamples = 0;
  for (const s of cfg.seeds) {
    const d = split(s);
    trainExamples = d.train.n;
    testExamples = d.test.n;
    const runs: MethodRun[] = [];
    for (const m of METHODS) runs.push(await fit(cfg, m, selection[m].best, s, d.train, d.noisy, d.test, ctx, true));
    seeds.push({ seed: s, noisyFraction: d.noisy.filter(Boolean).length / d.noisy.length, runs });
  }
  return { selection, seeds, trainExamples, testExamples };
}
