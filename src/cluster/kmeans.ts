// Seeded k-means (Lloyd's iterations from k-means++ seeds, best of several restarts), with
// optional fixed centroids: "NCD k-means" keeps the known classes' centroids in place and moves
// only the new ones (Troisemaine et al.'s novel class discovery baseline).
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";

export interface KMeansOptions {
  /** Restarts; the lowest inertia wins (default 5). */
  restarts?: number;
  maxIter?: number;
  seed?: number;
  /** Centroids that stay fixed (their clusters come first in the labels). k counts only the moving ones. */
  fixed?: number[][];
}

export interface KMeansResult {
  centroids: number[][];
  labels: number[];
  /** Sum of squared distances to the assigned centroid. */
  inertia: number;
}

const sq = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let t = 0; t < a.length; t++) {
    const u = a[t] - b[t];
    s += u * u;
  }
  return s;
};

function once(X: number[][], k: number, fixed: number[][], maxIter: number, rng: Rng): KMeansResult {
  const n = X.length;
  const cents = fixed.map((c) => c.slice());
  // k-means++: the first free centroid uniformly when nothing is fixed, then ∝ squared distance.
  const dmin = new Float64Array(n).fill(Infinity);
  for (const c of cents) for (let i = 0; i < n; i++) dmin[i] = Math.min(dmin[i], sq(X[i], c));
  while (cents.length < fixed.length + k) {
    let pick: number;
    if (cents.length === 0) pick = rng.int(n);
    else {
      const tot = dmin.reduce((a, b) => a + b, 0);
      let u = rng.next() * tot;
      pick = 0;
      while (pick < n - 1 && (u -= dmin[pick]) > 0) pick++;
      if (tot === 0) pick = rng.int(n);
    }
    cents.push(X[pick].slice());
    for (let i = 0; i < n; i++) dmin[i] = Math.min(dmin[i], sq(X[i], X[pick]));
  }
  const labels = new Array<number>(n).fill(-1);
  let inertia = Infinity;
  for (let it = 0; it < maxIter; it++) {
    let changed = false;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let b = 0;
      let bd = Infinity;
      for (let c = 0; c < cents.length; c++) {
        const v = sq(X[i], cents[c]);
        if (v < bd) {
          bd = v;
          b = c;
        }
      }
      if (labels[i] !== b) changed = true;
      labels[i] = b;
      inertia += bd;
    }
    if (!changed) break;
    const p = X[0].length;
    for (let c = fixed.length; c < cents.length; c++) {
      const sum = new Array<number>(p).fill(0);
      let cnt = 0;
      for (let i = 0; i < n; i++)
        if (labels[i] === c) {
          cnt++;
          for (let t = 0; t < p; t++) sum[t] += X[i][t];
        }
      // An empty cluster keeps its centroid (it may win points back next round).
      if (cnt > 0) cents[c] = sum.map((s) => s / cnt);
    }
  }
  return { centroids: cents, labels, inertia };
}

/** k-means of the rows of X (n×p) into k clusters (plus any fixed centroids). */
export function kMeans(X: number[][], k: number, opts: KMeansOptions = {}): KMeansResult {
  assertKnownOptions("opts", opts, ["restarts", "maxIter", "seed", "fixed"]);
  if (!Array.isArray(X) || X.length === 0) fail("X", "must be a non-empty array of rows");
  const p = X[0]?.length;
  X.forEach((r, i) => {
    if (r == null || r.length !== p) fail(`X[${i}]`, `has ${r?.length} entries; expected ${p}`);
    for (let t = 0; t < p; t++)
      if (!Number.isFinite(r[t])) fail(`X[${i}][${t}]`, `is ${r[t]}; expected a finite number`);
  });
  const fixed = opts.fixed ?? [];
  fixed.forEach((c, i) => c.length !== p && fail(`opts.fixed[${i}]`, `has ${c.length} entries; expected ${p}`));
  if (!Number.isInteger(k) || k < 0 || k + fixed.length < 1 || k > X.length)
    fail("k", `must be an integer in [${fixed.length ? 0 : 1}, ${X.length}], got ${k}`);
  const restarts = opts.restarts ?? 5;
  if (!Number.isInteger(restarts) || restarts < 1) fail("opts.restarts", `must be a positive integer, got ${restarts}`);
  const rng = new Rng(opts.seed ?? 0);
  let best: KMeansResult | null = null;
  for (let r = 0; r < restarts; r++) {
    const res = once(X, k, fixed, opts.maxIter ?? 100, rng);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best as KMeansResult;
}
