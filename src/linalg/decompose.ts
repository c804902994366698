// Float64 decompositions: LAPACK (dgesdd / dsyevd through the optional native addon, see
// lapack.ts) when it is built, else ml-matrix (a JAMA port, ~50× slower at 768). Both paths
// return the same shapes and conventions; the benchmark suite measures them.
import { EigenvalueDecomposition, Matrix as MlMatrix, SingularValueDecomposition } from "ml-matrix";
import { fail } from "../core/validate";
import { Matrix, toMl } from "./convert";
import { lapack, LapackAddon, Packed, toPacked, unpackRows, unpackTransposed } from "./lapack";

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
  for (const k of Object.keys(opts ?? {}))
    if (k !== "symmetryTol") fail("opts", `unknown option "${k}" (known: symmetryTol)`);
  if (opts === null || (opts !== undefined && typeof opts !== "object")) fail("opts", "must be an options object");
  const tol = opts?.symmetryTol ?? 1e-8;
  if (typeof tol !== "number" || !(tol >= 0)) fail("opts.symmetryTol", `must be a number >= 0, got ${String(tol)}`);
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
        if (Math.abs(x - y) > tol * scale)
          fail("m", `must be symmetric: entry [${i}][${j}] = ${x} but [${j}][${i}] = ${y}`);
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
