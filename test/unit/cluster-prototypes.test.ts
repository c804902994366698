// TEEN prototype calibration on hand-made prototypes (closed forms), cosine prediction, class
// means; spectral clustering and the silhouette on separated toy data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import { silhouette, spectralClustering, clusteringAccuracy } from "../../src/cluster";
import { classPrototypes, cosinePredict, teenCalibrate } from "../../src/nn/prototypes";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test("TEEN calibration matches the closed form on orthonormal base prototypes", () => {
  // Base prototypes e1, e2 (scaled: they are normalised first); new prototype p = (e1 + e3)/√2 · 3.
  const base = [
    [2, 0, 0],
    [0, 5, 0],
  ];
  const p = [3 / Math.SQRT2, 0, 3 / Math.SQRT2];
  for (const [alpha, tau] of [
    [0.5, 16],
    [0.1, 4],
    [1, 1],
  ]) {
    const [out] = teenCalibrate([p], base, { alpha, tau });
    // w = softmax(τ/√2, 0); Δ = normalize(w1 e1 + w2 e2); p̂ = (1 − α) p̄ + α Δ.
    const w1 = 1 / (1 + Math.exp(-tau / Math.SQRT2));
    const w2 = 1 - w1;
    const nrm = Math.hypot(w1, w2);
    const expected = [(1 - alpha) / Math.SQRT2 + (alpha * w1) / nrm, (alpha * w2) / nrm, (1 - alpha) / Math.SQRT2];
    expected.forEach((v, i) => close(out[i], v));
  }
  // α = 0 returns the normalised prototype unchanged.
  const [same] = teenCalibrate([p], base, { alpha: 0 });
  [1 / Math.SQRT2, 0, 1 / Math.SQRT2].forEach((v, i) => close(same[i], v));
  assert.throws(() => teenCalibrate([p], base, { alpha: 2 }), /opts.alpha: /);
  assert.throws(() => teenCalibrate([[1, 2]], base), /newPrototypes\[0\]: /);
});

test("class prototypes are class means; cosine prediction picks the most similar prototype", () => {
  const P = classPrototypes(
    [
      [1, 0],
      [3, 0],
      [0, 2],
    ],
    [0, 0, 1],
    2,
  );
  assert.deepEqual(P, [
    [2, 0],
    [0, 2],
  ]);
  assert.deepEqual(
    cosinePredict(
      [
        [1, 0.2],
        [-0.1, 3],
      ],
      P,
    ),
    [0, 1],
  );
  assert.throws(() => classPrototypes([[1, 0]], [0], 2), /class 1 has no rows/);
});

test("spectral clustering recovers block-diagonal affinities; silhouette orders good over bad labels", () => {
  const r = new Rng(2);
  const n = 60;
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const A = y.map((a) => y.map((b) => (a === b ? 1 : 0.05) + 0.01 * r.next()));
  const Asym = A.map((row, i) => row.map((v, j) => (v + A[j][i]) / 2));
  assert.equal(clusteringAccuracy(y, spectralClustering(Asym, 3, { seed: 1 })), 1);
  const X = y.map((c) => [10 * c + r.normal(), r.normal()]);
  const good = silhouette(X, y);
  const bad = silhouette(
    X,
    y.map((_, i) => i % 2),
  );
  assert.ok(good > 0.8 && bad < 0.2, `${good} vs ${bad}`);
  // Two points per cluster: a = 1 for every point; b = mean distance to the other pair (10.5 or 9.5).
  const s = silhouette(
    [
      [0, 0],
      [1, 0],
      [10, 0],
      [11, 0],
    ],
    [0, 0, 1, 1],
  );
  const expect = (2 * (1 - 1 / 10.5) + 2 * (1 - 1 / 9.5)) / 4;
  close(s, expect);
});
