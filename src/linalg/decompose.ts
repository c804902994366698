// Float64 decompositions: LAPACK (dgesdd / dsyevd through the optional native addon, see
// lapack.ts) when it is built, else ml-matrix (a JAMA port, ~50× slower at 768). Both paths
// return the same shapes and conventions; the benchmark suite measures them.
import { EigenvalueDecomposition, Matrix as MlMatrix, SingularValueDecomposition } from "ml-matrix";
import { fail } from "../validate";
import { Matrix, toMl } from "./convert";
import { lapack, LapackAddon } from "./lapack";

/** Row-major float64 copy of a validated ml-matrix (the addon's input form). */
export function packRowMajor(a: MlMatrix): Float64Array {
  const r = a.rows;
  const c = a.columns;
  const out = new Float64Array(r * c);
  // A dense ml-matrix keeps one Float64Array per row; views (transpose, sub-matrix) do not.
  const rowsData = (a as unknown as { data?: unknown }).data;
  if (Array.isArray(rowsData) && rowsData.length === r && rowsData[0] instanceof Float64Array && rowsData[0].length === c) {
    for (let i = 0; i < r; i++) out.set(rowsData[i] as Float64Array, i * c);
    return out;
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = a.get(i, j);
  return out;
}

/** A validated matrix as a row-major Float64Array, skipping ml-matrix for plain rows. */
export interface Packed {
  d: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Packs any accepted matrix form. Plain number[][] is copied in one validating pass; any
 * irregularity (or another form) goes through toMl, which owns the error messages.
 */
export function toPacked(m: Matrix, arg: string): Packed {
  if (Array.isArray(m) && m.length > 0 && Array.isArray(m[0]) && m[0].length > 0) {
    const rows = m.length;
    const cols = m[0].length;
    const d = new Float64Array(rows * cols);
    let ok = true;
    outer: for (let i = 0; i < rows; i++) {
      const row = m[i];
      if (!Array.isArray(row) || row.length !== cols) {
        ok = false;
        break;
      }
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== "number" || !Number.isFinite(v)) {
          ok = false;
          break outer;
        }
        d[o + j] = v;
      }
    }
    if (ok) return { d, rows, cols };
  }
  const a = toMl(m, arg);
  return { d: packRowMajor(a), rows: a.rows, cols: a.columns };
}

/** Rows of a row-major r×c buffer as nested arrays. */
export function unpackRows(buf: Float64Array, r: number, c: number): number[][] {
  const out: number[][] = new Array(r);
  for (let i = 0; i < r; i++) {
    const row = new Array<number>(c);
    const o = i * c;
    for (let j = 0; j < c; j++) row[j] = buf[o + j];
    out[i] = row;
  }
  return out;
}

/** Transpose of a row-major r×c buffer (tiled for cache locality), as nested c×r rows. */
function unpackTransposed(buf: Float64Array, r: number, c: number): number[][] {
  const t = new Float64Array(r * c);
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) t[j * r + i] = buf[i * c + j];
    }
  }
  return unpackRows(t, c, r);
}

function nativeSvd(lib: LapackAddon, p: Packed, vectors: boolean): SVDResult | null {
  const { rows: m, cols: n } = p;
  const k = Math.min(m, n);
  let r;
  try {
    r = lib.svd(p.d, m, n, vectors);
  } catch {
    return null; // dgesdd did not converge: let ml-matrix try
  }
  const S = Array.from(r.s, (s) => Math.max(0, s));
  if (!vectors || !r.u || !r.vt) return { U: [], S, V: [] };
  return { U: unpackRows(r.u, m, k), S, V: unpackTransposed(r.vt, k, n) };
}

export interface SVDResult {
  /** Left singular vectors, rows × k (k = min(rows, cols)), as columns. */
  U: number[][];
  /** Singular values, descending, length k. */
  S: number[];
  /** Right singular vectors, cols × k, as columns: m = U diag(S) Vᵀ. */
  V: number[][];
}

export interface SVDOptions {
  /** Compute U and V (default true); false returns empty arrays and is faster. */
  vectors?: boolean;
}

function mlSvd(a: MlMatrix, vectors: boolean): SingularValueDecomposition {
  // JAMA's SVD needs rows >= cols; handle wide matrices by transposing ourselves.
  return new SingularValueDecomposition(a, {
    computeLeftSingularVectors: vectors,
    computeRightSingularVectors: vectors,
    autoTranspose: false,
  });
}

/** Thin SVD in float64: S descending, U and V with orthonormal columns. */
export function svd(m: Matrix, opts: SVDOptions = {}): SVDResult {
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  for (const k of Object.keys(opts)) if (k !== "vectors") fail("opts", `unknown option "${k}" (known: vectors)`);
  const vectors = opts.vectors ?? true;
  const lib = lapack();
  if (lib) {
    const fast = nativeSvd(lib, toPacked(m, "m"), vectors);
    if (fast) return fast;
  }
  const a = toMl(m, "m");
  const wide = a.rows < a.columns;
  const d = mlSvd(wide ? a.transpose() : a, vectors);
  const k = Math.min(a.rows, a.columns);
  const S = d.diagonal.slice(0, k).map((s) => Math.max(0, s));
  if (!vectors) return { U: [], S, V: [] };
  const left = d.leftSingularVectors.subMatrix(0, d.leftSingularVectors.rows - 1, 0, k - 1).to2DArray();
  const right = d.rightSingularVectors.subMatrix(0, d.rightSingularVectors.rows - 1, 0, k - 1).to2DArray();
  return wide ? { U: right, S, V: left } : { U: left, S, V: right };
}

/** Singular values only, descending. */
export function singularValues(m: Matrix): number[] {
  return svd(m, { vectors: false }).S;
}

export interface EighResult {
  /** Eigenvalues in ascending order (as numpy.linalg.eigh). */
  values: number[];
  /** Eigenvectors as columns: vectors[i][j] is component i of the j-th eigenvector. */
  vectors: number[][];
}

/** Symmetric eigendecomposition in float64; eigenvalues ascending, like numpy.linalg.eigh. */
export function eigh(m: Matrix, opts: { symmetryTol?: number } = {}): EighResult {
  for (const k of Object.keys(opts ?? {})) if (k !== "symmetryTol") fail("opts", `unknown option "${k}" (known: symmetryTol)`);
  const tol = opts.symmetryTol ?? 1e-8;
  const lib = lapack();
  if (lib) {
    const p = toPacked(m, "m");
    const n = p.rows;
    if (p.rows !== p.cols) fail("m", `must be square, got ${p.rows}×${p.cols}`);
    let hi = -Infinity;
    let lo = Infinity;
    for (let q = 0; q < p.d.length; q++) {
      if (p.d[q] > hi) hi = p.d[q];
      if (p.d[q] < lo) lo = p.d[q];
    }
    const scale = Math.max(1e-300, hi, -lo);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const x = p.d[i * n + j];
        const y = p.d[j * n + i];
        if (Math.abs(x - y) > tol * scale) fail("m", `must be symmetric: entry [${i}][${j}] = ${x} but [${j}][${i}] = ${y}`);
      }
    }
    try {
      const r = lib.eigh(p.d, n);
      // r.zt's row j is eigenvector j; dsyevd returns eigenvalues ascending.
      return { values: Array.from(r.w), vectors: unpackTransposed(r.zt, n, n) };
    } catch {
      // dsyevd did not converge: fall through to ml-matrix
    }
  }
  const a = toMl(m, "m");
  if (a.rows !== a.columns) fail("m", `must be square, got ${a.rows}×${a.columns}`);
  const scale = Math.max(1e-300, a.max(), -a.min());
  for (let i = 0; i < a.rows; i++) {
    for (let j = i + 1; j < a.columns; j++) {
      if (Math.abs(a.get(i, j) - a.get(j, i)) > tol * scale) {
        fail("m", `must be symmetric: entry [${i}][${j}] = ${a.get(i, j)} but [${j}][${i}] = ${a.get(j, i)}`);
      }
    }
  }
  const d = new EigenvalueDecomposition(a, { assumeSymmetric: true });
  const vals = d.realEigenvalues;
  const vecs = d.eigenvectorMatrix;
  // JAMA's tql2 already sorts ascending; sort defensively and permute vectors to match.
  const order = vals.map((_, i) => i).sort((x, y) => vals[x] - vals[y]);
  const values = order.map((i) => vals[i]);
  const vectors: number[][] = [];
  for (let r = 0; r < vecs.rows; r++) vectors.push(order.map((c) => vecs.get(r, c)));
  return { values, vectors };
}
