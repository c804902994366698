// LU factorisation with partial (row) pivoting in float64, for rectangular matrices:
// A (m×n) = P · L · D · U with k = min(m, n), L m×k unit lower-trapezoidal (|L| ≤ 1),
// D = diag of the upper factor (k), U k×n unit upper-trapezoidal, P a permutation
// (scipy.linalg.lu's convention A = P L U, with the diagonal split out for LoLDU).
import { Matrix, toFloat64 } from "./convert";
import { fail } from "../core/validate";

export interface LUResult {
  /** perm[i] = the row of A that row i of L·D·U reproduces: A[perm[i]] = (L D U)[i], i.e. P[perm[i]][i] = 1. */
  perm: number[];
  /** m×k, unit diagonal. */
  L: number[][];
  /** k diagonal entries of the upper factor (pivots). */
  D: number[];
  /** k×n, unit diagonal where D ≠ 0 (a row with a zero pivot is left as the raw upper row). */
  U: number[][];
}

/** LU with partial pivoting (largest |entry| in the column), float64. */
export function luDecompose(m: Matrix): LUResult {
  const { data, rows, cols } = toFloat64(m, "m");
  if (rows === 0 || cols === 0) fail("m", "is empty");
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) fail("m", `entry ${i} is ${data[i]}; expected a finite number`);
  const a = Float64Array.from(data);
  const k = Math.min(rows, cols);
  const perm = Array.from({ length: rows }, (_, i) => i);
  for (let j = 0; j < k; j++) {
    let p = j;
    let best = Math.abs(a[j * cols + j]);
    for (let i = j + 1; i < rows; i++) {
      const v = Math.abs(a[i * cols + j]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (p !== j) {
      for (let c = 0; c < cols; c++) {
        const t = a[j * cols + c];
        a[j * cols + c] = a[p * cols + c];
        a[p * cols + c] = t;
      }
      [perm[j], perm[p]] = [perm[p], perm[j]];
    }
    const piv = a[j * cols + j];
    if (piv === 0) continue; // column already zero below the diagonal
    for (let i = j + 1; i < rows; i++) {
      const f = (a[i * cols + j] /= piv);
      if (f === 0) continue;
      for (let c = j + 1; c < cols; c++) a[i * cols + c] -= f * a[j * cols + c];
    }
  }
  const L = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: k }, (_, j) => (i === j ? 1 : i > j ? a[i * cols + j] : 0)),
  );
  const D = Array.from({ length: k }, (_, j) => a[j * cols + j]);
  const U = Array.from({ length: k }, (_, j) =>
    Array.from({ length: cols }, (_, c) =>
      c < j ? 0 : c === j ? (D[j] === 0 ? 0 : 1) : D[j] === 0 ? a[j * cols + c] : a[j * cols + c] / D[j],
    ),
  );
  // A pivot that is tiny but not zero (e.g. 1e-320) makes U overflow: say so, never return Infinity.
  for (const row of [...L, ...U, D])
    for (const v of row)
      if (!Number.isFinite(v))
        fail("m", "is too ill-conditioned for float64 LU: a pivot underflows and the factors overflow");
  return { perm, L, D, U };
}

/** Rebuilds P·L·diag(D)·U (m×n) from a factorisation, e.g. to check it. */
export function luReconstruct(f: LUResult): number[][] {
  const m = f.L.length;
  const k = f.D.length;
  const n = f.U[0].length;
  const out = Array.from({ length: m }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < m; i++) {
    const row = out[f.perm[i]];
    for (let j = 0; j < k; j++) {
      // A zero pivot keeps its raw upper row in U (see luDecompose), so it enters with factor 1.
      const l = f.L[i][j] * (f.D[j] === 0 ? 1 : f.D[j]);
      if (l === 0) continue;
      for (let c = 0; c < n; c++) row[c] += l * f.U[j][c];
    }
  }
  return out;
}
