// Intruder dimensions (Shuttleworth et al., "LoRA vs Full Fine-tuning: An Illusion of
// Equivalence"): top singular vectors of a fine-tuned matrix that are nearly orthogonal to
// every singular vector of the base matrix.
//
// Layout convention: the plain functions use the LEFT singular vectors of the matrices
// exactly as passed. For PyTorch / safetensors weights stored [out, in] that is the output
// space, as in the paper. tfjs Dense kernels (and initlab's MLP) store [in, out]; for those
// use the *Dense* helpers below, which transpose first so the same output space is used.
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { svd, SVDResult } from "../linalg/decompose";
import { assertFinite, assertKnownOptions, fail } from "../core/validate";

export interface IntruderOptions {
  /** Number of top singular vectors of `tuned` examined (default 10; capped at min(rows, cols)). */
  k?: number;
  /** Intruder when the max |cosine| with every base singular vector is below this (default 0.5). */
  epsilon?: number;
}

export interface IntruderResult {
  count: number;
  /** Positions (0-based, in descending singular-value order) of the intruders. */
  indices: number[];
  /** For each of the top-k tuned vectors, max_i |⟨u_t,j, u_0,i⟩| over all base left singular vectors. */
  maxCosine: number[];
}

export interface IntruderCurvePoint {
  epsilon: number;
  count: number;
  indices: number[];
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k <= 0) fail("opts.k", `must be a positive integer, got ${k}`);
}

function checkEpsilon(e: number, arg = "opts.epsilon"): void {
  if (typeof e !== "number" || !Number.isFinite(e) || e < 0 || e > 1) fail(arg, `must be a number in [0, 1], got ${e}`);
}

function pair(base: Matrix, tuned: Matrix): [MlMatrix, MlMatrix] {
  const a = toMl(base, "base");
  const b = toMl(tuned, "tuned");
  if (a.rows !== b.rows || a.columns !== b.columns)
    fail("tuned", `shape ${b.rows}×${b.columns} does not match base's ${a.rows}×${a.columns}`);
  return [a, b];
}

/**
 * Max |cosine| of each of the top-k left singular vectors of the tuned matrix with the
 * base's left singular vectors (thin SVDs, as torch.linalg.svd(full_matrices=False)).
 * Takes precomputed SVDs so callers can reuse them (CLI, ε sweeps).
 */
export function maxCosinesFromSvd(baseSvd: SVDResult, tunedSvd: SVDResult, k = 10): number[] {
  checkK(k);
  const U0 = baseSvd.U;
  const Ut = tunedSvd.U;
  if (!U0.length || !Ut.length) fail("svd", "needs singular vectors (computed with vectors: true)");
  if (U0.length !== Ut.length)
    fail("svd", `left singular vectors have ${Ut.length} rows in tuned but ${U0.length} in base`);
  const m = U0.length;
  const kk = Math.min(k, Ut[0].length);
  const r0 = U0[0].length;
  const out: number[] = [];
  for (let j = 0; j < kk; j++) {
    let best = 0;
    for (let i = 0; i < r0; i++) {
      let dot = 0;
      for (let q = 0; q < m; q++) dot += Ut[q][j] * U0[q][i];
      best = Math.max(best, Math.abs(dot));
    }
    // Unit vectors: |cos| ≤ 1 up to rounding.
    out.push(Math.min(1, best));
  }
  return out;
}

function fromCosines(maxCosine: number[], epsilon: number): IntruderResult {
  const indices: number[] = [];
  maxCosine.forEach((c, j) => {
    if (c < epsilon) indices.push(j);
  });
  return { count: indices.length, indices, maxCosine };
}

/**
 * Intruder dimensions of `tuned` relative to `base`, on the left singular vectors of the
 * matrices as passed ([out, in] torch layout ⇒ output space). `maxCosine` has
 * min(k, rows, cols) entries in singular-value order.
 */
export function intruderDimensions(base: Matrix, tuned: Matrix, opts: IntruderOptions = {}): IntruderResult {
  assertKnownOptions("opts", opts, ["k", "epsilon"]);
  const k = opts.k ?? 10;
  const epsilon = opts.epsilon ?? 0.5;
  checkK(k);
  checkEpsilon(epsilon);
  const [a, b] = pair(base, tuned);
  return fromCosines(maxCosinesFromSvd(svd(a), svd(b), k), epsilon);
}

/** Intruder counts for several thresholds from one pair of SVDs. */
export function intruderCurve(
  base: Matrix,
  tuned: Matrix,
  epsilons: number[],
  opts: { k?: number } = {},
): IntruderCurvePoint[] {
  assertKnownOptions("opts", opts, ["k"]);
  if (!Array.isArray(epsilons) || epsilons.length === 0)
    fail("epsilons", "must be a non-empty array of thresholds in [0, 1]");
  epsilons.forEach((e, i) => checkEpsilon(e, `epsilons[${i}]`));
  const k = opts.k ?? 10;
  checkK(k);
  const [a, b] = pair(base, tuned);
  const cos = maxCosinesFromSvd(svd(a), svd(b), k);
  return epsilons.map((epsilon) => {
    const r = fromCosines(cos, epsilon);
    return { epsilon, count: r.count, indices: r.indices };
  });
}

function transposed(m: Matrix, arg: string): MlMatrix {
  return toMl(m, arg).transpose();
}

/** intruderDimensions for tfjs Dense kernels [in, out]: transposes both to [out, in] first. */
export function intruderDimensionsDense(
  baseKernel: Matrix,
  tunedKernel: Matrix,
  opts: IntruderOptions = {},
): IntruderResult {
  return intruderDimensions(transposed(baseKernel, "baseKernel"), transposed(tunedKernel, "tunedKernel"), opts);
}

/** intruderCurve for tfjs Dense kernels [in, out] (output space = columns of the kernel). */
export function intruderCurveDense(
  baseKernel: Matrix,
  tunedKernel: Matrix,
  epsilons: number[],
  opts: { k?: number } = {},
): IntruderCurvePoint[] {
  return intruderCurve(transposed(baseKernel, "baseKernel"), transposed(tunedKernel, "tunedKernel"), epsilons, opts);
}

export interface ScaleIntrudersOptions extends IntruderOptions {
  /** Factor applied to the intruders' singular values (0 removes them; default 0). */
  lambda?: number;
}

/**
 * The paper's intervention: W' = W_t + (λ − 1) Σ_{j ∈ intruders} σ_j u_j v_jᵀ, i.e. the
 * tuned matrix with its intruder singular values scaled by λ. Same layout as passed
 * (left singular vectors = rows space); returns the new matrix and the intruders used.
 */
export function scaleIntruders(
  base: Matrix,
  tuned: Matrix,
  opts: ScaleIntrudersOptions = {},
): { weight: number[][]; intruders: IntruderResult } {
  assertKnownOptions("opts", opts, ["k", "epsilon", "lambda"]);
  const k = opts.k ?? 10;
  const epsilon = opts.epsilon ?? 0.5;
  const lambda = opts.lambda ?? 0;
  checkK(k);
  checkEpsilon(epsilon);
  assertFinite("opts.lambda", [lambda]);
  const [a, b] = pair(base, tuned);
  const st = svd(b);
  const intruders = fromCosines(maxCosinesFromSvd(svd(a), st, k), epsilon);
  const w = b.to2DArray();
  for (const j of intruders.indices) {
    const f = (lambda - 1) * st.S[j];
    for (let r = 0; r < w.length; r++) {
      const ur = st.U[r][j] * f;
      if (ur === 0) continue;
      for (let c = 0; c < w[r].length; c++) w[r][c] += ur * st.V[c][j];
    }
  }
  for (const row of w)
    for (const v of row)
      if (!Number.isFinite(v)) fail("opts.lambda", `${lambda} makes the rescaled weight overflow float64`);
  return { weight: w, intruders };
}

/** scaleIntruders for tfjs Dense kernels [in, out]; returns a kernel in [in, out] layout. */
export function scaleIntrudersDense(
  baseKernel: Matrix,
  tunedKernel: Matrix,
  opts: ScaleIntrudersOptions = {},
): { weight: number[][]; intruders: IntruderResult } {
  const r = scaleIntruders(transposed(baseKernel, "baseKernel"), transposed(tunedKernel, "tunedKernel"), opts);
  return { weight: new MlMatrix(r.weight).transpose().to2DArray(), intruders: r.intruders };
}
