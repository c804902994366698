// Complex float64 linear algebra by hand on plain arrays (real and imaginary parts kept
// apart): a pivoted solve, the eigendecomposition of a real non-symmetric matrix with its
// eigenvector matrix made complex, and the eigenvector condition number. Sizes here are
// state dimensions (≤ a few hundred), so O(n³) loops in JS are fine.
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { fail } from "../core/validate";
import { svd } from "./decompose";

/** A complex vector as two real arrays of equal length. */
export interface CVector {
  re: number[];
  im: number[];
}

/** A complex matrix as two real row-major matrices of equal shape. */
export interface CMatrix {
  re: number[][];
  im: number[][];
}

function checkSquare(arg: string, m: number[][]): number {
  if (!Array.isArray(m) || m.length === 0) fail(arg, "must be a non-empty square matrix (number[][])");
  const n = m.length;
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) fail(arg, `row ${i} has length ${row?.length}; expected ${n}`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) fail(arg, `entry [${i}][${j}] is ${v}; expected a finite number`);
    });
  });
  return n;
}

/** Checks a complex vector's parts (finite, equal length n when given). */
export function checkCVector(arg: string, v: CVector, n?: number): void {
  if (!v || !Array.isArray(v.re) || !Array.isArray(v.im)) fail(arg, "must be { re: number[], im: number[] }");
  if (v.re.length !== v.im.length) fail(arg, `re has length ${v.re.length} but im has ${v.im.length}`);
  if (n !== undefined && v.re.length !== n) fail(arg, `has length ${v.re.length}; expected ${n}`);
  for (let i = 0; i < v.re.length; i++)
    if (!Number.isFinite(v.re[i]) || !Number.isFinite(v.im[i])) fail(arg, `entry ${i} is not finite`);
}

/**
 * Solves M x = b for complex M (n×n) and complex b by Gaussian elimination with partial
 * pivoting on |M_ij|. Throws when M is singular to working precision.
 */
export function complexSolve(m: CMatrix, b: CVector): CVector {
  const n = checkSquare("m.re", m?.re);
  if (checkSquare("m.im", m.im) !== n) fail("m.im", `must be ${n}×${n} like m.re`);
  checkCVector("b", b, n);
  const ar = m.re.map((r) => Float64Array.from(r));
  const ai = m.im.map((r) => Float64Array.from(r));
  const xr = Float64Array.from(b.re);
  const xi = Float64Array.from(b.im);
  for (let j = 0; j < n; j++) {
    let p = j;
    let best = -1;
    for (let i = j; i < n; i++) {
      const v = ar[i][j] * ar[i][j] + ai[i][j] * ai[i][j];
      if (v > best) [best, p] = [v, i];
    }
    if (!(best > 0)) fail("m", `is singular (no pivot in column ${j})`);
    if (p !== j) {
      [ar[p], ar[j]] = [ar[j], ar[p]];
      [ai[p], ai[j]] = [ai[j], ai[p]];
      [xr[p], xr[j]] = [xr[j], xr[p]];
      [xi[p], xi[j]] = [xi[j], xi[p]];
    }
    const pr = ar[j][j];
    const pi = ai[j][j];
    for (let i = j + 1; i < n; i++) {
      // f = M_ij / M_jj
      const fr = (ar[i][j] * pr + ai[i][j] * pi) / best;
      const fi = (ai[i][j] * pr - ar[i][j] * pi) / best;
      if (fr === 0 && fi === 0) continue;
      const rr = ar[i];
      const ri = ai[i];
      const jr = ar[j];
      const ji = ai[j];
      for (let c = j; c < n; c++) {
        rr[c] -= fr * jr[c] - fi * ji[c];
        ri[c] -= fr * ji[c] + fi * jr[c];
      }
      xr[i] -= fr * xr[j] - fi * xi[j];
      xi[i] -= fr * xi[j] + fi * xr[j];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let sr = xr[i];
    let si = xi[i];
    for (let c = i + 1; c < n; c++) {
      sr -= ar[i][c] * xr[c] - ai[i][c] * xi[c];
      si -= ar[i][c] * xi[c] + ai[i][c] * xr[c];
    }
    const d = ar[i][i] * ar[i][i] + ai[i][i] * ai[i][i];
    xr[i] = (sr * ar[i][i] + si * ai[i][i]) / d;
    xi[i] = (si * ar[i][i] - sr * ai[i][i]) / d;
  }
  return { re: Array.from(xr), im: Array.from(xi) };
}

/** y = M x for complex M and x. */
export function complexMatVec(m: CMatrix, x: CVector): CVector {
  const re = m.re.map((row, i) => row.reduce((s, v, c) => s + v * x.re[c] - m.im[i][c] * x.im[c], 0));
  const im = m.re.map((row, i) => row.reduce((s, v, c) => s + v * x.im[c] + m.im[i][c] * x.re[c], 0));
  return { re, im };
}

export interface ComplexEig {
  /** Eigenvalues λ_j. */
  values: CVector;
  /** Eigenvectors as unit-norm columns: A V = V diag(λ). */
  vectors: CMatrix;
}

/**
 * Eigendecomposition of a real non-symmetric matrix in float64 (ml-matrix's Hessenberg-QR,
 * a JAMA port). JAMA stores a conjugate pair's vector as two real columns; they are turned
 * into complex columns here and each column is scaled to unit 2-norm.
 */
export function eigReal(a: number[][]): ComplexEig {
  const n = checkSquare("a", a);
  const e = new EigenvalueDecomposition(new MlMatrix(a), { assumeSymmetric: false });
  const wr = e.realEigenvalues;
  const wi = e.imaginaryEigenvalues;
  const V = e.eigenvectorMatrix.to2DArray();
  const re = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const im = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    if (wi[j] === 0) {
      for (let i = 0; i < n; i++) re[i][j] = V[i][j];
    } else if (wi[j] > 0 && j + 1 < n) {
      // Columns j, j+1 hold x and y with A(x + iy) = (wr + i·wi)(x + iy); the conjugate follows.
      for (let i = 0; i < n; i++) {
        re[i][j] = V[i][j];
        im[i][j] = V[i][j + 1];
        re[i][j + 1] = V[i][j];
        im[i][j + 1] = -V[i][j + 1];
      }
      j++;
    }
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += re[i][j] * re[i][j] + im[i][j] * im[i][j];
    const k = s > 0 ? 1 / Math.sqrt(s) : 1;
    for (let i = 0; i < n; i++) {
      re[i][j] *= k;
      im[i][j] *= k;
    }
  }
  return { values: { re: Array.from(wr), im: Array.from(wi) }, vectors: { re, im } };
}

/** Singular values of a complex matrix (descending), from its real 2n×2n embedding [[X, −Y], [Y, X]]. */
export function complexSingularValues(m: CMatrix): number[] {
  const n = checkSquare("m.re", m?.re);
  if (checkSquare("m.im", m.im) !== n) fail("m.im", `must be ${n}×${n} like m.re`);
  const big = Array.from({ length: 2 * n }, (_, i) =>
    Array.from({ length: 2 * n }, (_, j) => {
      const r = i % n;
      const c = j % n;
      const top = i < n;
      const left = j < n;
      if (top === left) return m.re[r][c];
      return top ? -m.im[r][c] : m.im[r][c];
    }),
  );
  // Each singular value of X + iY appears twice in the embedding.
  return svd(big, { vectors: false }).S.filter((_, k) => k % 2 === 0);
}

/** 2-norm condition number σ_max/σ_min of a complex matrix (Infinity when singular). */
export function complexConditionNumber(m: CMatrix): number {
  const s = complexSingularValues(m);
  const lo = s[s.length - 1];
  return lo > 0 ? s[0] / lo : Infinity;
}
