// Poincaré ResNet at toy scale: (1) norms of points pushed through 20 Poincaré linear layers
// under three inits; (2) a Poincaré residual MLP with midpoint batch norm on 8×8 digits, identity
// init vs Shimizu init, each with its learning rate chosen on a validation split.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { PoincareInit, PoincareLinear } from "../../nn/poincare";
import { PoincareResNet } from "../../nn/poincare-resnet";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { loadDigits8x8, standardize } from "./data";

export interface PoincareResNetPaperConfig extends PaperConfig {
  /** Digits sampled per seed (then test, then validation split off). */
  examples: number;
  testFraction: number;
  valFraction: number;
  width: number;
  blocks: number;
  /** Curvature magnitude c. */
  c: number;
  /** Standardised inputs are scaled by this before exp₀. */
  inputScale: number;
  batchSize: number;
  epochs: number;
  lrGrid: number[];
  /** Training rows used for the batch-norm statistics at evaluation. */
  calibrationRows: number;
  norm: { depth: number; dim: number; points: number; inputNorm: number };
}

export const NORM_INITS: PoincareInit[] = ["identity", "shimizu", "xavier"];
export const TRAIN_INITS: PoincareInit[] = ["identity", "shimizu"];

export interface NormRun {
  seed: number;
  init: PoincareInit;
  /** Mean over points of ‖x_l‖/‖x_0‖ for l = 0..depth. */
  ratio: number[];
  /** Mean √c‖x_l‖ (1 = the boundary). */
  radius: number[];
}

export interface TrainRun {
  seed: number;
  init: PoincareInit;
  lr: number;
  valAcc: number;
  testAcc: number;
  /** Mean training loss per epoch. */
  epochLoss: number[];
  /** True when every loss was finite. */
  finite: boolean;
}

export interface PoincareResNetResult {
  norms: NormRun[];
  selection: Record<string, Selection>;
  /** Selection runs on the first seed (every grid value), then the chosen lr on the others. */
  runs: TrainRun[];
  trainExamples: number;
  valExamples: number;
  testExamples: number;
}

/** Pushes `points` random points of norm inputNorm/√c through `depth` fresh Poincaré linear layers. */
export function normRun(cfg: PoincareResNetPaperConfig, init: PoincareInit, seed: number): NormRun {
  const { depth, dim, points, inputNorm } = cfg.norm;
  const rng = new Rng(1000 * seed + NORM_INITS.indexOf(init));
  const x0 = new Float32Array(points * dim);
  for (let i = 0; i < points; i++) {
    const v = Array.from({ length: dim }, () => rng.normal());
    const n = Math.hypot(...v);
    v.forEach((a, j) => (x0[i * dim + j] = (a / n) * (inputNorm / Math.sqrt(cfg.c))));
  }
  const layers = Array.from({ length: depth }, (_, l) => new PoincareLinear(dim, dim, cfg.c, init, rng, `norm${l}`));
  const norms: number[][] = [];
  tf.tidy(() => {
    let h = tf.tensor2d(x0, [points, dim]);
    const rowNorms = (t: tf.Tensor2D) => Array.from(tf.norm(t, "euclidean", 1).dataSync());
    norms.push(rowNorms(h));
    for (const L of layers) {
      h = L.forward(h);
      norms.push(rowNorms(h));
    }
  });
  layers.forEach((L) => L.variables().forEach((v) => v.dispose()));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    seed,
    init,
    ratio: norms.map((ns) => mean(ns.map((v, i) => v / norms[0][i]))),
    radius: norms.map((ns) => mean(ns) * Math.sqrt(cfg.c)),
  };
}

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(cfg: PoincareResNetPaperConfig, seed: number): Split {
  const all = sample(loadDigits8x8(), cfg.examples, seed);
  const { train: pool, test } = trainTestSplit(all, { testFraction: cfg.testFraction, seed });
  const { train, val } = validationSplit(pool, cfg.valFraction, seed + 101);
  const [tr, va, te] = standardize(train, val, test);
  return { train: tr, val: va, test: te };
}

const accuracy = (net: PoincareResNet, ds: Dataset): number => {
  const logits = net.logits(ds.x, ds.n);
  const K = ds.numClasses;
  let hit = 0;
  for (let i = 0; i < ds.n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + best]) best = k;
    if (best === ds.y[i]) hit++;
  }
  return hit / ds.n;
};

/** Trains one Poincaré ResNet with the hand-written backward pass through the library loop. */
export async function trainResNet(
  cfg: PoincareResNetPaperConfig,
  split: Split,
  init: PoincareInit,
  lr: number,
  seed: number,
  ctx: PaperContext,
): Promise<TrainRun> {
  const net = new PoincareResNet(
    {
      inputDim: split.train.dim,
      width: cfg.width,
      blocks: cfg.blocks,
      classes: 10,
      c: cfg.c,
      init,
      inputScale: cfg.inputScale,
    },
    new Rng(7919 * seed + TRAIN_INITS.indexOf(init)),
  );
  const ds = split.train;
  const source = {
    n: ds.n,
    make: (idx: number[] | null) => {
      const b = idx as number[];
      const x = new Float32Array(b.length * ds.dim);
      const y = new Int32Array(b.length);
      b.forEach((i, k) => {
        x.set(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim), k * ds.dim);
        y[k] = ds.y[i];
      });
      return { x, y, n: b.length };
    },
  };
  const epochLoss: number[] = [];
  const res = await train(net, source, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed,
    lr,
    gradients: (b) => net.tensorGrads(b.x, b.y, b.n),
    onEpoch: (e, loss) => {
      epochLoss.push(loss);
      ctx.onProgress?.({ label: `${init} lr ${lr} seed ${seed}`, step: e, total: cfg.epochs, values: { loss } });
    },
    stopOnNonFinite: true,
  });
  const calib = Math.min(cfg.calibrationRows, ds.n);
  net.calibrate(ds.x.subarray(0, calib * ds.dim), calib);
  const out: TrainRun = {
    seed,
    init,
    lr,
    valAcc: accuracy(net, split.val),
    testAcc: accuracy(net, split.test),
    epochLoss,
    finite: res.stoppedAt === null && epochLoss.every(Number.isFinite),
  };
  net.dispose();
  return out;
}

export async function runPoincareResNet(
  cfg: PoincareResNetPaperConfig,
  ctx: PaperContext,
): Promise<PoincareResNetResult> {
  const norms = cfg.seeds.flatMap((s) => NORM_INITS.map((init) => normRun(cfg, init, s)));
  const runs: TrainRun[] = [];
  const selection: Record<string, Selection> = {};
  const first = splitFor(cfg, cfg.seeds[0]);
  for (const init of TRAIN_INITS) {
    const tried: TrainRun[] = [];
    selection[init] = await selectOnValidation(cfg.lrGrid, async (lr) => {
      const r = await trainResNet(cfg, first, init, lr, cfg.seeds[0], ctx);
      tried.push(r);
      return r.finite ? r.valAcc : NaN;
    });
    runs.push(...tried);
  }
  for (const s of cfg.seeds.slice(1)) {
    const split = splitFor(cfg, s);
    for (const init of TRAIN_INITS) runs.push(await trainResNet(cfg, split, init, selection[init].best, s, ctx));
  }
  return {
    norms,
    selection,
    runs,
    trainExamples: first.train.n,
    valExamples: first.val.n,
    testExamples: first.test.n,
  };
}

/** The run each seed reports for `init`: the selected lr (on the first seed, the selection's own run). */
export function chosenRuns(r: PoincareResNetResult, init: PoincareInit, seeds: number[]): TrainRun[] {
  const best = r.selection[init].best;
  return seeds.map((s) => r.runs.find((x) => x.seed === s && x.init === init && x.lr === best) as TrainRun);
}
