// Lottery tickets on LeNet-300-100 (MNIST digits): iterative magnitude pruning with per-layer
// rates and rewinding to θ0, and at every density the random-reinitialisation control (same
// mask, freshly drawn weights). Accuracy is read at the epoch of minimum validation loss, as
// in the paper. The learning rates are chosen on the validation split of the first seed.
import { sample, trainTestSplit, Dataset } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { seed } from "../../core/random";
import { MLP } from "../../nn/mlp";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import { iterativeMagnitudePruning, MaskedTraining, MaskSet, rewindWeights, snapshotWeights } from "../../prune";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface LotteryConfig extends PaperConfig {
  trainExamples: number;
  valExamples: number;
  testExamples: number;
  sizes: number[];
  epochs: number;
  batchSize: number;
  /** Fraction of the surviving weights pruned per round, per layer (hidden …, output). */
  rates: number[];
  rounds: number;
  /** Learning-rate grid (Adam), searched on the validation split of the first seed. */
  lrs: number[];
}

/** One training run: accuracies at the epoch of minimum validation loss. */
export interface RunScore {
  bestEpoch: number;
  valLoss: number;
  valAcc: number;
  testAcc: number;
  /** Pruned weights found non-zero after training (0 when the mask held). */
  leaked: number;
}

export interface LotteryRound {
  round: number;
  density: number;
  layerDensities: number[];
  ticket: RunScore;
  reinit: RunScore | null;
}

export interface LotterySeedRun {
  seed: number;
  rounds: LotteryRound[];
}

export interface LotteryResult {
  trainExamples: number;
  valExamples: number;
  testExamples: number;
  /** LR of IMP (chosen for the dense net) and of the reinit control at each pruned round (its mask). */
  selection: { ticket: Selection; reinit: Selection[] };
  runs: LotterySeedRun[];
}

interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** A fixed test set; train and validation drawn from the rest, the same for every seed. */
export function lotterySplits(cfg: LotteryConfig): Splits {
  const all = loadMnistDigits();
  const { train: pool, test: testAll } = trainTestSplit(all, { testFraction: 0.2, seed: 1234 });
  const test = sample(testAll, Math.min(cfg.testExamples, testAll.n), 1);
  const used = sample(pool, cfg.trainExamples + cfg.valExamples, 2);
  const { train: tr, val } = validationSplit(used, cfg.valExamples / used.n, 3);
  return { train: tr, val, test };
}

/** Trains `model` under `mask` (Adam, fixed epochs); scores at the epoch of minimum validation loss. */
async function trainScored(
  model: MLP,
  mask: MaskSet,
  data: Splits,
  cfg: LotteryConfig,
  lr: number,
  dataSeed: number,
  withTest: boolean,
): Promise<RunScore> {
  const hook = new MaskedTraining(model.weights, mask);
  let best: RunScore = { bestEpoch: 0, valLoss: Infinity, valAcc: NaN, testAcc: NaN, leaked: 0 };
  try {
    await train(model, data.train, {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      lr,
      seed: dataSeed,
      hooks: [hook],
      onEpoch: (epoch) => {
        const v = evaluate(model, data.val);
        if (v.loss < best.valLoss)
          best = {
            bestEpoch: epoch,
            valLoss: v.loss,
            valAcc: v.acc,
            testAcc: withTest ? evaluate(model, data.test).acc : NaN,
            leaked: 0,
          };
      },
    });
  } finally {
    hook.dispose();
  }
  const w = snapshotWeights(model.weights);
  best.leaked = mask.layers.reduce(
    (a, m, l) => a + m.data.reduce((b, k, i) => b + (!k && w[l][i] !== 0 ? 1 : 0), 0),
    0,
  );
  return best;
}

const freshModel = (cfg: LotteryConfig, s: number) => {
  seed(s);
  return new MLP({ sizes: cfg.sizes, activation: "relu", init: "glorot" });
};

/** The reinit control: a fresh init (its own seed) under the ticket's mask. */
async function reinitRun(cfg: LotteryConfig, data: Splits, mask: MaskSet, lr: number, s: number, withTest: boolean) {
  const m = freshModel(cfg, 10_000 + s);
  rewindWeights(m.weights, snapshotWeights(m.weights), mask);
  const r = await trainScored(m, mask, data, cfg, lr, s, withTest);
  m.dispose();
  return r;
}

/** IMP for one seed: the ticket at every round, with the round's mask kept for the control. */
async function impSeed(
  cfg: LotteryConfig,
  data: Splits,
  s: number,
  lr: number,
  ctx: PaperContext,
  label: string,
): Promise<Array<{ round: number; mask: MaskSet; ticket: RunScore }>> {
  const model = freshModel(cfg, s);
  const total = cfg.rounds + 1;
  try {
    const rounds = await iterativeMagnitudePruning<RunScore>({
      vars: model.weights,
      resetAlso: model.biases.filter((b): b is NonNullable<typeof b> => b !== null),
      rounds: cfg.rounds,
      rate: cfg.rates,
      train: async (mask, round) => {
        ctx.onProgress?.({ label, step: round, total, values: { density: mask.density() } });
        return trainScored(model, mask, data, cfg, lr, s, true);
      },
    });
    return rounds.map((r) => ({ round: r.round, mask: r.mask, ticket: r.result }));
  } finally {
    model.dispose();
  }
}

export async function runLottery(cfg: LotteryConfig, ctx: PaperContext): Promise<LotteryResult> {
  const data = lotterySplits(cfg);
  const s0 = cfg.seeds[0];
  // IMP's learning rate: the dense net's best validation loss, first seed only.
  const ticket = await selectOnValidation(cfg.lrs, async (lr) => {
    const m = freshModel(cfg, s0);
    const r = await trainScored(m, MaskSet.ones(m.weights.map((w) => [...w.shape])), data, cfg, lr, s0, false);
    m.dispose();
    ctx.onProgress?.({ label: "select lr (dense)", step: 1, total: 1, values: { lr, valLoss: r.valLoss } });
    return -r.valLoss;
  });
  const runs: LotterySeedRun[] = [];
  let reinit: Selection[] | null = null;
  for (const s of cfg.seeds) {
    const imp = await impSeed(cfg, data, s, ticket.best, ctx, `seed ${s} tickets`);
    // The control's own learning rate at every density, chosen on the first seed's masks (validation loss).
    if (!reinit) {
      reinit = [];
      for (const r of imp.slice(1))
        reinit.push(
          await selectOnValidation(cfg.lrs, async (lr) => {
            const v = await reinitRun(cfg, data, r.mask, lr, s0, false);
            ctx.onProgress?.({ label: `select lr (reinit, round ${r.round})`, step: 1, total: 1, values: { lr } });
            return -v.valLoss;
          }),
        );
    }
    const sel = reinit;
    const rounds: LotteryRound[] = [];
    for (const r of imp) {
      ctx.onProgress?.({ label: `seed ${s} reinit`, step: r.round, total: imp.length, values: {} });
      rounds.push({
        round: r.round,
        density: r.mask.density(),
        layerDensities: r.mask.layerDensities(),
        ticket: r.ticket,
        reinit: r.round > 0 ? await reinitRun(cfg, data, r.mask, sel[r.round - 1].best, s, true) : null,
      });
    }
    runs.push({ seed: s, rounds });
  }
  return {
    trainExamples: data.train.n,
    valExamples: data.val.n,
    testExamples: data.test.n,
    selection: { ticket, reinit: reinit ?? [] },
    runs,
  };
}
