// Dissimilarity matrices: validation into a flat float64 buffer (the k-medoids kernels read it
// row-major), Euclidean distances of row vectors, and assignment of points to given medoids.
import { fail } from "../core/validate";

/** A validated square dissimilarity matrix, row-major in one Float64Array. */
export interface FlatDissimilarity {
  n: number;
  d: Float64Array;
}

/** Checks a square matrix of finite, non-negative numbers and copies it into a flat buffer. */
export function flattenDissimilarity(dissimilarity: number[][], arg = "dissimilarity"): FlatDissimilarity {
  if (!Array.isArray(dissimilarity)) fail(arg, "must be an array of rows (a square matrix)");
  const n = dissimilarity.length;
  if (n === 0) fail(arg, "is empty");
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = dissimilarity[i];
    if (row == null || typeof row.length !== "number") fail(`${arg}[${i}]`, "must be an array of numbers");
    if (row.length !== n) fail(`${arg}[${i}]`, `has ${row.length} entries; a square matrix needs ${n}`);
    for (let j = 0; j < n; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
        fail(`${arg}[${i}][${j}]`, `is ${String(v)}; expected a finite number ≥ 0`);
      d[i * n + j] = v;
    }
  }
  return { n, d };
}

/** Euclidean distances between the rows of X (n×p), as an n×n matrix. */
export function euclideanDistances(X: number[][]): number[][] {
  if (!Array.isArray(X) || X.length === 0) fail("X", "must be a non-empty array of rows");
  const p = X[0]?.length;
  X.forEach((r, i) => {
    if (r == null || r.length !== p) fail(`X[${i}]`, `has ${r?.length} entries; expected ${p} like row 0`);
    for (let j = 0; j < p; j++)
      if (!Number.isFinite(r[j])) fail(`X[${i}][${j}]`, `is ${String(r[j])}; expected a finite number`);
  });
  const n = X.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const a = X[i];
    for (let j = i + 1; j < n; j++) {
      const b = X[j];
      let s = 0;
      for (let t = 0; t < p; t++) {
        const u = a[t] - b[t];
        s += u * u;
      }
      out[i][j] = out[j][i] = Math.sqrt(s);
    }
  }
  return out;
}

/** Assigns each point to its nearest medoid (first in medoid order on ties); loss = Σ distances. */
export function assignToMedoids(dissimilarity: number[][], medoids: number[]): { labels: number[]; loss: number } {
  const { n, d } = flattenDissimilarity(dissimilarity);
  checkMedoids(medoids, n, "medoids");
  return assignFlat(d, n, medoids);
}

export function assignFlat(d: Float64Array, n: number, medoids: number[]): { labels: number[]; loss: number } {
  const labels = new Array<number>(n);
  let loss = 0;
  for (let o = 0; o < n; o++) {
    let best = 0;
    let bd = d[o * n + medoids[0]];
    for (let m = 1; m < medoids.length; m++) {
      const v = d[o * n + medoids[m]];
      if (v < bd) {
        bd = v;
        best = m;
      }
    }
    labels[o] = best;
    loss += bd;
  }
  return { labels, loss };
}

/** Medoid indices must be distinct integers in [0, n). */
export function checkMedoids(medoids: number[], n: number, arg: string): void {
  if (!Array.isArray(medoids) || medoids.length === 0) fail(arg, "must be a non-empty array of point indices");
  const seen = new Set<number>();
  medoids.forEach((m, i) => {
    if (!Number.isInteger(m) || m < 0 || m >= n) fail(`${arg}[${i}]`, `is ${m}; expected an integer in [0, ${n})`);
    if (seen.has(m)) fail(`${arg}[${i}]`, `repeats point ${m}; medoids must be distinct`);
    seen.add(m);
  });
}
