// Shared by the low-rank optimizer tests (GaLore family, GradNormLoRP): small float64 matrix
// algebra for hand-computed steps, independent of the library's linear algebra, and a fixture.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";

export type M = number[][];
export const T = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
export const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
export const norm = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

/** Top eigenvector of a symmetric PSD matrix by power iteration (independent of the library SVD). */
export function topEigvec(a: M): number[] {
  let x = a.map((_, i) => 1 + 0.1 * i);
  for (let it = 0; it < 2000; it++) {
    const y = a.map((r) => r.reduce((s, v, k) => s + v * x[k], 0));
    const n = norm(y);
    x = y.map((v) => v / n);
  }
  return x;
}

/** Asserts |a − b| < tol entry-wise; `what` names the matrix in failures. */
export const close = (a: M, b: M, tol: number, what: string) =>
  a.forEach((r, i) =>
    r.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) < tol, `${what}[${i}][${j}]: ${x} vs ${b[i][j]}`)),
  );

/** Asserts PᵀP = I entry-wise within `tol`: a projector's columns are orthonormal. */
export function assertOrthonormal(p: tf.Tensor2D, tol = 1e-5): void {
  const gram = tf.matMul(p, p, true, false).arraySync() as M;
  gram.forEach((r, i) =>
    r.forEach((x, j) => assert.ok(Math.abs(x - (i === j ? 1 : 0)) < tol, `PᵀP[${i}][${j}] = ${x}`)),
  );
}

/** A tall 4×3 gradient with distinct singular values (transpose it for the wide case). */
export const G_TALL: M = [
  [0.5, -1.2, 0.3],
  [2.0, 0.1, -0.7],
  [-0.4, 0.9, 1.5],
  [1.1, -0.3, 0.2],
];
