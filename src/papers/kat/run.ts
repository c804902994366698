// KAT at toy scale: (1) the safe (5,4) rational fitted to GELU on [−3, 3]; (2) activation std
// through a stack of GR-KAN layers and in a tiny ViT's KAN mixer at init, with and without the
// variance-preserving init; (3) a tiny ViT on MNIST digits with GELU-MLP vs GR-KAN mixers, each
// with its own validation-chosen learning rate and the same number of steps.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import {
  fitRational,
  gainInit,
  gaussianSecondMoment,
  geluExact,
  groupRational,
  RationalCoefficients,
  rationalValue,
  varianceGain,
} from "../../nn/kan";
import { TinyVit } from "../../nn/tiny-vit";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface KatConfig extends PaperConfig {
  examples: number;
  testFraction: number;
  valFraction: number;
  width: number;
  hidden: number;
  blocks: number;
  heads: number;
  groups: number;
  batchSize: number;
  epochs: number;
  lrGrid: number[];
  /** Stack used for the activation statistics: depth, width and rows of N(0,1) input. */
  stack: { depth: number; width: number; rows: number };
  /** Images in the batch that probes the ViT's mixer statistics at init. */
  probeRows: number;
}

export const MIXERS = ["mlp", "kan"] as const;
export type Mixer = (typeof MIXERS)[number];
export const STACK_INITS = ["variance", "lecun", "small"] as const;

export interface FitResult {
  coef: RationalCoefficients;
  maxError: number;
  rmse: number;
  /** 1/E[F(x)²] for the fitted rational and for exact GELU (x ~ N(0,1)). */
  gainSqRational: number;
  gainSqGelu: number;
  /** max |F_paper − F_kernel| on [−3, 3] when the same coefficients go through the CUDA kernel's 1 + Σ|bᵢ||x|ⁱ. */
  kernelFormGap: number;
  curve: Array<{ x: number; gelu: number; rational: number }>;
}

export interface SeedStats {
  seed: number;
  /** std of the activations after each of the stack's layers (index 0 = input), per init. */
  stack: Record<string, number[]>;
  /** ViT at init: mixer output std / input std per block, per KAN init. */
  vit: Record<string, number[]>;
}

export interface TrainRun {
  seed: number;
  mixer: Mixer;
  lr: number;
  valAcc: number;
  testAcc: number;
  epochLoss: number[];
  finite: boolean;
}

export interface KatResult {
  fit: FitResult;
  stats: SeedStats[];
  selection: Record<string, Selection>;
  runs: TrainRun[];
  trainExamples: number;
  valExamples: number;
  testExamples: number;
}

export function fitGelu(): FitResult {
  const f = fitRational(geluExact, { lo: -3, hi: 3, points: 1001 });
  const b = f.coef.denominator;
  const kernel = (x: number) => {
    const a = f.coef.numerator;
    const p = a.reduce((s, ak, k) => s + ak * x ** k, 0);
    return p / (1 + b.reduce((s, bk, k) => s + Math.abs(bk) * Math.abs(x) ** (k + 1), 0));
  };
  const grid = Array.from({ length: 121 }, (_, i) => -3 + i * 0.05);
  return {
    coef: f.coef,
    maxError: f.maxError,
    rmse: f.rmse,
    gainSqRational: varianceGain(f.coef) ** 2,
    gainSqGelu: 1 / gaussianSecondMoment(geluExact),
    kernelFormGap: Math.max(...grid.map((x) => Math.abs(rationalValue(x, f.coef) - kernel(x)))),
    curve: grid.map((x) => ({ x, gelu: geluExact(x), rational: rationalValue(x, f.coef) })),
  };
}

const std = (t: tf.Tensor): number => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));

/** std after each layer of x ↦ W·F(x) (F = the GELU rational per group), at init. */
function stackStats(cfg: KatConfig, fit: FitResult, init: string, seed: number): number[] {
  const { depth, width, rows } = cfg.stack;
  const rng = new Rng(31 * seed + STACK_INITS.indexOf(init as (typeof STACK_INITS)[number]));
  const gain = Math.sqrt(fit.gainSqRational);
  return tf.tidy(() => {
    const a = tf.tensor2d(Array.from({ length: cfg.groups }, () => fit.coef.numerator));
    const b = tf.tensor2d(Array.from({ length: cfg.groups }, () => fit.coef.denominator));
    let h = tf.tensor2d(rng.normalArray(rows * width, 1), [rows, width]);
    const out = [std(h)];
    for (let l = 0; l < depth; l++) {
      const w =
        init === "small"
          ? rng.normalArray(width * width, 0.02)
          : gainInit(width, width, init === "variance" ? gain : 1, rng);
      h = tf.matMul(groupRational(h, a, b), tf.tensor2d(w, [width, width]));
      out.push(std(h));
    }
    return out;
  });
}

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(cfg: KatConfig, seed: number): Split {
  const all = sample(loadMnistDigits(), cfg.examples, seed);
  const { train: pool, test } = trainTestSplit(all, { testFraction: cfg.testFraction, seed });
  const { train, val } = validationSplit(pool, cfg.valFraction, seed + 101);
  return { train, val, test };
}

function makeVit(cfg: KatConfig, fit: FitResult, mixer: Mixer, kanInit: "variance" | "small", seed: number): TinyVit {
  return new TinyVit(
    {
      width: cfg.width,
      blocks: cfg.blocks,
      heads: cfg.heads,
      hidden: cfg.hidden,
      classes: 10,
      mixer,
      groups: cfg.groups,
      gelu: fit.coef,
      kanInit,
      kanGain: Math.sqrt(fit.gainSqRational),
    },
    new Rng(977 * seed + MIXERS.indexOf(mixer)),
  );
}

function vitProbe(cfg: KatConfig, fit: FitResult, split: Split, kanInit: "variance" | "small", seed: number): number[] {
  const net = makeVit(cfg, fit, "kan", kanInit, seed);
  net.probe = [];
  const n = Math.min(cfg.probeRows, split.train.n);
  tf.tidy(() => net.forward(tf.tensor2d(split.train.x.subarray(0, n * 784), [n, 784])));
  const ratios = net.probe.map((p) => p.outStd / p.inStd);
  net.dispose();
  return ratios;
}

function accuracy(net: TinyVit, ds: Dataset): number {
  let hit = 0;
  for (let s = 0; s < ds.n; s += 500) {
    const m = Math.min(500, ds.n - s);
    const pred = tf.tidy(() => net.forward(tf.tensor2d(ds.x.subarray(s * 784, (s + m) * 784), [m, 784])).argMax(1));
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < m; i++) if (p[i] === ds.y[s + i]) hit++;
  }
  return hit / ds.n;
}

async function trainVit(
  cfg: KatConfig,
  fit: FitResult,
  split: Split,
  mixer: Mixer,
  lr: number,
  seed: number,
  ctx: PaperContext,
): Promise<TrainRun> {
  const net = makeVit(cfg, fit, mixer, "variance", seed);
  const epochLoss: number[] = [];
  const res = await train(net, split.train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed,
    lr,
    onEpoch: (e, loss) => {
      epochLoss.push(loss);
      ctx.onProgress?.({ label: `${mixer} lr ${lr} seed ${seed}`, step: e, total: cfg.epochs, values: { loss } });
    },
    stopOnNonFinite: true,
  });
  const run: TrainRun = {
    seed,
    mixer,
    lr,
    valAcc: accuracy(net, split.val),
    testAcc: accuracy(net, split.test),
    epochLoss,
    finite: res.stoppedAt === null && epochLoss.every(Number.isFinite),
  };
  net.dispose();
  return run;
}

export async function runKat(cfg: KatConfig, ctx: PaperContext): Promise<KatResult> {
  const fit = fitGelu();
  const splits = new Map(cfg.seeds.map((s) => [s, splitFor(cfg, s)]));
  const stats = cfg.seeds.map((s) => ({
    seed: s,
    stack: Object.fromEntries(STACK_INITS.map((init) => [init, stackStats(cfg, fit, init, s)])),
    vit: {
      variance: vitProbe(cfg, fit, splits.get(s) as Split, "variance", s),
      small: vitProbe(cfg, fit, splits.get(s) as Split, "small", s),
    },
  }));
  const runs: TrainRun[] = [];
  const selection: Record<string, Selection> = {};
  const first = splits.get(cfg.seeds[0]) as Split;
  for (const mixer of MIXERS) {
    selection[mixer] = await selectOnValidation(cfg.lrGrid, async (lr) => {
      const r = await trainVit(cfg, fit, first, mixer, lr, cfg.seeds[0], ctx);
      runs.push(r);
      return r.finite ? r.valAcc : NaN;
    });
  }
  for (const s of cfg.seeds.slice(1))
    for (const mixer of MIXERS)
      runs.push(await trainVit(cfg, fit, splits.get(s) as Split, mixer, selection[mixer].best, s, ctx));
  return {
    fit,
    stats,
    selection,
    runs,
    trainExamples: first.train.n,
    valExamples: first.val.n,
    testExamples: first.test.n,
  };
}

/** Each seed's run with the selected lr. */
export function chosenRuns(r: KatResult, mixer: Mixer, seeds: number[]): TrainRun[] {
  const best = r.selection[mixer].best;
  return seeds.map((s) => r.runs.find((x) => x.seed === s && x.mixer === mixer && x.lr === best) as TrainRun);
}
