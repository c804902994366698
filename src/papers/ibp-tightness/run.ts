// Mao et al. (ICLR'24) at toy scale. (A) Tightness at initialisation: deep linear nets against
// the closed form (π/2n)^{L/2}, and He-initialised ReLU nets over width and depth. (B) Standard
// vs IBP training of an MLP on MNIST digits: tightness and certified accuracy, and an IBP width
// pair. Learning rates are chosen per method on a validation split of the first seed.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { deepLinearTightness, ibpTightness } from "../../metrics/tightness";
import { certifiedAccuracy, IbpMlp } from "../../nn/ibp";
import { trainIbp } from "../../train/ibp";
import { Selection, selectOnValidation, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface IbpTightnessConfig extends PaperConfig {
  /** (A) widths and hidden-layer counts at initialisation. */
  initWidths: number[];
  initDepths: number[];
  /** Input dimension of the deep linear nets in (A). */
  linearInput: number;
  /** (B) digits sampled per seed (a test fraction is held out, a validation part of the rest). */
  examples: number;
  testFraction: number;
  valFraction: number;
  /** Hidden layers of the trained MLPs; the standard and the first IBP run use `width`. */
  depth: number;
  width: number;
  /** The IBP width pair (small, large). */
  widthPair: [number, number];
  eps: number;
  /** The ε ramp (fractions of the steps) and the final clean-loss weight κ of the mixed loss. */
  rampStart: number;
  rampEnd: number;
  cleanWeight: number;
  epochs: number;
  batchSize: number;
  lrGrid: number[];
  /** Test points the tightness is averaged over; tightness is tracked at this many points in training. */
  tightnessPoints: number;
  trackPoints: number;
}

export type Method = "standard" | "ibp-small" | "ibp-large";

export interface MethodRun {
  method: Method;
  width: number;
  eps: number;
  lr: number;
  tightness: number;
  clean: number;
  certified: number;
  /** Tightness (test points) during training. */
  track: Array<{ step: number; tightness: number }>;
}

export interface SeedRun {
  seed: number;
  /** (A) per (width, depth): deep linear τ and its theory; ReLU τ at He init. */
  init: Array<{ width: number; depth: number; linear: number; theory: number; relu: number }>;
  runs: MethodRun[];
}

export interface IbpTightnessResult {
  selection: Record<Method, Selection>;
  seeds: SeedRun[];
  trainExamples: number;
  testExamples: number;
}

function rows(ds: Dataset, n: number): tf.Tensor2D {
  const k = Math.min(n, ds.n);
  return tf.tensor2d(ds.x.subarray(0, k * ds.dim), [k, ds.dim]);
}

/** Tightness of a trained IbpMlp linearised at its ReLU patterns on the given points. */
export function modelTightness(model: IbpMlp, x: tf.Tensor2D): number {
  const ws = model.foldedWeights();
  const masks = tf.tidy(() =>
    model.pass(x, 0, false).cleanPre.map((z) => tf.cast(tf.greater(z, 0), "float32") as tf.Tensor2D),
  );
  const t = ibpTightness(ws, masks);
  tf.dispose([...ws, ...masks]);
  return t;
}

function initTightness(cfg: IbpTightnessConfig, s: number, probe: tf.Tensor2D): SeedRun["init"] {
  const out: SeedRun["init"] = [];
  for (const depth of cfg.initDepths)
    for (const width of cfg.initWidths) {
      const rng = new Rng(1000 * s + 10 * depth + width);
      const sizes = [cfg.linearInput, ...Array(depth).fill(width), 10];
      const ws = sizes
        .slice(1)
        .map((fo, l) => tf.tensor2d(rng.normalArray(sizes[l] * fo, Math.sqrt(2 / sizes[l])), [sizes[l], fo]));
      const linear = ibpTightness(ws);
      tf.dispose(ws);
      seed(1000 * s + 10 * depth + width);
      const net = new IbpMlp({ sizes: [probe.shape[1], ...Array(depth).fill(width), 10], init: "he" });
      const relu = modelTightness(net, probe);
      net.dispose();
      out.push({ width, depth, linear, theory: deepLinearTightness(width, depth), relu });
    }
  return out;
}

interface Spec {
  method: Method;
  width: number;
  eps: number;
}

const specs = (cfg: IbpTightnessConfig): Spec[] => [
  { method: "standard", width: cfg.width, eps: 0 },
  { method: "ibp-small", width: cfg.widthPair[0], eps: cfg.eps },
  { method: "ibp-large", width: cfg.widthPair[1], eps: cfg.eps },
];

async function fit(
  cfg: IbpTightnessConfig,
  sp: Spec,
  lr: number,
  s: number,
  trainSet: Dataset,
  evalSet: Dataset,
  ctx: PaperContext,
  track: boolean,
): Promise<MethodRun> {
  seed(s);
  const model = new IbpMlp({ sizes: [trainSet.dim, ...Array(cfg.depth).fill(sp.width), 10], init: "he" });
  const probe = rows(evalSet, cfg.tightnessPoints);
  const trackLog: MethodRun["track"] = [];
  const steps = cfg.epochs * Math.ceil(trainSet.n / cfg.batchSize);
  const every = Math.max(1, Math.floor(steps / cfg.trackPoints));
  if (track) trackLog.push({ step: 0, tightness: modelTightness(model, probe) });
  await trainIbp(model, trainSet, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr,
    seed: s,
    eps: sp.eps,
    rampStart: cfg.rampStart,
    rampEnd: cfg.rampEnd,
    cleanWeight: cfg.cleanWeight,
    evalEvery: track ? every : undefined,
    onEval: track ? (step) => void trackLog.push({ step, tightness: modelTightness(model, probe) }) : undefined,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s} ${sp.method} lr ${lr}` }),
  });
  const acc = certifiedAccuracy(model, evalSet, cfg.eps);
  const tightness = modelTightness(model, probe);
  probe.dispose();
  model.dispose();
  return {
    method: sp.method,
    width: sp.width,
    eps: sp.eps,
    lr,
    tightness,
    clean: acc.clean,
    certified: acc.certified,
    track: trackLog,
  };
}

function seedData(cfg: IbpTightnessConfig, s: number): { train: Dataset; test: Dataset } {
  return trainTestSplit(sample(loadMnistDigits(), cfg.examples, s), { testFraction: cfg.testFraction, seed: s });
}

/** All seeds: learning rates selected on the first seed's validation split, then every seed trains each method. */
export async function runIbpTightness(cfg: IbpTightnessConfig, ctx: PaperContext): Promise<IbpTightnessResult> {
  const first = seedData(cfg, cfg.seeds[0]);
  const { train: fitSet, val } = validationSplit(first.train, cfg.valFraction, cfg.seeds[0]);
  const selection = {} as Record<Method, Selection>;
  for (const sp of specs(cfg)) {
    // Standard training is scored on clean accuracy, IBP training on certified accuracy at eps.
    selection[sp.method] = await selectOnValidation(
      cfg.lrGrid,
      async (lr) => {
        const r = await fit(cfg, sp, lr, cfg.seeds[0], fitSet, val, ctx, false);
        return sp.eps > 0 ? r.certified : r.clean;
      },
      { maxExtensions: 1 },
    );
  }
  const seeds: SeedRun[] = [];
  let trainExamples = 0;
  let testExamples = 0;
  for (const s of cfg.seeds) {
    const { train: tr, test } = seedData(cfg, s);
    trainExamples = tr.n;
    testExamples = test.n;
    const probe = rows(test, cfg.tightnessPoints);
    const init = initTightness(cfg, s, probe);
    probe.dispose();
    const runs: MethodRun[] = [];
    for (const sp of specs(cfg)) runs.push(await fit(cfg, sp, selection[sp.method].best, s, tr, test, ctx, true));
    seeds.push({ seed: s, init, runs });
  }
  return { selection, seeds, trainExamples, testExamples };
}
