// Confidence intervals over seeds: Student-t intervals of a mean, paired differences, and a
// seeded percentile bootstrap. Pure functions over plain arrays.
import { Rng } from "../core/random";
import { assertFinite, assertNonEmpty, fail } from "../core/validate";
import { mean, std } from "./stats";

/** A mean with its interval; n = 1 gives lo = hi = NaN and method "single". */
export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
  level: number;
  method: "t" | "paired-t" | "bootstrap" | "single";
}

export function isInterval(v: unknown): v is Interval {
  const x = v as Interval;
  return (
    !!x &&
    typeof x === "object" &&
    typeof x.mean === "number" &&
    typeof x.n === "number" &&
    typeof x.method === "string"
  );
}

// ln Γ(x) (Lanczos, g = 7, n = 9), accurate to ~1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

// Continued fraction for the regularised incomplete beta (modified Lentz).
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (typeof x !== "number" || Number.isNaN(x)) fail("x", `must be a number in [0, 1], got ${String(x)}`);
  if (typeof a !== "number" || !(a > 0) || !Number.isFinite(a))
    fail("a", `must be a finite number > 0, got ${String(a)}`);
  if (typeof b !== "number" || !(b > 0) || !Number.isFinite(b))
    fail("b", `must be a finite number > 0, got ${String(b)}`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const v =
    x < (a + 1) / (a + b + 2) ? (Math.exp(lbt) * betaCf(a, b, x)) / a : 1 - (Math.exp(lbt) * betaCf(b, a, 1 - x)) / b;
  if (!Number.isFinite(v)) fail("a", `with b = ${b} is beyond the range where I_x(a, b) can be evaluated in float64`);
  return Math.min(1, Math.max(0, v));
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (typeof t !== "number" || Number.isNaN(t)) fail("t", `must be a number, got ${String(t)}`);
  if (typeof df !== "number" || !(df > 0) || !Number.isFinite(df))
    fail("df", `must be a finite number > 0, got ${String(df)}`);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) fail("p", `must lie in (0, 1), got ${p}`);
  if (typeof df !== "number" || !(df > 0) || !Number.isFinite(df)) fail("df", `must be a finite number > 0, got ${df}`);
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) fail("level", `must lie in (0, 1), got ${level}`);
}

/** Mean of `xs` with a two-sided Student-t interval (seeds as independent draws). */
export function tInterval(xs: ArrayLike<number>, level = 0.95): Interval {
  assertNonEmpty("xs", xs);
  assertFinite("xs", xs);
  checkLevel(level);
  const m = mean(xs);
  const n = xs.length;
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, n, level, method: "single" };
  // The upper quantile is ≥ 0; bisection can land a hair below 0 when level is ~0.
  const half = (Math.max(0, studentTQuantile(1 - (1 - level) / 2, n - 1)) * std(xs)) / Math.sqrt(n);
  if (!Number.isFinite(m - half) || !Number.isFinite(m + half))
    fail("xs", `the ${level} interval overflows float64 (values spread too widely: std ${std(xs)})`);
  return { mean: m, lo: m - half, hi: m + half, n, level, method: "t" };
}

/** Paired difference a − b (same seeds): Student-t interval of the mean difference. */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>, level = 0.95): Interval {
  assertNonEmpty("a", a);
  assertNonEmpty("b", b);
  assertFinite("a", a);
  assertFinite("b", b);
  if (a.length !== b.length) fail("b", `has ${b.length} entries; a has ${a.length} (pairs need the same seeds)`);
  const d = Array.from(a, (x, i) => x - b[i]);
  return { ...tInterval(d, level), method: a.length < 2 ? "single" : "paired-t" };
}

/** Paired percentile bootstrap of mean(a − b), seeded (for small, skewed samples). */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { level?: number; resamples?: number; seed?: number } = {},
): Interval {
  assertNonEmpty("a", a);
  if (a.length !== b.length) fail("b", `has ${b.length} entries; a has ${a.length} (pairs need the same seeds)`);
  const level = opts.level ?? 0.95;
  checkLevel(level);
  const B = opts.resamples ?? 2000;
  if (!Number.isInteger(B) || B < 100) fail("opts.resamples", `must be an integer ≥ 100, got ${B}`);
  const d = Array.from(a, (x, i) => x - b[i]);
  assertFinite("a − b", d);
  const n = d.length;
  const m = mean(d);
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, n, level, method: "single" };
  const rng = new Rng(opts.seed ?? 0);
  const means = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)];
    means[k] = s / n;
  }
  means.sort();
  const q = (p: number) => means[Math.min(B - 1, Math.max(0, Math.floor(p * B)))];
  return { mean: m, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2), n, level, method: "bootstrap" };
}
