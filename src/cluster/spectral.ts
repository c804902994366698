// Spectral clustering of a non-negative symmetric affinity matrix (Ng, Jordan & Weiss): the top k
// eigenvectors of D^-½ A D^-½ by seeded orthogonal iteration, rows normalised, then k-means.
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { kMeans } from "./kmeans";

export interface SpectralOptions {
  /** Orthogonal-iteration steps (default 200). */
  iters?: number;
  seed?: number;
}

/** Orthonormalises the columns of V (n×k, row-major arrays) in place by modified Gram–Schmidt. */
function orthonormalize(V: Float64Array[], k: number): void {
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      let s = 0;
      for (let i = 0; i < V[a].length; i++) s += V[a][i] * V[b][i];
      for (let i = 0; i < V[a].length; i++) V[a][i] -= s * V[b][i];
    }
    let nrm = 0;
    for (let i = 0; i < V[a].length; i++) nrm += V[a][i] * V[a][i];
    nrm = Math.sqrt(nrm) || 1;
    for (let i = 0; i < V[a].length; i++) V[a][i] /= nrm;
  }
}

/** Cluster labels from an n×n affinity (symmetric, ≥ 0). */
export function spectralClustering(affinity: number[][], k: number, opts: SpectralOptions = {}): number[] {
  assertKnownOptions("opts", opts, ["iters", "seed"]);
  const n = affinity.length;
  if (!Array.isArray(affinity) || n === 0) fail("affinity", "must be a non-empty square matrix");
  affinity.forEach((r, i) => {
    if (r == null || r.length !== n) fail(`affinity[${i}]`, `has ${r?.length} entries; expected ${n}`);
    for (let j = 0; j < n; j++)
      if (!(r[j] >= 0) || !Number.isFinite(r[j]))
        fail(`affinity[${i}][${j}]`, `is ${r[j]}; expected a finite number ≥ 0`);
  });
  if (!Number.isInteger(k) || k < 1 || k > n) fail("k", `must be an integer in [1, ${n}], got ${k}`);
  const deg = affinity.map((r) => r.reduce((s, v) => s + v, 0));
  const isq = deg.map((v) => (v > 0 ? 1 / Math.sqrt(v) : 0));
  // (I + D^-½ A D^-½)/2 has the same eigenvectors and eigenvalues in [0, 1], so iteration finds the top k.
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) M[i * n + j] = 0.5 * (isq[i] * affinity[i][j] * isq[j] + (i === j ? 1 : 0));
  const rng = new Rng(opts.seed ?? 0);
  let V = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => rng.normal()));
  orthonormalize(V, k);
  for (let it = 0; it < (opts.iters ?? 200); it++) {
    const W = V.map((v) => {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * n;
        for (let j = 0; j < n; j++) s += M[o + j] * v[j];
        w[i] = s;
      }
      return w;
    });
    orthonormalize(W, k);
    V = W;
  }
  const rows = Array.from({ length: n }, (_, i) => {
    const r = V.map((v) => v[i]);
    const nrm = Math.sqrt(r.reduce((s, x) => s + x * x, 0)) || 1;
    return r.map((x) => x / nrm);
  });
  return kMeans(rows, k, { seed: opts.seed ?? 0, restarts: 10 }).labels;
}
