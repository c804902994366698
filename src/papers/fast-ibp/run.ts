// Shi et al. (NeurIPS'21) at toy scale. (A) IBP radius growth per ReLU layer at init, He vs
// IBP init. (B) A short certified-training schedule on MNIST digits: vanilla IBP (He init, no
// BN, no regularisers) vs the fast recipe (IBP init + BN + warm-up regularisers), same loss,
// steps and clipping; learning rates chosen per method on a validation split of the first seed.
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { certifiedAccuracy, IbpMlp } from "../../nn/ibp";
import { trainIbp } from "../../train/ibp";
import { Selection, selectOnValidation, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface FastIbpConfig extends PaperConfig {
  /** (A) hidden width and layers of the init probe, its radius ε and probe points. */
  growthWidth: number;
  growthDepth: number;
  growthEps: number;
  growthPoints: number;
  /** (B) digits per seed, test and validation fractions. */
  examples: number;
  testFraction: number;
  valFraction: number;
  width: number;
  depth: number;
  eps: number;
  rampStart: number;
  rampEnd: number;
  epochs: number;
  batchSize: number;
  lrGrid: number[];
  /** λ0 and τ of the warm-up regularisers; global gradient-norm clip. */
  regLambda: number;
  tau: number;
  gradClip: number;
}

export type Method = "vanilla" | "fast";

export interface MethodRun {
  method: Method;
  lr: number;
  clean: number;
  certified: number;
  /** Certified accuracy on the test digits at a few points of training. */
  track: Array<{ step: number; certified: number }>;
}

export interface SeedRun {
  seed: number;
  /** Mean IBP radius of each hidden pre-activation, per init. */
  radii: Record<"he" | "ibp", number[]>;
  runs: MethodRun[];
}

export interface FastIbpResult {
  selection: Record<Method, Selection>;
  seeds: SeedRun[];
  trainExamples: number;
  testExamples: number;
}

const setup = (m: Method) =>
  m === "fast" ? { init: "ibp" as const, batchNorm: true } : { init: "he" as const, batchNorm: false };

function seedData(cfg: FastIbpConfig, s: number): { train: Dataset; test: Dataset } {
  return trainTestSplit(sample(loadMnistDigits(), cfg.examples, s), { testFraction: cfg.testFraction, seed: s });
}

function growth(cfg: FastIbpConfig, s: number, ds: Dataset): SeedRun["radii"] {
  const out = {} as SeedRun["radii"];
  for (const init of ["he", "ibp"] as const) {
    seed(10_000 + s);
    const net = new IbpMlp({ sizes: [ds.dim, ...Array(cfg.growthDepth).fill(cfg.growthWidth), 10], init });
    const k = Math.min(cfg.growthPoints, ds.n);
    out[init] = tf.tidy(() => {
      const p = net.pass(tf.tensor2d(ds.x.subarray(0, k * ds.dim), [k, ds.dim]), cfg.growthEps, false);
      return p.pre.map((b) => tf.mean(b.radius).dataSync()[0]);
    });
    net.dispose();
  }
  return out;
}

async function fit(
  cfg: FastIbpConfig,
  method: Method,
  lr: number,
  s: number,
  trainSet: Dataset,
  evalSet: Dataset,
  ctx: PaperContext,
  trackEvery: number,
): Promise<MethodRun> {
  seed(s);
  const model = new IbpMlp({ sizes: [trainSet.dim, ...Array(cfg.depth).fill(cfg.width), 10], ...setup(method) });
  const track: MethodRun["track"] = [];
  await trainIbp(model, trainSet, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr,
    seed: s,
    eps: cfg.eps,
    rampStart: cfg.rampStart,
    rampEnd: cfg.rampEnd,
    regLambda: method === "fast" ? cfg.regLambda : 0,
    tau: cfg.tau,
    gradClip: cfg.gradClip,
    evalEvery: trackEvery > 0 ? trackEvery : undefined,
    onEval:
      trackEvery > 0
        ? (step) => void track.push({ step, certified: certifiedAccuracy(model, evalSet, cfg.eps).certified })
        : undefined,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s} ${method} lr ${lr}` }),
  });
  const acc = certifiedAccuracy(model, evalSet, cfg.eps);
  model.dispose();
  return { method, lr, clean: acc.clean, certified: acc.certified, track };
}

/** Learning rates selected on the first seed's validation split (certified accuracy), then every seed trains both. */
export async function runFastIbp(cfg: FastIbpConfig, ctx: PaperContext): Promise<FastIbpResult> {
  const methods: Method[] = ["vanilla", "fast"];
  const first = seedData(cfg, cfg.seeds[0]);
  const { train: fitSet, val } = validationSplit(first.train, cfg.valFraction, cfg.seeds[0]);
  const selection = {} as Record<Method, Selection>;
  for (const m of methods)
    selection[m] = await selectOnValidation(
      cfg.lrGrid,
      async (lr) => (await fit(cfg, m, lr, cfg.seeds[0], fitSet, val, ctx, 0)).certified,
      { maxExtensions: 1 },
    );
  const seeds: SeedRun[] = [];
  let trainExamples = 0;
  let testExamples = 0;
  for (const s of cfg.seeds) {
    const { train: tr, test } = seedData(cfg, s);
    trainExamples = tr.n;
    testExamples = test.n;
    const steps = cfg.epochs * Math.ceil(tr.n / cfg.batchSize);
    const runs: MethodRun[] = [];
    for (const m of methods)
      runs.push(await fit(cfg, m, selection[m].best, s, tr, test, ctx, Math.max(1, Math.floor(steps / cfg.epochs))));
    seeds.push({ seed: s, radii: growth(cfg, s, test), runs });
  }
  return { selection, seeds, trainExamples, testExamples };
}
