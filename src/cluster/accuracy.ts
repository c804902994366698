// Clustering accuracy: the best one-to-one matching of predicted clusters to classes
// (Hungarian algorithm on the contingency table). Works when the number of clusters differs
// from the number of classes: unmatched clusters count as errors.
import { fail } from "../core/validate";

/** Minimum-cost assignment of rows to columns of an r×c cost matrix (r ≤ c); returns the column of each row. */
export function hungarian(cost: number[][]): number[] {
  const r = cost.length;
  const c = r ? cost[0].length : 0;
  if (r > c) fail("cost", `has ${r} rows and ${c} columns; needs rows ≤ columns (transpose it)`);
  // Potentials formulation (e-maxx), 1-based.
  const u = new Array<number>(r + 1).fill(0);
  const v = new Array<number>(c + 1).fill(0);
  const p = new Array<number>(c + 1).fill(0);
  const way = new Array<number>(c + 1).fill(0);
  for (let i = 1; i <= r; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(c + 1).fill(Infinity);
    const used = new Array<boolean>(c + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= c; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= c; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const out = new Array<number>(r).fill(-1);
  for (let j = 1; j <= c; j++) if (p[j]) out[p[j] - 1] = j - 1;
  return out;
}

/** Fraction of points whose cluster maps to their class under the best one-to-one matching. */
export function clusteringAccuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length !== predicted.length)
    fail("predicted", `has ${predicted.length} entries; expected ${truth.length} like truth`);
  if (truth.length === 0) fail("truth", "is empty");
  const classes = [...new Set(Array.from(truth))];
  const clusters = [...new Set(Array.from(predicted))];
  const ci = new Map(classes.map((x, i) => [x, i]));
  const ki = new Map(clusters.map((x, i) => [x, i]));
  const table = clusters.map(() => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < truth.length; i++) table[ki.get(predicted[i]) as number][ci.get(truth[i]) as number]++;
  const rowsAreClusters = clusters.length <= classes.length;
  const cost = rowsAreClusters
    ? table.map((r) => r.map((x) => -x))
    : classes.map((_, j) => clusters.map((_, i) => -table[i][j]));
  const match = hungarian(cost);
  let hit = 0;
  match.forEach((col, row) => {
    if (col >= 0) hit += rowsAreClusters ? table[row][col] : table[col][row];
  });
  return hit / truth.length;
}
