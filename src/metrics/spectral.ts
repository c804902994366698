// Spectral summaries of weight and embedding matrices (pure functions, float64).
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { eigh, singularValues } from "../linalg/decompose";
import { assertFinite, assertKnownOptions, assertNonEmpty, fail } from "../core/validate";

/**
 * Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of p_k = σ_k/‖σ‖₁ + eps.
 * eps defaults to 0; RankMe uses 1e-7.
 */
export function effectiveRank(singularValues: ArrayLike<number>, opts: { eps?: number } = {}): number {
  assertKnownOptions("opts", opts, ["eps"]);
  const eps = opts.eps ?? 0;
  if (!Number.isFinite(eps) || eps < 0) fail("opts.eps", `must be a finite number >= 0, got ${eps}`);
  if (singularValues == null || typeof singularValues.length !== "number")
    fail("singularValues", "must be an array of numbers");
  assertNonEmpty("singularValues", singularValues);
  assertFinite("singularValues", singularValues);
  let l1 = 0;
  for (let i = 0; i < singularValues.length; i++) {
    const s = singularValues[i];
    if (s < 0) fail("singularValues", `entry ${i} is ${s}; singular values are non-negative`);
    l1 += s;
  }
  if (l1 === 0) fail("singularValues", "are all zero; the effective rank of a zero matrix is undefined");
  let h = 0;
  for (let i = 0; i < singularValues.length; i++) {
    const p = singularValues[i] / l1 + eps;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Singular values of w, descending (float64). Errors name the argument "w". */
export function spectrum(w: Matrix): number[] {
  return singularValues(toMl(w, "w"));
}

/** Largest singular value ‖W‖₂. */
export function spectralNorm(w: Matrix): number {
  return spectrum(w)[0];
}

/** Stable rank ‖W‖²_F / ‖W‖²₂ (1 ≤ stable rank ≤ rank). */
export function stableRank(w: Matrix): number {
  const s = spectrum(w);
  if (s[0] === 0) fail("w", "is all zeros; its stable rank is undefined");
  let f = 0;
  for (const v of s) f += v * v;
  return f / (s[0] * s[0]);
}

/**
 * Participation ratio (Σλ)²/Σλ² of the eigenvalues λ = σ² of WᵀW, i.e. of the
 * (uncentred) second-moment matrix when the rows of W are samples.
 */
export function participationRatio(w: Matrix): number {
  const s = spectrum(w);
  let a = 0;
  let b = 0;
  for (const v of s) {
    a += v * v;
    b += v ** 4;
  }
  if (b === 0) fail("w", "is all zeros; its participation ratio is undefined");
  return (a * a) / b;
}

/**
 * Singular values, descending. When one side is ≥ 4× the other they come from the
 * eigenvalues of the smaller Gram matrix (square roots): much cheaper, and the squared
 * condition number only affects tiny values, whose share of the entropy is negligible.
 */
export function singularValuesFast(z: MlMatrix): number[] {
  const small = Math.min(z.rows, z.columns);
  const large = Math.max(z.rows, z.columns);
  if (large < 4 * small) return singularValues(z);
  const g = z.rows >= z.columns ? z.transpose().mmul(z) : z.mmul(z.transpose());
  return eigh(g)
    .values.map((v) => Math.sqrt(Math.max(0, v)))
    .sort((x, y) => y - x);
}

/**
 * RankMe (Garrido et al. 2023): effective rank of the raw embedding matrix z (N×K)
 * with eps = 1e-7; no centring unless asked. For tall or wide z the singular values come
 * from the eigenvalues of the smaller Gram matrix (their square roots).
 */
export function rankMe(z: Matrix, opts: { eps?: number; center?: boolean } = {}): number {
  assertKnownOptions("opts", opts, ["eps", "center"]);
  let m = toMl(z, "z");
  if (opts.center) m = m.clone().subRowVector(m.mean("column"));
  return effectiveRank(singularValuesFast(m), { eps: opts.eps ?? 1e-7 });
}

/** ‖W1 − W0‖_F / ‖W0‖_F. */
export function relativeWeightChange(w0: Matrix, w1: Matrix): number {
  const a = toMl(w0, "w0");
  const b = toMl(w1, "w1");
  if (a.rows !== b.rows || a.columns !== b.columns) {
    fail("w1", `shape ${b.rows}×${b.columns} does not match w0's ${a.rows}×${a.columns}`);
  }
  const n0 = a.norm("frobenius");
  if (n0 === 0) fail("w0", "is all zeros; the relative change is undefined");
  return b.clone().sub(a).norm("frobenius") / n0;
}
