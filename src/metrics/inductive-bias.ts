// Inductive bias as information (Boopathy et al., IJCAI'24): the bias needed to reach test
// error ε is −ln P(err(h) ≤ ε) for h drawn from the hypotheses that fit the training data.
// Here the hypotheses are an RBF Gaussian process conditioned to interpolate the training
// labels (one-hot, classes independent); each sample's test error is its MSE against the
// one-hot test labels. The error distribution is fitted by a scaled non-central χ² and its
// left tail extrapolated to ε (the samples rarely reach ε themselves).
import { Rng } from "../core/random";
import { assertFinite, assertPositiveInt, fail } from "../core/validate";
import { eigh } from "../linalg/decompose";
import { fitScaledNcx2, ksStatisticNcx2, ncx2LogCdf, ScaledNcx2 } from "./ncx2";

const sqDist = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

function checkRows(arg: string, X: number[][], dim?: number): number {
  if (!Array.isArray(X) || X.length === 0) fail(arg, "must be a non-empty array of rows");
  const d = dim ?? X[0]?.length;
  if (!(d > 0)) fail(`${arg}[0]`, "must be a non-empty row");
  X.forEach((row, i) => {
    if (!row || row.length !== d) fail(`${arg}[${i}]`, `must have ${d} entries`);
    assertFinite(`${arg}[${i}]`, row);
  });
  return d;
}

/** k(a, b) = exp(−‖a − b‖² / (2σ²)). */
export function rbfKernel(A: number[][], B: number[][], sigma: number): number[][] {
  const d = checkRows("A", A);
  checkRows("B", B, d);
  if (!(sigma > 0)) fail("sigma", `must be > 0, got ${sigma}`);
  return A.map((a) => B.map((b) => Math.exp(-sqDist(a, b) / (2 * sigma * sigma))));
}

/** Median of the n(n−1)/2 pairwise Euclidean distances (the usual RBF bandwidth heuristic). */
export function medianPairwiseDistance(X: number[][]): number {
  checkRows("X", X);
  if (X.length < 2) fail("X", "needs at least 2 rows");
  const ds: number[] = [];
  for (let i = 0; i < X.length; i++) for (let j = i + 1; j < X.length; j++) ds.push(Math.sqrt(sqDist(X[i], X[j])));
  ds.sort((a, b) => a - b);
  const m = ds.length;
  return m % 2 ? ds[(m - 1) / 2] : (ds[m / 2 - 1] + ds[m / 2]) / 2;
}

export interface GpPosterior {
  /** Posterior mean on the test points, t × K. */
  mean: number[][];
  /** Symmetric square root of the posterior covariance (t × t, shared by the K classes). */
  covSqrt: number[][];
}

/**
 * The noise-free GP posterior given (X, Y): mean K_tX K⁻¹ Y, covariance K_tt − K_tX K⁻¹ K_Xt
 * (K with a relative jitter for conditioning); square root by symmetric eigendecomposition,
 * negative round-off eigenvalues clipped to 0.
 */
export function interpolatingGp(
  Xtrain: number[][],
  Ytrain: number[][],
  Xtest: number[][],
  sigma: number,
  jitter = 1e-8,
): GpPosterior {
  const d = checkRows("Xtrain", Xtrain);
  checkRows("Xtest", Xtest, d);
  const K = checkRows("Ytrain", Ytrain);
  if (Ytrain.length !== Xtrain.length) fail("Ytrain", `has ${Ytrain.length} rows; Xtrain has ${Xtrain.length}`);
  if (!(jitter >= 0)) fail("jitter", `must be ≥ 0, got ${jitter}`);
  const n = Xtrain.length;
  const Kxx = rbfKernel(Xtrain, Xtrain, sigma);
  for (let i = 0; i < n; i++) Kxx[i][i] += jitter;
  const Ktx = rbfKernel(Xtest, Xtrain, sigma);
  const { values, vectors } = eigh(Kxx);
  // A = K_tX K⁻¹ via the eigenbasis: K⁻¹ = V diag(1/w) Vᵀ.
  const inv = values.map((w) => 1 / Math.max(w, 1e-300));
  const KtxV = Ktx.map((row) => values.map((_, j) => row.reduce((s, v, i) => s + v * vectors[i][j], 0)));
  const A = KtxV.map((row) =>
    Array.from({ length: n }, (_, i) => row.reduce((s, v, j) => s + v * inv[j] * vectors[i][j], 0)),
  );
  const mean = A.map((a) => Array.from({ length: K }, (_, k) => a.reduce((s, v, i) => s + v * Ytrain[i][k], 0)));
  const t = Xtest.length;
  const Ktt = rbfKernel(Xtest, Xtest, sigma);
  const cov = Ktt.map((row, p) => row.map((v, q) => v - A[p].reduce((s, a, i) => s + a * Ktx[q][i], 0)));
  for (let p = 0; p < t; p++)
    for (let q = p + 1; q < t; q++) {
      const m = (cov[p][q] + cov[q][p]) / 2;
      cov[p][q] = m;
      cov[q][p] = m;
    }
  const e = eigh(cov, { symmetryTol: 1e-6 });
  const root = e.values.map((w) => Math.sqrt(Math.max(0, w)));
  const covSqrt = Array.from({ length: t }, (_, p) =>
    Array.from({ length: t }, (_, q) => e.vectors[p].reduce((s, v, j) => s + v * root[j] * e.vectors[q][j], 0)),
  );
  return { mean, covSqrt };
}

/** Test MSE (over t × K entries) of `samples` draws f = mean + covSqrt·z against the test targets. */
export function sampleTestErrors(post: GpPosterior, Ytest: number[][], samples: number, seed: number): Float64Array {
  const t = post.mean.length;
  const K = post.mean[0].length;
  checkRows("Ytest", Ytest, K);
  if (Ytest.length !== t) fail("Ytest", `has ${Ytest.length} rows; the posterior has ${t} test points`);
  assertPositiveInt("samples", samples);
  const rng = new Rng(seed);
  const S = Float64Array.from(post.covSqrt.flat());
  const resid = Float64Array.from(post.mean.flatMap((row, p) => row.map((m, k) => m - Ytest[p][k])));
  const out = new Float64Array(samples);
  const z = new Float64Array(t);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      for (let q = 0; q < t; q++) z[q] = rng.normal();
      for (let p = 0; p < t; p++) {
        let v = resid[p * K + k];
        const off = p * t;
        for (let q = 0; q < t; q++) v += S[off + q] * z[q];
        sum += v * v;
      }
    }
    out[s] = sum / (t * K);
  }
  return out;
}

export interface InductiveBiasEstimate {
  /** −ln P(err ≤ ε) from the fitted tail, in nats, and in bits. */
  nats: number;
  bits: number;
  /** −ln of the empirical fraction below ε (Infinity when no sample reaches ε). */
  empiricalNats: number;
  fit: ScaledNcx2;
  /** KS statistic of the fit against the samples. */
  ks: number;
}

/** Fits the error samples and reads the bias −ln F(ε) off the fitted CDF. */
export function inductiveBias(errors: ArrayLike<number>, epsilon: number): InductiveBiasEstimate {
  if (!(epsilon > 0)) fail("epsilon", `must be > 0, got ${epsilon}`);
  const fit = fitScaledNcx2(errors);
  const nats = -ncx2LogCdf(epsilon, fit.k, fit.lambda, fit.scale);
  let below = 0;
  for (let i = 0; i < errors.length; i++) if (errors[i] <= epsilon) below++;
  return {
    nats,
    bits: nats / Math.LN2,
    empiricalNats: below > 0 ? -Math.log(below / errors.length) : Infinity,
    fit,
    ks: ksStatisticNcx2(errors, fit),
  };
}
