// Spectral summaries of weight and embedding matrices (pure functions, float64).
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { eigh, singularValues } from "../linalg/decompose";
import { assertFinite, assertKnownOptions, assertNonEmpty, fail, finiteResult, maxAbs } from "../core/validate";

/**
 * Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of p_k = σ_k/‖σ‖₁ + eps.
 * eps defaults to 0; RankMe uses 1e-7.
 */
export function effectiveRank(singularValues: ArrayLike<number>, opts: { eps?: number } = {}): number {
  assertKnownOptions("opts", opts, ["eps"]);
  const eps = opts?.eps ?? 0;
  if (!Number.isFinite(eps) || eps < 0) fail("opts.eps", `must be a finite number >= 0, got ${eps}`);
  if (singularValues == null || typeof singularValues.length !== "number")
    fail("singularValues", "must be an array of numbers");
  assertNonEmpty("singularValues", singularValues);
  assertFinite("singularValues", singularValues);
  // Rescale by the largest value first (the result is scale-invariant) so sums cannot overflow.
  let top = 0;
  for (let i = 0; i < singularValues.length; i++) {
    const s = singularValues[i];
    if (s < 0) fail("singularValues", `entry ${i} is ${s}; singular values are non-negative`);
    top = Math.max(top, s);
  }
  if (top === 0) fail("singularValues", "are all zero; the effective rank of a zero matrix is undefined");
  let l1 = 0;
  for (let i = 0; i < singularValues.length; i++) l1 += singularValues[i] / top;
  let h = 0;
  for (let i = 0; i < singularValues.length; i++) {
    const p = singularValues[i] / top / l1 + eps;
    if (p > 0) h -= p * Math.log(p);
  }
  return finiteResult("singularValues", Math.exp(h), "the effective rank");
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
  // Scale-invariant: divide by σ_max before squaring (no underflow for tiny matrices).
  let f = 0;
  for (const v of s) f += (v / s[0]) ** 2;
  return finiteResult("w", f, "the stable rank");
}

/**
 * Participation ratio (Σλ)²/Σλ² of the eigenvalues λ = σ² of WᵀW, i.e. of the
 * (uncentred) second-moment matrix when the rows of W are samples.
 */
export function participationRatio(w: Matrix): number {
  const s = spectrum(w);
  if (s[0] === 0) fail("w", "is all zeros; its participation ratio is undefined");
  let a = 0;
  let b = 0;
  for (const v of s) {
    const x = v / s[0]; // scale-invariant: normalise first
    a += x * x;
    b += x ** 4;
  }
  return finiteResult("w", (a * a) / b, "the participation ratio");
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
  if (opts?.center) m = m.clone().subRowVector(m.mean("column"));
  const s = singularValuesFast(m);
  if (s.some((v) => !Number.isFinite(v))) finiteResult("z", NaN, "a singular value");
  return effectiveRank(s, { eps: opts?.eps ?? 1e-7 });
}

/** ‖W1 − W0‖_F / ‖W0‖_F. */
export function relativeWeightChange(w0: Matrix, w1: Matrix): number {
  const a = toMl(w0, "w0");
  const b = toMl(w1, "w1");
  if (a.rows !== b.rows || a.columns !== b.columns) {
    fail("w1", `shape ${b.rows}×${b.columns} does not match w0's ${a.rows}×${a.columns}`);
  }
  // Scale both by the largest |entry| first: the ratio is scale-invariant, squares are not.
  const ma = maxAbs(a.to1DArray());
  const scale = Math.max(ma, maxAbs(b.to1DArray()));
  if (ma === 0) fail("w0", "is all zeros; the relative change is undefined");
  const n0 = a.clone().div(scale).norm("frobenius");
  const d = b.clone().div(scale).sub(a.clone().div(scale)).norm("frobenius");
  return finiteResult("w1", d / n0, "the relative change");
}
