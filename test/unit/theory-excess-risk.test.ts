// Exact excess risk under the Gaussian factor model: the Bayes weights against the push-through
// form B(BᵀB + σ²I)⁻¹β (one factor: bβ/(‖b‖² + σ²)) and against the normal equations Σw* = Bβ,
// and (w − w*)ᵀΣ(w − w*) against a Monte Carlo estimate over x = Bz + e; the pretraining
// paper's ridge (with its leave-one-out shortcut) and PCA-OLS fitters against brute force.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import { factorBayesWeights, factorCovariance, linearExcessRisk } from "../../src/metrics/excess-risk";
import { pcaOls, ridgeFamily } from "../../src/papers/pretraining-advantage/run";

test("one factor: w* = bβ / (‖b‖² + σ²)", () => {
  const b = [1, 2, -2];
  const w = factorBayesWeights(
    b.map((v) => [v]),
    [3],
    0.5,
  );
  w.forEach((v, i) => assert.ok(Math.abs(v - (b[i] * 3) / (9 + 0.5)) < 1e-12, `${v}`));
});

test("w* solves the normal equations Σ w* = Bβ (the risk's gradient vanishes there)", () => {
  const rng = new Rng(4);
  const B = Array.from({ length: 7 }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const beta = [0.5, -1, 2];
  const w = factorBayesWeights(B, beta, 1);
  const Sigma = factorCovariance(B, 1);
  Sigma.forEach((row, i) => {
    const lhs = row.reduce((s, v, j) => s + v * w[j], 0);
    const rhs = B[i].reduce((s, v, k) => s + v * beta[k], 0);
    assert.ok(Math.abs(lhs - rhs) < 1e-10, `row ${i}: ${lhs} vs ${rhs}`);
  });
});

test("(w − w*)ᵀΣ(w − w*) matches a Monte Carlo average of (wᵀx − w*ᵀx)² over x = Bz + e", () => {
  const rng = new Rng(8);
  const B = Array.from({ length: 5 }, () => [rng.normal(), rng.normal()]);
  const wStar = factorBayesWeights(B, [1, -1], 1);
  const w = wStar.map((v) => v + rng.normal() * 0.3);
  const exact = linearExcessRisk(w, wStar, factorCovariance(B, 1));
  let mc = 0;
  const N = 200000;
  for (let t = 0; t < N; t++) {
    const z = [rng.normal(), rng.normal()];
    let d = 0;
    B.forEach((row, i) => (d += (w[i] - wStar[i]) * (row[0] * z[0] + row[1] * z[1] + rng.normal())));
    mc += d * d;
  }
  mc /= N;
  assert.ok(Math.abs(mc / exact - 1) < 0.02, `${mc} vs ${exact}`);
  assert.equal(linearExcessRisk(wStar, wStar, factorCovariance(B, 1)), 0);
});

test("bad input is named", () => {
  assert.throws(() => factorBayesWeights([[1], [2]], [1, 2]), /beta: has 2 entries; B has 1 factors/);
  assert.throws(() => factorCovariance([[1]], 0), /noiseVar: must be > 0/);
  assert.throws(
    () =>
      linearExcessRisk(
        [1],
        [1, 2],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    /w: has 1 entries/,
  );
});

// The pretraining paper's two fitters (paper glue, checked here against brute force).

function solve(A: number[][], b: number[]): number[] {
  // Gaussian elimination with partial pivoting (small systems only).
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / M[i][i]);
}

test("ridge weights solve (XᵀX + αI)w = Xᵀy, and the LOOCV shortcut equals refitting without each point", () => {
  const rng = new Rng(6);
  const X = Array.from({ length: 12 }, () => Array.from({ length: 4 }, () => rng.normal()));
  const y = X.map((x) => x[0] - 2 * x[2] + 0.3 * rng.normal());
  const fam = ridgeFamily(X, y);
  const normal = (Xs: number[][], ys: number[], a: number) =>
    solve(
      Array.from({ length: 4 }, (_, i) =>
        Array.from({ length: 4 }, (_, j) => Xs.reduce((s, x) => s + x[i] * x[j], 0) + (i === j ? a : 0)),
      ),
      Array.from({ length: 4 }, (_, i) => Xs.reduce((s, x, k) => s + x[i] * ys[k], 0)),
    );
  for (const a of [0.1, 3]) {
    const w = fam.weights(a);
    normal(X, y, a).forEach((v, i) => assert.ok(Math.abs(v - w[i]) < 1e-10));
    let brute = 0;
    X.forEach((x, k) => {
      const wk = normal(
        X.filter((_, i) => i !== k),
        y.filter((_, i) => i !== k),
        a,
      );
      brute += (y[k] - x.reduce((s, v, i) => s + v * wk[i], 0)) ** 2;
    });
    assert.ok(Math.abs(fam.loocv(a) - brute / X.length) < 1e-10, `α ${a}: ${fam.loocv(a)} vs ${brute / X.length}`);
  }
});

test("pcaOls is OLS of y on the features uᵀx, mapped back to x", () => {
  const rng = new Rng(7);
  const dirs = [
    [1, 0, 0],
    [0, Math.SQRT1_2, Math.SQRT1_2],
  ];
  const X = Array.from({ length: 9 }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const y = X.map(() => rng.normal());
  const F = X.map((x) => dirs.map((u) => u.reduce((s, v, i) => s + v * x[i], 0)));
  const theta = solve(
    [0, 1].map((a) => [0, 1].map((b) => F.reduce((s, f) => s + f[a] * f[b], 0))),
    [0, 1].map((a) => F.reduce((s, f, i) => s + f[a] * y[i], 0)),
  );
  const w = pcaOls(dirs, X, y);
  [0, 1, 2].forEach((i) => {
    const expected = dirs[0][i] * theta[0] + dirs[1][i] * theta[1];
    assert.ok(Math.abs(w[i] - expected) < 1e-12, `${w[i]} vs ${expected}`);
  });
});
