// Unsupervised pretraining (maximum likelihood of the factor model ≈ top-r PCA of m unlabelled
// points) then OLS on the r features from n labelled points, vs supervised ridge on x with its
// penalty chosen by leave-one-out cross-validation on the same n points. Excess risk is exact
// (src/metrics/excess-risk.ts), so no test sampling noise enters the comparison.
import { Rng } from "../../core/random";
import { eigh } from "../../linalg/decompose";
import { factorBayesWeights, factorCovariance, linearExcessRisk } from "../../metrics/excess-risk";
import { selectOnValidation } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface PretrainConfig extends PaperConfig {
  d: number;
  r: number;
  loadingStd: number;
  /** Loading scale of the "strong loadings" control, where ridge should match pretraining. */
  strongLoadingStd: number;
  labelNoise: number;
  ms: number[];
  ns: number[];
  /** The (n, m) of the headline comparison. */
  headlineN: number;
  headlineM: number;
  ridgeGrid: number[];
  /** Fresh test points for the Monte Carlo cross-check of the closed-form excess risk. */
  mcPoints: number;
}

export interface PretrainSeedRun {
  seed: number;
  /** Excess risk of PCA pretraining + OLS, per (m, n). */
  pretrain: Array<{ m: number; n: number; excess: number }>;
  /** Excess risk of ridge per n, with its LOOCV-chosen penalty. */
  ridge: Array<{ n: number; excess: number; alpha: number }>;
  strong: { pretrain: number; ridge: number; alpha: number };
  /** Closed form vs Monte Carlo for the headline pretrained predictor. */
  mcCheck: { closedForm: number; monteCarlo: number };
}

export interface PretrainResult {
  runs: PretrainSeedRun[];
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

interface Model {
  B: number[][];
  beta: number[];
  Sigma: number[][];
  wStar: number[];
}

function makeModel(cfg: PretrainConfig, rng: Rng, loadingStd: number): Model {
  const B = Array.from({ length: cfg.d }, () => Array.from({ length: cfg.r }, () => rng.normal() * loadingStd));
  const beta = Array.from({ length: cfg.r }, () => rng.normal());
  return { B, beta, Sigma: factorCovariance(B, 1), wStar: factorBayesWeights(B, beta, 1) };
}

function draw(model: Model, count: number, rng: Rng, labelNoise: number): { X: number[][]; y: number[] } {
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < count; i++) {
    const z = model.beta.map(() => rng.normal());
    X.push(model.B.map((row) => dot(row, z) + rng.normal()));
    y.push(dot(model.beta, z) + labelNoise * rng.normal());
  }
  return { X, y };
}

/** Top-r principal directions (columns) of the uncentred second moment (the model has mean 0). */
function topDirections(X: number[][], r: number): number[][] {
  const d = X[0].length;
  const C = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const x of X)
    for (let i = 0; i < d; i++) {
      const xi = x[i];
      for (let j = i; j < d; j++) C[i][j] += xi * x[j];
    }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) C[i][j] = C[j][i];
  const { vectors } = eigh(C);
  return Array.from({ length: r }, (_, c) => vectors.map((row) => row[d - 1 - c]));
}

/** OLS of y on the features Uᵀx; returns w = U θ on x. */
export function pcaOls(dirs: number[][], X: number[][], y: number[]): number[] {
  const r = dirs.length;
  const F = X.map((x) => dirs.map((u) => dot(u, x)));
  const G = Array.from({ length: r }, (_, a) =>
    Array.from({ length: r }, (_, b) => F.reduce((s, f) => s + f[a] * f[b], 0)),
  );
  const rhs = Array.from({ length: r }, (_, a) => F.reduce((s, f, i) => s + f[a] * y[i], 0));
  const { values, vectors } = eigh(G);
  const theta = Array.from({ length: r }, (_, a) =>
    values.reduce(
      (s, w, j) =>
        s +
        (vectors[a][j] *
          dot(
            vectors.map((row) => row[j]),
            rhs,
          )) /
          w,
      0,
    ),
  );
  return Array.from({ length: X[0].length }, (_, i) => dirs.reduce((s, u, a) => s + u[i] * theta[a], 0));
}

/** Ridge on x: w(α) = (XᵀX + αI)⁻¹Xᵀy, with the exact leave-one-out error Σ (e_i / (1 − H_ii))² / n. */
export function ridgeFamily(X: number[][], y: number[]) {
  const d = X[0].length;
  const XtX = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => X.reduce((s, x) => s + x[i] * x[j], 0)),
  );
  const { values, vectors } = eigh(XtX);
  const col = (j: number) => vectors.map((row) => row[j]);
  const cols = values.map((_, j) => col(j));
  const proj = X.map((x) => cols.map((v) => dot(v, x)));
  const Xty = Array.from({ length: d }, (_, i) => X.reduce((s, x, k) => s + x[i] * y[k], 0));
  const c = cols.map((v) => dot(v, Xty));
  const weights = (alpha: number) =>
    Array.from({ length: d }, (_, i) =>
      values.reduce((s, w, j) => s + (cols[j][i] * c[j]) / (Math.max(w, 0) + alpha), 0),
    );
  const loocv = (alpha: number) => {
    let s = 0;
    X.forEach((_, k) => {
      let pred = 0;
      let h = 0;
      values.forEach((w, j) => {
        const den = Math.max(w, 0) + alpha;
        pred += (proj[k][j] * c[j]) / den;
        h += (proj[k][j] * proj[k][j]) / den;
      });
      s += ((y[k] - pred) / (1 - h)) ** 2;
    });
    return s / X.length;
  };
  return { weights, loocv };
}

async function ridgeExcess(
  model: Model,
  X: number[][],
  y: number[],
  grid: number[],
): Promise<{ excess: number; alpha: number }> {
  const fam = ridgeFamily(X, y);
  const sel = await selectOnValidation(grid, (a) => -fam.loocv(a));
  return { excess: linearExcessRisk(fam.weights(sel.best), model.wStar, model.Sigma), alpha: sel.best };
}

export async function runPretrainSeed(cfg: PretrainConfig, seed: number, ctx: PaperContext): Promise<PretrainSeedRun> {
  const rng = new Rng(2500 + seed);
  const model = makeModel(cfg, rng, cfg.loadingStd);
  const unlabelled = draw(model, Math.max(...cfg.ms), rng, cfg.labelNoise).X;
  const labelled = draw(model, Math.max(...cfg.ns), rng, cfg.labelNoise);
  const pretrain: PretrainSeedRun["pretrain"] = [];
  const ridge: PretrainSeedRun["ridge"] = [];
  let headlineW: number[] = [];
  for (const [mi, m] of cfg.ms.entries()) {
    const dirs = topDirections(unlabelled.slice(0, m), cfg.r);
    for (const n of cfg.ns) {
      const w = pcaOls(dirs, labelled.X.slice(0, n), labelled.y.slice(0, n));
      pretrain.push({ m, n, excess: linearExcessRisk(w, model.wStar, model.Sigma) });
      if (m === cfg.headlineM && n === cfg.headlineN) headlineW = w;
    }
    ctx.onProgress?.({ label: `seed ${seed} pretraining m = ${m}`, step: mi + 1, total: cfg.ms.length + 2 });
  }
  for (const n of cfg.ns)
    ridge.push({ n, ...(await ridgeExcess(model, labelled.X.slice(0, n), labelled.y.slice(0, n), cfg.ridgeGrid)) });
  ctx.onProgress?.({ label: `seed ${seed} ridge`, step: cfg.ms.length + 1, total: cfg.ms.length + 2 });

  // Strong loadings: a fresh model, the headline (n, m) only.
  const strongModel = makeModel(cfg, rng, cfg.strongLoadingStd);
  const su = draw(strongModel, cfg.headlineM, rng, cfg.labelNoise).X;
  const sl = draw(strongModel, cfg.headlineN, rng, cfg.labelNoise);
  const sw = pcaOls(topDirections(su, cfg.r), sl.X, sl.y);
  const sr = await ridgeExcess(strongModel, sl.X, sl.y, cfg.ridgeGrid);
  ctx.onProgress?.({ label: `seed ${seed} strong loadings`, step: cfg.ms.length + 2, total: cfg.ms.length + 2 });

  // Monte Carlo cross-check of the closed form on fresh points.
  const test = draw(model, cfg.mcPoints, rng, cfg.labelNoise).X;
  const mc = test.reduce((s, x) => s + (dot(headlineW, x) - dot(model.wStar, x)) ** 2, 0) / test.length;
  return {
    seed,
    pretrain,
    ridge,
    strong: { pretrain: linearExcessRisk(sw, strongModel.wStar, strongModel.Sigma), ridge: sr.excess, alpha: sr.alpha },
    mcCheck: { closedForm: linearExcessRisk(headlineW, model.wStar, model.Sigma), monteCarlo: mc },
  };
}
