// Randomized top-k SVD (Halko, Martinsson & Tropp 2011, Alg. 4.4: randomized subspace
// iteration). For a 768×3072 weight matrix and k = 10 it needs a few thin matmuls and an
// SVD of a (k+p)×n sketch instead of the full decomposition. Matmuls go through the LAPACK
// addon's dgemm when it is loaded, else a plain float64 loop.
import { assertKnownOptions, fail } from "../core/validate";
import { Rng } from "../core/random";
import { Matrix } from "./convert";
import { svd, SVDResult } from "./decompose";
import { lapack, toPacked } from "./lapack";

export interface SvdTopKOptions {
  /** Extra sketch columns beyond k (default 10). */
  oversample?: number;
  /** Power (subspace) iterations; each sharpens a slowly decaying spectrum (default 2). */
  powerIters?: number;
  /** Seed of the Gaussian test matrix (default 0); same seed → same result. */
  seed?: number;
}

/** Row-major r×c matrix. */
interface Dense {
  r: number;
  c: number;
  d: Float64Array;
}

/** op(a)·op(b) with op = transpose when the flag is set (BLAS-style, no copies on the native path). */
function matmul(a: Dense, b: Dense, ta = false, tb = false): Dense {
  const m = ta ? a.c : a.r;
  const k = ta ? a.r : a.c;
  const n = tb ? b.r : b.c;
  const lib = lapack();
  if (lib) return { r: m, c: n, d: lib.gemm(a.d, b.d, m, k, n, ta, tb) };
  const A = ta ? transpose(a) : a;
  const B = tb ? transpose(b) : b;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let p = 0; p < k; p++) {
      const v = A.d[i * k + p];
      if (v === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += v * B.d[bp + j];
    }
  }
  return { r: m, c: n, d: out };
}

function transpose(a: Dense): Dense {
  const d = new Float64Array(a.r * a.c);
  for (let i = 0; i < a.r; i++) for (let j = 0; j < a.c; j++) d[j * a.r + i] = a.d[i * a.c + j];
  return { r: a.c, c: a.r, d };
}

/**
 * Orthonormal basis of the columns of y (r×c, r ≥ c) by modified Gram-Schmidt with
 * re-orthogonalisation ("twice is enough"). A column that vanishes (rank deficiency) is
 * replaced by a seeded random direction so Q always has orthonormal columns.
 */
function orthonormalize(y: Dense, rng: Rng): Dense {
  const cols = transpose(y); // row j = column j of y
  const m = y.r;
  for (let j = 0; j < y.c; j++) {
    const v = cols.d.subarray(j * m, (j + 1) * m);
    let before = norm(v);
    for (let attempt = 0; attempt < 4; attempt++) {
      if (before === 0) {
        for (let i = 0; i < m; i++) v[i] = rng.normal();
        before = norm(v);
      }
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < j; q++) {
          const u = cols.d.subarray(q * m, (q + 1) * m);
          let dot = 0;
          for (let i = 0; i < m; i++) dot += u[i] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * u[i];
        }
      }
      const after = norm(v);
      if (after > 1e-10 * before && after > 0) {
        for (let i = 0; i < m; i++) v[i] /= after;
        break;
      }
      before = 0; // numerically inside the span so far: retry with a random direction
    }
  }
  return transpose(cols);
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function checkCount(arg: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    fail(arg, `must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

/**
 * Top-k thin SVD by randomized subspace iteration: S (length k, descending), U (rows × k)
 * and V (cols × k) with orthonormal columns. Exact (to rounding) when rank(m) ≤ k +
 * oversample; otherwise the error of the k-th value shrinks with the spectral gap and
 * powerIters (Halko et al. Thm 10.8 / Cor. 10.10).
 */
export function svdTopK(m: Matrix, k: number, opts: SvdTopKOptions = {}): SVDResult {
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  assertKnownOptions("opts", opts, ["oversample", "powerIters", "seed"]);
  const packed = toPacked(m, "m");
  const rows = packed.rows;
  const cols = packed.cols;
  const kmax = Math.min(rows, cols);
  checkCount("k", k, 1);
  if (k > kmax) fail("k", `must be ≤ min(rows, cols) = ${kmax}, got ${k}`);
  const p = checkCount("opts.oversample", opts.oversample ?? 10, 0);
  const iters = checkCount("opts.powerIters", opts.powerIters ?? 2, 0);
  const seedValue = opts.seed ?? 0;
  if (typeof seedValue !== "number" || !Number.isFinite(seedValue))
    fail("opts.seed", `must be a finite number, got ${String(seedValue)}`);
  const l = Math.min(k + p, kmax);

  const A: Dense = { r: rows, c: cols, d: packed.d };
  const rng = new Rng(seedValue);
  const omega: Dense = { r: cols, c: l, d: new Float64Array(cols * l) };
  for (let i = 0; i < omega.d.length; i++) omega.d[i] = rng.normal();

  let Q = orthonormalize(matmul(A, omega), rng);
  for (let it = 0; it < iters; it++) {
    const Z = orthonormalize(matmul(A, Q, true), rng);
    Q = orthonormalize(matmul(A, Z), rng);
  }
  // B = Qᵀ A (l × cols); its SVD B = Ub S Vᵀ gives A ≈ (Q Ub) S Vᵀ.
  const B = matmul(Q, A, true);
  const Brows: number[][] = [];
  for (let i = 0; i < B.r; i++) Brows.push(Array.from(B.d.subarray(i * B.c, (i + 1) * B.c)));
  const small = svd(Brows);
  const Ub: Dense = { r: l, c: k, d: new Float64Array(l * k) };
  for (let i = 0; i < l; i++) for (let j = 0; j < k; j++) Ub.d[i * k + j] = small.U[i][j];
  const U = matmul(Q, Ub);
  const Urows: number[][] = [];
  for (let i = 0; i < rows; i++) Urows.push(Array.from(U.d.subarray(i * k, (i + 1) * k)));
  return { U: Urows, S: small.S.slice(0, k), V: small.V.map((row) => row.slice(0, k)) };
}
