// Group-rational KAN (GR-KAN) pieces of the Kolmogorov–Arnold Transformer: the safe rational
// F(x) = (a₀ + a₁x + … + a₅x⁵) / (1 + |b₁x + … + b₄x⁴|) (the paper's denominator; the released
// CUDA kernel uses 1 + Σ|bᵢ||x|ⁱ instead), its float64 least-squares fit to a target
// activation, the variance-preserving gain 1/√E[F(x)²] (x ~ N(0,1)), and a tfjs layer that
// applies one rational per channel group before a linear map.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";

/** Numerator a₀..a₅ and denominator b₁..b₄ of one rational function. */
export interface RationalCoefficients {
  numerator: number[];
  denominator: number[];
}

export const IDENTITY_RATIONAL: RationalCoefficients = { numerator: [0, 1, 0, 0, 0, 0], denominator: [0, 0, 0, 0] };

function checkCoef(coef: RationalCoefficients, arg = "coef"): void {
  if (!coef || !Array.isArray(coef.numerator) || coef.numerator.length !== 6)
    fail(`${arg}.numerator`, "must hold 6 numbers a₀..a₅");
  if (!Array.isArray(coef.denominator) || coef.denominator.length !== 4)
    fail(`${arg}.denominator`, "must hold 4 numbers b₁..b₄");
  if (![...coef.numerator, ...coef.denominator].every(Number.isFinite)) fail(arg, "has a non-finite coefficient");
}

/** F(x) in float64. */
export function rationalValue(x: number, coef: RationalCoefficients): number {
  const a = coef.numerator;
  const b = coef.denominator;
  const p = a[0] + x * (a[1] + x * (a[2] + x * (a[3] + x * (a[4] + x * a[5]))));
  const q = x * (b[0] + x * (b[1] + x * (b[2] + x * b[3])));
  return p / (1 + Math.abs(q));
}

/** Exact GELU x·Φ(x) in float64 (erf by its Taylor series, ±1 beyond |z| = 5). */
export function geluExact(x: number): number {
  const z = x / Math.SQRT2;
  let erf: number;
  if (Math.abs(z) >= 5) erf = Math.sign(z);
  else {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    erf = (2 / Math.sqrt(Math.PI)) * sum;
  }
  return 0.5 * x * (1 + erf);
}

/** E[f(x)²] for x ~ N(0, 1), Simpson's rule on [−10, 10] (4,000 intervals). */
export function gaussianSecondMoment(f: (x: number) => number): number {
  const m = 4000;
  const h = 20 / m;
  let s = 0;
  for (let i = 0; i <= m; i++) {
    const x = -10 + i * h;
    const w = i === 0 || i === m ? 1 : i % 2 ? 4 : 2;
    s += (w * f(x) ** 2 * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  }
  return (s * h) / 3;
}

/** The variance-preserving gain 1/√E[F(x)²], x ~ N(0,1): weights after F get std gain/√fan_in. */
export function varianceGain(coef: RationalCoefficients): number {
  checkCoef(coef);
  return 1 / Math.sqrt(gaussianSecondMoment((x) => rationalValue(x, coef)));
}

/** Solves a small dense system by Gaussian elimination with partial pivoting (float64). */
function solve(m: number[][], v: number[]): number[] {
  const n = v.length;
  const a = m.map((r, i) => [...r, v[i]]);
  for (let j = 0; j < n; j++) {
    let p = j;
    for (let i = j + 1; i < n; i++) if (Math.abs(a[i][j]) > Math.abs(a[p][j])) p = i;
    [a[j], a[p]] = [a[p], a[j]];
    const piv = a[j][j] || 1e-300;
    for (let i = j + 1; i < n; i++) {
      const f = a[i][j] / piv;
      for (let k = j; k <= n; k++) a[i][k] -= f * a[j][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i][n];
    for (let k = i + 1; k < n; k++) s -= a[i][k] * x[k];
    x[i] = s / (a[i][i] || 1e-300);
  }
  return x;
}

export interface RationalFit {
  coef: RationalCoefficients;
  /** max |F(x) − target(x)| on the fit grid. */
  maxError: number;
  rmse: number;
}

/**
 * Least-squares fit of F to `target` on an even grid over [lo, hi]: a linearised start
 * (P − t·(1 + Q) = 0, assuming Q ≥ 0), then Levenberg–Marquardt on the true safe form.
 */
export function fitRational(
  target: (x: number) => number,
  opts: { lo?: number; hi?: number; points?: number; iterations?: number } = {},
): RationalFit {
  const lo = opts.lo ?? -3;
  const hi = opts.hi ?? 3;
  const n = opts.points ?? 1001;
  if (!(hi > lo)) fail("opts.hi", `must exceed lo (${lo}), got ${hi}`);
  assertPositiveInt("opts.points", n);
  if (n < 20) fail("opts.points", `needs at least 20 points for 10 coefficients, got ${n}`);
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const ts = xs.map((x) => target(x));
  if (!ts.every(Number.isFinite)) fail("target", "returned a non-finite value on the grid");
  // linearised start: rows [1, x, …, x⁵, −t·x, …, −t·x⁴] · θ = t
  const rowsLin = xs.map((x, i) => [
    ...[0, 1, 2, 3, 4, 5].map((k) => x ** k),
    ...[1, 2, 3, 4].map((k) => -ts[i] * x ** k),
  ]);
  const normal = (rows: number[][], rhs: number[], damp: number) => {
    const p = rows[0].length;
    const ata = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const atb = new Array<number>(p).fill(0);
    rows.forEach((r, i) => {
      for (let a = 0; a < p; a++) {
        atb[a] += r[a] * rhs[i];
        for (let b = 0; b < p; b++) ata[a][b] += r[a] * r[b];
      }
    });
    for (let a = 0; a < p; a++) ata[a][a] += damp * (ata[a][a] + 1e-12);
    return solve(ata, atb);
  };
  let theta = normal(rowsLin, ts, 1e-12);
  const toCoef = (t: number[]): RationalCoefficients => ({ numerator: t.slice(0, 6), denominator: t.slice(6) });
  const sse = (t: number[]) => xs.reduce((s, x, i) => s + (rationalValue(x, toCoef(t)) - ts[i]) ** 2, 0);
  let cur = sse(theta);
  let damp = 1e-3;
  for (let it = 0; it < (opts.iterations ?? 200); it++) {
    const c = toCoef(theta);
    const jac: number[][] = [];
    const res: number[] = [];
    xs.forEach((x, i) => {
      const a = c.numerator;
      const b = c.denominator;
      const p = a[0] + x * (a[1] + x * (a[2] + x * (a[3] + x * (a[4] + x * a[5]))));
      const q = x * (b[0] + x * (b[1] + x * (b[2] + x * b[3])));
      const den = 1 + Math.abs(q);
      const s = q === 0 ? 0 : Math.sign(q);
      jac.push([
        ...[0, 1, 2, 3, 4, 5].map((k) => x ** k / den),
        ...[1, 2, 3, 4].map((k) => (-p * s * x ** k) / (den * den)),
      ]);
      res.push(ts[i] - p / den);
    });
    const step = normal(jac, res, damp);
    const next = theta.map((v, k) => v + step[k]);
    const val = sse(next);
    if (val < cur) {
      theta = next;
      const rel = (cur - val) / cur;
      cur = val;
      damp = Math.max(damp / 3, 1e-12);
      if (rel < 1e-12) break;
    } else damp *= 4;
  }
  const coef = toCoef(theta);
  const errs = xs.map((x, i) => Math.abs(rationalValue(x, coef) - ts[i]));
  return { coef, maxError: Math.max(...errs), rmse: Math.sqrt(cur / n) };
}

/** Group-wise rational on [N, C]: channel block j (C/g channels) uses row j of a [g, 6] and b [g, 4]. */
export function groupRational(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [N, C] = x.shape;
  const g = a.shape[0];
  if (a.shape[1] !== 6) fail("a", `must be [groups, 6], got [${a.shape}]`);
  if (b.shape[0] !== g || b.shape[1] !== 4) fail("b", `must be [${g}, 4], got [${b.shape}]`);
  if (C % g !== 0) fail("x", `has ${C} channels, not divisible by ${g} groups`);
  return tf.tidy(() => {
    const xg = tf.reshape(x, [N, g, C / g]);
    const col = (t: tf.Tensor2D, k: number) => tf.reshape(tf.slice(t, [0, k], [g, 1]), [1, g, 1]);
    let p: tf.Tensor = col(a, 5);
    for (let k = 4; k >= 0; k--) p = tf.add(tf.mul(p, xg), col(a, k));
    let q: tf.Tensor = col(b, 3);
    for (let k = 2; k >= 0; k--) q = tf.add(tf.mul(q, xg), col(b, k));
    q = tf.mul(q, xg);
    return tf.reshape(tf.div(p, tf.add(1, tf.abs(q))), [N, C]) as tf.Tensor2D;
  });
}

/** Coefficients [g, 6] and [g, 4] as variables, every group starting from `coef`. */
export function rationalVariables(groups: number, coef: RationalCoefficients): { a: tf.Variable; b: tf.Variable } {
  assertPositiveInt("groups", groups);
  checkCoef(coef);
  const a = tf.variable(tf.tensor2d(Array.from({ length: groups }, () => coef.numerator)), true);
  const b = tf.variable(tf.tensor2d(Array.from({ length: groups }, () => coef.denominator)), true);
  return { a, b };
}

/** Gaussian weights [din, dout] with std gain/√din (gain 1: LeCun; the rational's gain: variance-preserving). */
export function gainInit(din: number, dout: number, gain: number, rng: Rng): Float32Array {
  assertPositiveInt("din", din);
  assertPositiveInt("dout", dout);
  if (!(gain > 0) || !Number.isFinite(gain)) fail("gain", `must be a positive number, got ${gain}`);
  return rng.normalArray(din * dout, gain / Math.sqrt(din));
}
