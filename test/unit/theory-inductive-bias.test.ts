// Inductive-bias estimation: the incomplete gamma and non-central χ² log-CDFs against closed
// forms (exponential, χ²₂, and χ²₁(λ) = (Z + √λ)² by numerical integration of the normal
// density), the moment fit against the moments it must reproduce and against a Monte Carlo
// sample of a known law, the KS statistic, and the GP posterior against one-point closed forms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import { fitScaledNcx2, ksStatisticNcx2, logGammaP, ncx2LogCdf } from "../../src/metrics/ncx2";
import {
  inductiveBias,
  interpolatingGp,
  medianPairwiseDistance,
  rbfKernel,
  sampleTestErrors,
} from "../../src/metrics/inductive-bias";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test("ln P(1, x) = ln(1 − e^{−x}) on both branches, and the deep left tail ≈ a ln x − ln Γ(a+1)", () => {
  for (const x of [1e-8, 0.3, 1.9, 2.1, 7, 40]) close(logGammaP(1, x), Math.log(-Math.expm1(-x)), 1e-12, `x ${x}`);
  // P(a, x) = x^a/Γ(a+1) · (1 − a x/(a+1) + …): at x = 1e-6 the relative correction is ~1e-6.
  const a = 50;
  let lg = 0;
  for (let i = 2; i <= 50; i++) lg += Math.log(i);
  close(logGammaP(a, 1e-6), a * Math.log(1e-6) - lg, 1e-5, "tail");
  assert.equal(logGammaP(3, 0), -Infinity);
});

test("χ²₂ (λ = 0): F(x) = 1 − e^{−x/2}; scaling: F_s(x) = F(x/s)", () => {
  for (const x of [0.01, 1, 5, 30]) close(ncx2LogCdf(x, 2, 0), Math.log(-Math.expm1(-x / 2)), 1e-12, `x ${x}`);
  close(ncx2LogCdf(0.3, 5, 2, 0.1), ncx2LogCdf(3, 5, 2), 1e-12, "scale");
});

test("χ²₁(λ): F(x) = Φ(√x − √λ) − Φ(−√x − √λ), by Simpson integration of the normal density", () => {
  const phiInt = (a: number, b: number) => {
    const n = 2000;
    const h = (b - a) / n;
    let s = 0;
    for (let i = 0; i <= n; i++) {
      const t = a + i * h;
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      s += (w * Math.exp((-t * t) / 2)) / Math.sqrt(2 * Math.PI);
    }
    return (s * h) / 3;
  };
  for (const [x, lam] of [
    [0.5, 2],
    [3, 4],
    [10, 1],
    [0.2, 9],
  ]) {
    const ref = phiInt(-Math.sqrt(x) - Math.sqrt(lam), Math.sqrt(x) - Math.sqrt(lam));
    close(Math.exp(ncx2LogCdf(x, 1, lam)), ref, 1e-9, `x ${x}, λ ${lam}`);
  }
});

test("the moment fit reproduces mean, variance and third moment, and recovers a known law from a sample", () => {
  const rng = new Rng(5);
  // X = 0.1 · Σ_{i<5} (Z_i + μ_i)², Σμ² = λ = 3.
  const mus = [1, 1, 1, 0, 0];
  const xs = Float64Array.from({ length: 200000 }, () => 0.1 * mus.reduce((s, m) => s + (rng.normal() + m) ** 2, 0));
  const fit = fitScaledNcx2(xs);
  const n = xs.length;
  const mu = xs.reduce((s, v) => s + v, 0) / n;
  const m2 = xs.reduce((s, v) => s + (v - mu) ** 2, 0) / n;
  const m3 = xs.reduce((s, v) => s + (v - mu) ** 3, 0) / n;
  const { k, lambda: l, scale: s } = fit;
  assert.equal(fit.method, "moments");
  close(s * (k + l), mu, 1e-9 * mu, "mean");
  close(2 * s * s * (k + 2 * l), m2, 1e-9 * m2, "variance");
  close(8 * s ** 3 * (k + 3 * l), m3, 1e-9 * Math.abs(m3), "third moment");
  close(s, 0.1, 0.02, "scale");
  close(k, 5, 1.5, "k");
  close(l, 3, 1.5, "λ");
  assert.ok(ksStatisticNcx2(xs.subarray(0, 20000), fit) < 0.02);
  assert.ok(
    ksStatisticNcx2(xs.subarray(0, 20000), { ...fit, scale: 1.3 * fit.scale }) > 0.1,
    "a wrong law is rejected",
  );
});

test("inductiveBias is −ln F(ε) of the fit; the empirical value agrees where samples reach ε", () => {
  const rng = new Rng(9);
  const xs = Float64Array.from({ length: 50000 }, () => (rng.normal() + 1) ** 2 + rng.normal() ** 2);
  const est = inductiveBias(xs, 0.5);
  close(est.nats, -ncx2LogCdf(0.5, est.fit.k, est.fit.lambda, est.fit.scale), 1e-12, "nats");
  close(est.bits, est.nats / Math.LN2, 1e-12, "bits");
  close(est.nats, est.empiricalNats, 0.15, "fit vs empirical at a reachable ε");
});

test("one-point GP posterior: mean k·y/(1 + jitter), variance 1 − k²/(1 + jitter); median distance", () => {
  const post = interpolatingGp([[0, 0]], [[1, 0]], [[1, 0]], 1, 1e-3);
  const kk = Math.exp(-0.5);
  close(post.mean[0][0], kk / 1.001, 1e-12, "mean");
  close(post.mean[0][1], 0, 1e-15, "mean class 2");
  close(post.covSqrt[0][0] ** 2, 1 - (kk * kk) / 1.001, 1e-12, "variance");
  assert.deepEqual(rbfKernel([[0]], [[2]], 2), [[Math.exp(-0.5)]]);
  close(medianPairwiseDistance([[0], [1], [3]]), 2, 0, "median of 1, 2, 3");
});

test("sampled test errors average to MSE(mean) + tr(Σ)/t (Monte Carlo)", () => {
  const rng = new Rng(2);
  const X = Array.from({ length: 8 }, () => [rng.normal(), rng.normal()]);
  const Y = X.map((_, i) => [i % 2, 1 - (i % 2)]);
  const Xt = Array.from({ length: 5 }, () => [rng.normal(), rng.normal()]);
  const Yt = Xt.map((_, i) => [1 - (i % 2), i % 2]);
  const post = interpolatingGp(X, Y, Xt, 1.2, 1e-6);
  const errs = sampleTestErrors(post, Yt, 40000, 3);
  const mean = errs.reduce((s, v) => s + v, 0) / errs.length;
  let mse = 0;
  post.mean.forEach((row, p) => row.forEach((m, k) => (mse += (m - Yt[p][k]) ** 2)));
  let tr = 0;
  post.covSqrt.forEach((row) => row.forEach((v) => (tr += v * v)));
  const expected = mse / 10 + tr / 5;
  close(mean, expected, 0.01 * expected, "E[error]");
});

test("bad input is named", () => {
  assert.throws(() => fitScaledNcx2([1, 1, 1]), /samples: need a positive mean and a positive variance/);
  assert.throws(() => ncx2LogCdf(1, 0, 1), /k: must be > 0/);
  assert.throws(() => inductiveBias([1, 2, 3], 0), /epsilon: must be > 0/);
  assert.throws(() => interpolatingGp([[0, 0]], [[1], [0]], [[1, 1]], 1), /Ytrain: has 2 rows/);
  assert.throws(() => rbfKernel([[0]], [[0, 1]], 1), /B\[0\]: must have 1 entries/);
});
