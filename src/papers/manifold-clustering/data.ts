// Synthetic union of curved manifolds: k noisy 2-D surfaces in R^p, each a random quadratic map
// of t ∈ [−1, 1]². The quadratic terms are centred (t₁² − 1/3, t₁t₂, t₂² − 1/3), so every
// manifold has mean zero: the clusters share one centroid and k-means on raw x has nothing to find.
import { Rng } from "../../core/random";

export interface ManifoldData {
  x: number[][];
  y: number[];
}

export function curvedManifolds(
  perClass: number,
  k: number,
  p: number,
  curvature: number,
  noise: number,
  seedValue: number,
): ManifoldData {
  const r = new Rng(seedValue);
  const maps = Array.from({ length: k }, () =>
    Array.from({ length: p }, () =>
      Array.from({ length: 5 }, (_, j) => (r.normal() / Math.sqrt(p)) * (j < 2 ? 1 : curvature)),
    ),
  );
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < perClass * k; i++) {
    const c = i % k;
    const t1 = 2 * r.next() - 1;
    const t2 = 2 * r.next() - 1;
    const phi = [t1, t2, t1 * t1 - 1 / 3, t1 * t2, t2 * t2 - 1 / 3];
    x.push(maps[c].map((row) => row.reduce((s, a, j) => s + a * phi[j], 0) + noise * r.normal()));
    y.push(c);
  }
  return { x, y };
}
