// The (scaled) non-central χ² distribution in float64, with log-CDFs that stay accurate deep
// in the left tail (inductive-bias estimates live at CDF values like e^−300):
//   X = s·Y, Y ~ χ²_k(λ),  F(x) = Σ_j Pois(j; λ/2) · P(k/2 + j, x/(2s)),
// P the regularised lower incomplete gamma function, summed in the log domain.
import { assertFinite, assertNonEmpty, fail } from "../core/validate";

// ln Γ(x) (Lanczos, g = 7, n = 9), ~1e-15 relative for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (!(x > 0)) fail("x", `logGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const logAddExp = (a: number, b: number): number =>
  a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));

/** ln P(a, x), the regularised lower incomplete gamma function (series below a + 1, continued fraction above). */
export function logGammaP(a: number, x: number): number {
  if (!(a > 0)) fail("a", `must be > 0, got ${a}`);
  if (Number.isNaN(x)) fail("x", "is NaN");
  if (x <= 0) return -Infinity;
  if (x < a + 1) {
    // P = e^{−x} x^a / Γ(a+1) · Σ_n x^n / ((a+1)…(a+n)).
    let term = 1;
    let sum = 1;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return -x + a * Math.log(x) - logGamma(a + 1) + Math.log(sum);
  }
  // Q = e^{−x} x^a / Γ(a) · CF (modified Lentz); P = 1 − Q.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  const logQ = -x + a * Math.log(x) - logGamma(a) + Math.log(h);
  return Math.log1p(-Math.exp(logQ));
}

/** ln F(x) for the scaled non-central χ²: X = scale · χ²_k(λ). */
export function ncx2LogCdf(x: number, k: number, lambda: number, scale = 1): number {
  if (!(k > 0)) fail("k", `must be > 0, got ${k}`);
  if (!(lambda >= 0)) fail("lambda", `must be ≥ 0, got ${lambda}`);
  if (!(scale > 0)) fail("scale", `must be > 0, got ${scale}`);
  if (Number.isNaN(x)) fail("x", "is NaN");
  if (x <= 0) return -Infinity;
  const y = x / scale;
  if (lambda === 0) return logGammaP(k / 2, y / 2);
  // Sum Poisson-weighted terms outward from the Poisson mode until they stop mattering.
  const mu = lambda / 2;
  const mode = Math.floor(mu);
  const logPois = (j: number) => -mu + j * Math.log(mu) - logGamma(j + 1);
  const term = (j: number) => logPois(j) + logGammaP(k / 2 + j, y / 2);
  let total = term(mode);
  for (let j = mode + 1; j < mode + 100000; j++) {
    const t = term(j);
    total = logAddExp(total, t);
    // Poisson weights fall off super-exponentially past the mode; P(·) falls with j too.
    if (t < total - 40 && logPois(j) < total - 40) break;
  }
  for (let j = mode - 1; j >= 0; j--) {
    const t = term(j);
    total = logAddExp(total, t);
    if (logPois(j) < total - 40 && t < total - 40 && j < mode - 10) break;
  }
  return Math.min(0, total);
}

export interface ScaledNcx2 {
  /** Degrees of freedom k > 0. */
  k: number;
  /** Non-centrality λ ≥ 0. */
  lambda: number;
  scale: number;
  /** "moments": all three moments matched; "central": λ = 0 fallback matching mean and variance. */
  method: "moments" | "central";
}

/**
 * Fits X = s · χ²_k(λ) (location 0) by matching the mean, variance and third central moment:
 * mean s(k+λ), variance 2s²(k+2λ), third central moment 8s³(k+3λ). Eliminating k and λ leaves
 * 8μ s² − 8σ² s + μ₃ = 0. When no root gives k > 0 and λ ≥ 0 it falls back to λ = 0.
 */
export function fitScaledNcx2(samples: ArrayLike<number>): ScaledNcx2 {
  assertNonEmpty("samples", samples);
  assertFinite("samples", samples);
  const n = samples.length;
  if (n < 3) fail("samples", `needs at least 3 values, got ${n}`);
  let mu = 0;
  for (let i = 0; i < n; i++) mu += samples[i];
  mu /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i] - mu;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (!(mu > 0) || !(m2 > 0))
    fail("samples", "need a positive mean and a positive variance (losses of a non-degenerate sample)");
  const disc = 64 * m2 * m2 - 32 * mu * m3;
  const candidates: ScaledNcx2[] = [];
  if (disc >= 0) {
    for (const sgn of [1, -1]) {
      const s = (8 * m2 + sgn * Math.sqrt(disc)) / (16 * mu);
      if (!(s > 0)) continue;
      const A = mu / s;
      const B = m2 / (2 * s * s);
      const lambda = B - A;
      const k = 2 * A - B;
      if (k > 0 && lambda >= 0) candidates.push({ k, lambda, scale: s, method: "moments" });
    }
  }
  if (candidates.length > 0) return candidates.reduce((a, b) => (a.lambda <= b.lambda ? a : b));
  return { k: (2 * mu * mu) / m2, lambda: 0, scale: m2 / (2 * mu), method: "central" };
}

/** Kolmogorov–Smirnov statistic sup |F_n − F| of the samples against a fitted scaled ncx2. */
export function ksStatisticNcx2(samples: ArrayLike<number>, fit: ScaledNcx2): number {
  assertNonEmpty("samples", samples);
  assertFinite("samples", samples);
  const xs = Array.from(samples).sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  xs.forEach((x, i) => {
    const F = Math.exp(ncx2LogCdf(x, fit.k, fit.lambda, fit.scale));
    d = Math.max(d, Math.abs((i + 1) / n - F), Math.abs(F - i / n));
  });
  return d;
}
