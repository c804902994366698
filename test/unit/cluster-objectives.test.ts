// Coding-rate objectives against closed forms on orthogonal inputs, Sinkhorn's doubly stochastic
// limit, k-means and NCD k-means on separated blobs, Hungarian clustering accuracy by brute force.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import {
  clusteringAccuracy,
  codingRate,
  compressedCodingRate,
  hungarian,
  kMeans,
  logdetSPD,
  rateReduction,
  sinkhorn,
} from "../../src/cluster";

const close = (a: number, b: number, tol = 1e-10) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);
const eye = (d: number) => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));

test("coding rate: closed forms on orthogonal inputs (n ≥ d and n < d paths)", () => {
  const eps = 0.5;
  for (const d of [3, 8]) {
    // Z = s·I (n = d): ZᵀZ = s²I, R = d/2 · log(1 + d·s²/(n ε²)).
    const s = 1.7;
    const Z = eye(d).map((r) => r.map((x) => s * x));
    close(codingRate(Z, eps), (d / 2) * Math.log(1 + (d * s * s) / (d * eps * eps)));
    // Each basis vector twice, scaled 1/√2: ZᵀZ = I, n = 2d.
    const Z2 = [...eye(d), ...eye(d)].map((r) => r.map((x) => x / Math.SQRT2));
    close(codingRate(Z2, eps), (d / 2) * Math.log(1 + d / (2 * d * eps * eps)));
  }
  // n = 2 orthonormal rows in d = 5: the n×n twin is used; logdet = 2·log(1 + d/(n ε²)).
  const Z = [
    [0.6, 0.8, 0, 0, 0],
    [0, 0, 0, 1, 0],
  ];
  close(codingRate(Z, 0.3), Math.log(1 + 5 / (2 * 0.09)));
});

test("compressed rate and rate reduction: clusters on orthogonal axes", () => {
  const d = 4;
  const eps = 0.7;
  const counts = [3, 5, 2, 6];
  const Z: number[][] = [];
  const hard: number[][] = [];
  counts.forEach((m, j) => {
    for (let t = 0; t < m; t++) {
      Z.push(eye(d)[j]);
      hard.push(eye(d)[j]);
    }
  });
  const n = Z.length;
  // Each cluster's rows are one unit vector: its term is n_j/(2n) · log(1 + d/ε²).
  close(compressedCodingRate(Z, hard, eps), 0.5 * Math.log(1 + d / (eps * eps)));
  const R = 0.5 * counts.reduce((s, m) => s + Math.log(1 + (d * m) / (n * eps * eps)), 0);
  close(codingRate(Z, eps), R);
  close(rateReduction(Z, hard, eps), R - 0.5 * Math.log(1 + d / (eps * eps)));
  // One cluster holding everything compresses nothing: ΔR = 0.
  close(
    rateReduction(
      Z,
      Z.map(() => [1]),
      eps,
    ),
    0,
  );
  // MLC's doubly stochastic form: Γ = I (each point its own "cluster"), tr = 1 per column.
  const gam = eye(n);
  close(compressedCodingRate(Z, gam, eps), (1 / (2 * n)) * n * Math.log(1 + d / (eps * eps)));
});

test("logdetSPD matches a 2×2 determinant and rejects indefinite matrices", () => {
  close(
    logdetSPD([
      [4, 1],
      [1, 3],
    ]),
    Math.log(11),
  );
  assert.throws(
    () =>
      logdetSPD([
        [1, 2],
        [2, 1],
      ]),
    /not positive definite/,
  );
});

test("sinkhorn: unit row and column sums, symmetric for symmetric logits, 2×2 closed form", () => {
  const r = new Rng(3);
  const n = 7;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i][j] = A[j][i] = 3 * r.normal();
  const G = sinkhorn(A, { iters: 200 });
  for (let i = 0; i < n; i++) {
    close(
      G[i].reduce((s, x) => s + x, 0),
      1,
      1e-9,
    );
    close(
      G.reduce((s, row) => s + row[i], 0),
      1,
      1e-9,
    );
    for (let j = 0; j < n; j++) close(G[i][j], G[j][i], 1e-9);
  }
  const a = 2;
  const b = -1;
  const g = sinkhorn(
    [
      [a, b],
      [b, a],
    ],
    { iters: 3 },
  );
  close(g[0][0], Math.exp(a) / (Math.exp(a) + Math.exp(b)));
  close(g[0][1], Math.exp(b) / (Math.exp(a) + Math.exp(b)));
});

test("hungarian and clustering accuracy agree with brute force over permutations", () => {
  const r = new Rng(5);
  const perms = (xs: number[]): number[][] =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
  for (let trial = 0; trial < 20; trial++) {
    const C = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Math.round(10 * r.next())));
    const m = hungarian(C);
    const cost = m.reduce((s, j, i) => s + C[i][j], 0);
    const best = Math.min(...perms([0, 1, 2, 3]).map((p) => p.reduce((s, j, i) => s + C[i][j], 0)));
    assert.equal(cost, best);
  }
  // Relabelled clusters are perfectly accurate; 3 clusters for 2 classes lose the smallest one.
  assert.equal(clusteringAccuracy([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]), 1);
  assert.equal(clusteringAccuracy([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1]), 5 / 6);
  assert.equal(clusteringAccuracy([0, 1, 2, 3], [0, 0, 1, 1]), 0.5);
});

test("k-means separates blobs; NCD k-means keeps fixed centroids", () => {
  const r = new Rng(8);
  const centers = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 90; i++) {
    X.push(centers[i % 3].map((c) => c + r.normal()));
    y.push(i % 3);
  }
  const km = kMeans(X, 3, { seed: 1 });
  assert.equal(clusteringAccuracy(y, km.labels), 1);
  const ncd = kMeans(X, 2, { seed: 1, fixed: [[0, 0]] });
  assert.deepEqual(ncd.centroids[0], [0, 0]);
  assert.equal(clusteringAccuracy(y, ncd.labels), 1);
  assert.throws(() => kMeans(X, 0), /k: /);
  assert.throws(() => codingRate([[1, NaN]], 1), /Z\[0\]\[1\]: /);
  assert.throws(() => codingRate([[1, 2]], 0), /eps: /);
  assert.throws(() => compressedCodingRate([[1, 2]], [[-1]], 1), /membership\[0\]\[0\]: /);
});
