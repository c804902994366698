// Silhouette score (Rousseeuw 1987) with Euclidean distances: the mean over points of
// (b − a)/max(a, b), a = mean distance to its own cluster, b = to the nearest other cluster.
import { fail } from "../core/validate";

export function silhouette(X: number[][], labels: number[]): number {
  const n = X.length;
  if (n < 2) fail("X", "needs at least 2 rows");
  if (!Array.isArray(labels) || labels.length !== n) fail("labels", `must have one entry per row (${n})`);
  const ids = [...new Set(labels)];
  if (ids.length < 2) fail("labels", "need at least 2 clusters for a silhouette");
  const pos = new Map(ids.map((c, i) => [c, i]));
  const lab = labels.map((c) => pos.get(c) as number);
  const size = new Array<number>(ids.length).fill(0);
  for (const c of lab) size[c]++;
  const p = X[0].length;
  let total = 0;
  const sums = new Float64Array(ids.length);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const a = X[i];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const b = X[j];
      let s = 0;
      for (let t = 0; t < p; t++) {
        const u = a[t] - b[t];
        s += u * u;
      }
      sums[lab[j]] += Math.sqrt(s);
    }
    const own = lab[i];
    // A point alone in its cluster scores 0 (the usual convention).
    if (size[own] === 1) continue;
    const ai = sums[own] / (size[own] - 1);
    let bi = Infinity;
    for (let c = 0; c < ids.length; c++) if (c !== own && size[c] > 0) bi = Math.min(bi, sums[c] / size[c]);
    total += (bi - ai) / Math.max(ai, bi);
  }
  return total / n;
}
