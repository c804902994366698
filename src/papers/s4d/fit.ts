// The S4D kernel-fit experiment (float64): with the diagonal A fixed by an init and Δ chosen
// on a grid, fit C by least squares so the SSM kernel matches a target (a Gaussian bump far
// from lag 0) and report the relative residual. It measures what a set of eigenvalues can
// express: the basis e^{lΔA_n} is fixed, only the mixing weights are free.
import { svd } from "../../linalg/decompose";
import { CVector } from "../../linalg/complex";
import { Discretization, discretizeDiag } from "../../nn/ssm-init";

/** Target kernel: exp(−(l − lag)² / 2σ²), l < L. */
export function gaussianBump(L: number, lag: number, width: number): number[] {
  return Array.from({ length: L }, (_, l) => Math.exp(-((l - lag) ** 2) / (2 * width * width)));
}

/**
 * Columns 2Re(B̄_n Ā_n^l) and −2Im(B̄_n Ā_n^l) (B = 1): K = M·[Re C; Im C] is the kernel
 * 2·Re Σ C_n B̄_n Ā_n^l.
 */
export function kernelBasis(A: CVector, dt: number, L: number, method: Discretization): number[][] {
  const { Abar, Bfac } = discretizeDiag(A, dt, method);
  const n = A.re.length;
  const M = Array.from({ length: L }, () => new Array<number>(2 * n).fill(0));
  for (let j = 0; j < n; j++) {
    const logMag = Math.log(Math.hypot(Abar.re[j], Abar.im[j]));
    const arg = Math.atan2(Abar.im[j], Abar.re[j]);
    for (let l = 0; l < L; l++) {
      const m = Math.exp(l * logMag);
      const pr = m * Math.cos(l * arg);
      const pi = m * Math.sin(l * arg);
      M[l][2 * j] = 2 * (Bfac.re[j] * pr - Bfac.im[j] * pi);
      M[l][2 * j + 1] = -2 * (Bfac.re[j] * pi + Bfac.im[j] * pr);
    }
  }
  return M;
}

/** Least-squares fit of y in the range of M (SVD, singular values above 1e-12·σ₁): fitted values and ‖y − fit‖/‖y‖. */
export function leastSquaresFit(M: number[][], y: number[]): { fit: number[]; residual: number } {
  const { U, S } = svd(M);
  const keep = S.filter((s) => s > 1e-12 * S[0]).length;
  const fit = new Array<number>(y.length).fill(0);
  for (let k = 0; k < keep; k++) {
    let c = 0;
    for (let l = 0; l < y.length; l++) c += U[l][k] * y[l];
    for (let l = 0; l < y.length; l++) fit[l] += c * U[l][k];
  }
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return { fit, residual: norm(y.map((v, l) => v - fit[l])) / norm(y) };
}

export const relativeResidual = (M: number[][], y: number[]): number => leastSquaresFit(M, y).residual;

export interface FitRow {
  dt: number;
  residual: number;
}

/** Residual of the best least-squares fit at each Δ of the grid; the best Δ and its residual. */
export function fitOverDt(
  A: CVector,
  target: number[],
  dtGrid: number[],
  method: Discretization,
): { rows: FitRow[]; bestDt: number; best: number } {
  const rows = dtGrid.map((dt) => {
    const M = kernelBasis(A, dt, target.length, method);
    // A basis that has under- or overflowed carries no information at that Δ.
    const ok = M.every((row) => row.every(Number.isFinite));
    return { dt, residual: ok ? relativeResidual(M, target) : 1 };
  });
  const b = rows.reduce((p, r) => (r.residual < p.residual ? r : p), rows[0]);
  return { rows, bestDt: b.dt, best: b.residual };
}
