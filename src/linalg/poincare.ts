// Float64 operations on the Poincaré ball of curvature −c (points are number[] with
// c‖x‖² < 1): Möbius addition and scalar/matrix products, exp/log maps, distance, gyration,
// parallel transport and the gyrovector midpoint. The reference the tfjs layers are tested against.
import { fail } from "../core/validate";

const MIN_NORM = 1e-15;

function checkC(c: number): number {
  if (typeof c !== "number" || !(c > 0) || !Number.isFinite(c))
    fail("c", `must be a finite curvature magnitude > 0, got ${String(c)}`);
  return c;
}

function checkVec(arg: string, v: number[], dim?: number): number[] {
  if (!Array.isArray(v) || v.length === 0) fail(arg, "must be a non-empty array of numbers");
  for (let i = 0; i < v.length; i++)
    if (typeof v[i] !== "number" || !Number.isFinite(v[i])) fail(arg, `has a non-finite entry at ${i}: ${v[i]}`);
  if (dim !== undefined && v.length !== dim) fail(arg, `has length ${v.length}, expected ${dim}`);
  return v;
}

/** Rejects points on or outside the ball: c‖x‖² must be < 1. */
function checkPoint(arg: string, x: number[], c: number, dim?: number): number[] {
  checkVec(arg, x, dim);
  const r2 = c * dot(x, x);
  if (!(r2 < 1))
    fail(arg, `lies on or outside the Poincaré ball: √c‖x‖ = ${Math.sqrt(r2).toPrecision(6)}, must be < 1`);
  return x;
}

const dot = (a: number[], b: number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const norm = (a: number[]): number => Math.sqrt(dot(a, a));
const scale = (a: number[], s: number): number[] => a.map((v) => v * s);
const neg = (a: number[]): number[] => a.map((v) => -v);

/** The conformal factor λ_x = 2 / (1 − c‖x‖²). */
export function conformalFactor(x: number[], c: number): number {
  checkC(c);
  checkPoint("x", x, c);
  return 2 / (1 - c * dot(x, x));
}

function addRaw(x: number[], y: number[], c: number): number[] {
  const xy = dot(x, y);
  const x2 = dot(x, x);
  const y2 = dot(y, y);
  const a = 1 + 2 * c * xy + c * y2;
  const b = 1 - c * x2;
  const den = Math.max(1 + 2 * c * xy + c * c * x2 * y2, MIN_NORM);
  return x.map((xi, i) => (a * xi + b * y[i]) / den);
}

/** Möbius addition x ⊕ y = [(1+2c⟨x,y⟩+c‖y‖²)x + (1−c‖x‖²)y] / (1+2c⟨x,y⟩+c²‖x‖²‖y‖²). */
export function mobiusAdd(x: number[], y: number[], c: number): number[] {
  checkC(c);
  checkPoint("x", x, c);
  checkPoint("y", y, c, x.length);
  return addRaw(x, y, c);
}

function expMap0Raw(v: number[], c: number): number[] {
  const n = norm(v);
  if (n < MIN_NORM) return v.slice();
  const sc = Math.sqrt(c);
  return scale(v, Math.tanh(sc * n) / (sc * n));
}

function logMap0Raw(y: number[], c: number): number[] {
  const n = norm(y);
  if (n < MIN_NORM) return y.slice();
  const sc = Math.sqrt(c);
  return scale(y, Math.atanh(sc * n) / (sc * n));
}

/** exp₀(v) = tanh(√c‖v‖) v / (√c‖v‖): a tangent vector at the origin to a point of the ball. */
export function expMap0(v: number[], c: number): number[] {
  checkC(c);
  return expMap0Raw(checkVec("v", v), c);
}

/** log₀(y) = artanh(√c‖y‖) y / (√c‖y‖): the inverse of exp₀. */
export function logMap0(y: number[], c: number): number[] {
  checkC(c);
  return logMap0Raw(checkPoint("y", y, c), c);
}

/** exp_x(v) = x ⊕ tanh(√c λ_x‖v‖/2) v / (√c‖v‖). */
export function expMap(x: number[], v: number[], c: number): number[] {
  checkC(c);
  checkPoint("x", x, c);
  checkVec("v", v, x.length);
  const n = norm(v);
  if (n < MIN_NORM) return x.slice();
  const sc = Math.sqrt(c);
  const lam = 2 / (1 - c * dot(x, x));
  const step = scale(v, Math.tanh((sc * lam * n) / 2) / (sc * n));
  return addRaw(x, step, c);
}

/** log_x(y) = (2 / (√c λ_x)) artanh(√c‖−x⊕y‖) (−x⊕y)/‖−x⊕y‖: the inverse of exp_x. */
export function logMap(x: number[], y: number[], c: number): number[] {
  checkC(c);
  checkPoint("x", x, c);
  checkPoint("y", y, c, x.length);
  const u = addRaw(neg(x), y, c);
  const n = norm(u);
  if (n < MIN_NORM) return u.map(() => 0);
  const sc = Math.sqrt(c);
  const lam = 2 / (1 - c * dot(x, x));
  return scale(u, ((2 / (sc * lam)) * Math.atanh(Math.min(sc * n, 1 - 1e-16))) / n);
}

/** Geodesic distance d(x, y) = (2/√c) artanh(√c‖−x⊕y‖). */
export function poincareDistance(x: number[], y: number[], c: number): number {
  checkC(c);
  checkPoint("x", x, c);
  checkPoint("y", y, c, x.length);
  const sc = Math.sqrt(c);
  const n = norm(addRaw(neg(x), y, c));
  return (2 / sc) * Math.atanh(Math.min(sc * n, 1 - 1e-16));
}

/** Möbius scalar multiplication r ⊗ x = tanh(r artanh(√c‖x‖)) x / (√c‖x‖). */
export function mobiusScalarMul(r: number, x: number[], c: number): number[] {
  checkC(c);
  if (typeof r !== "number" || !Number.isFinite(r)) fail("r", `must be a finite number, got ${String(r)}`);
  checkPoint("x", x, c);
  return expMap0Raw(scale(logMap0Raw(x, c), r), c);
}

/** Möbius matrix-vector product M ⊗ x = exp₀(M log₀(x)), M given as rows [out][in]. */
export function mobiusMatVec(m: number[][], x: number[], c: number): number[] {
  checkC(c);
  checkPoint("x", x, c);
  if (!Array.isArray(m) || m.length === 0) fail("m", "must be a non-empty matrix (rows of numbers)");
  m.forEach((row, i) => checkVec(`m[${i}]`, row, x.length));
  const t = logMap0Raw(x, c);
  return expMap0Raw(
    m.map((row) => dot(row, t)),
    c,
  );
}

/** Gyration gyr[u, v]w = ⊖(u⊕v) ⊕ (u ⊕ (v ⊕ w)), in its closed linear form in w. */
export function gyration(u: number[], v: number[], w: number[], c: number): number[] {
  checkC(c);
  checkPoint("u", u, c);
  checkPoint("v", v, c, u.length);
  checkVec("w", w, u.length);
  const uv = dot(u, v);
  const uw = dot(u, w);
  const vw = dot(v, w);
  const u2 = dot(u, u);
  const v2 = dot(v, v);
  const a = -c * c * uw * v2 + c * vw + 2 * c * c * uv * vw;
  const b = -c * c * vw * u2 - c * uw;
  const d = Math.max(1 + 2 * c * uv + c * c * u2 * v2, MIN_NORM);
  return w.map((wi, i) => wi + (2 * (a * u[i] + b * v[i])) / d);
}

/** Parallel transport of a tangent vector v from x to y: (λ_x/λ_y) gyr[y, −x] v. */
export function parallelTransport(x: number[], y: number[], v: number[], c: number): number[] {
  checkC(c);
  checkPoint("x", x, c);
  checkPoint("y", y, c, x.length);
  checkVec("v", v, x.length);
  const lx = 2 / (1 - c * dot(x, x));
  const ly = 2 / (1 - c * dot(y, y));
  return scale(gyration(y, neg(x), v, c), lx / ly);
}

/**
 * Gyrovector (Einstein) midpoint of points with optional non-negative weights:
 * ½ ⊗ (Σ wᵢλᵢxᵢ / Σ wᵢ(λᵢ−1)), whose ½⊗ has the closed form m / (1 + √(1 − c‖m‖²)).
 */
export function gyroMidpoint(points: number[][], c: number, weights?: number[]): number[] {
  checkC(c);
  if (!Array.isArray(points) || points.length === 0) fail("points", "must be a non-empty array of points");
  const dim = checkPoint("points[0]", points[0], c).length;
  points.forEach((p, i) => checkPoint(`points[${i}]`, p, c, dim));
  const w = weights ?? points.map(() => 1);
  checkVec("weights", w, points.length);
  if (w.some((v) => v < 0) || w.every((v) => v === 0)) fail("weights", "must be ≥ 0 and not all zero");
  const num = new Array<number>(dim).fill(0);
  let den = 0;
  points.forEach((p, i) => {
    const lam = 2 / (1 - c * dot(p, p));
    for (let k = 0; k < dim; k++) num[k] += w[i] * lam * p[k];
    den += w[i] * (lam - 1);
  });
  const m = scale(num, 1 / den);
  return scale(m, 1 / (1 + Math.sqrt(Math.max(1 - c * dot(m, m), 0))));
}

/** Scales a point back inside the ball to norm at most (1 − eps)/√c. */
export function projectToBall(x: number[], c: number, eps = 1e-5): number[] {
  checkC(c);
  checkVec("x", x);
  if (!(eps > 0 && eps < 1)) fail("eps", `must lie in (0, 1), got ${eps}`);
  const n = norm(x);
  const maxN = (1 - eps) / Math.sqrt(c);
  return n > maxN ? scale(x, maxN / n) : x.slice();
}
