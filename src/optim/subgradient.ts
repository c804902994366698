// Sub-gradient method for (robust) low-rank PSD matrix sensing with the Burer–Monteiro
// factorisation X = UUᵀ (Ma & Fattahi, 2022). Measurements y_i ≈ ⟨A_i, X*⟩; losses
//   l1: f(U) = (1/m) Σ |r_i|,   l2: f(U) = (1/(2m)) Σ r_i²,   r_i = ⟨A_i, UUᵀ⟩ − y_i,
// with (sub)gradients (1/m) Σ s_i (A_i + A_iᵀ) U, s_i = sign(r_i) or r_i.
// Everything is float64; A is flattened once so a step costs O(m d² + d² r′).
import { assertFinite, assertKnownOptions, assertPositiveInt, fail } from "../core/validate";

export type SensingLoss = "l1" | "l2";

/**
 * Measurement matrices packed over the upper triangle: since X = UUᵀ is symmetric,
 * ⟨A, X⟩ = Σ_{j≤k} p_jk X_jk with p_jj = A_jj and p_jk = A_jk + A_kj, which halves every inner loop.
 */
interface Flat {
  m: number;
  d: number;
  /** Packed length d(d+1)/2. */
  q: number;
  a: Float64Array;
}

function flatten(A: number[][][], arg = "A"): Flat {
  if (!Array.isArray(A) || A.length === 0) fail(arg, "must be a non-empty array of d×d matrices");
  const d = Array.isArray(A[0]) ? A[0].length : 0;
  if (d === 0) fail(`${arg}[0]`, "must be a non-empty square matrix");
  const q = (d * (d + 1)) / 2;
  const a = new Float64Array(A.length * q);
  A.forEach((Ai, i) => {
    if (!Array.isArray(Ai) || Ai.length !== d) fail(`${arg}[${i}]`, `must have ${d} rows like ${arg}[0]`);
    Ai.forEach((row, j) => {
      if (!row || row.length !== d) fail(`${arg}[${i}][${j}]`, `must have ${d} entries (square ${d}×${d})`);
      assertFinite(`${arg}[${i}][${j}]`, row);
    });
    let k = i * q;
    for (let j = 0; j < d; j++) for (let l = j; l < d; l++) a[k++] = j === l ? Ai[j][j] : Ai[j][l] + Ai[l][j];
  });
  return { m: A.length, d, q, a };
}

function checkU(U: number[][], d: number, arg = "U"): number {
  if (!Array.isArray(U) || U.length !== d) fail(arg, `must have ${d} rows (the measurement size), got ${U?.length}`);
  const r = Array.isArray(U[0]) ? U[0].length : 0;
  if (r === 0) fail(arg, "must have at least one column");
  U.forEach((row, i) => {
    if (!row || row.length !== r) fail(`${arg}[${i}]`, `must have ${r} entries like ${arg}[0]`);
    assertFinite(`${arg}[${i}]`, row);
  });
  return r;
}

function checkY(y: number[], m: number): void {
  assertFinite("y", y);
  if (y.length !== m) fail("y", `has ${y.length} entries; A has ${m} measurements`);
}

function checkLoss(loss: SensingLoss): void {
  if (loss !== "l1" && loss !== "l2") fail("loss", `must be "l1" or "l2", got ${JSON.stringify(loss)}`);
}

/** Upper triangle of X = UUᵀ, packed like the measurements; u is d×r row-major. */
function gram(u: Float64Array, d: number, r: number, x: Float64Array): void {
  let p = 0;
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += u[i * r + k] * u[j * r + k];
      x[p++] = s;
    }
}

/** r_i = ⟨A_i, X⟩ − y_i. */
function residualsInto(f: Flat, x: Float64Array, y: ArrayLike<number>, out: Float64Array): void {
  const q = f.q;
  for (let i = 0; i < f.m; i++) {
    let s = 0;
    const off = i * q;
    for (let k = 0; k < q; k++) s += f.a[off + k] * x[k];
    out[i] = s - y[i];
  }
}

const weight = (loss: SensingLoss, r: number): number => (loss === "l2" ? r : r > 0 ? 1 : r < 0 ? -1 : 0);

/** g = (1/m) (S + Sᵀ) U with S = Σ w_i A_i (packed: off-diagonal p holds S + Sᵀ, the diagonal half of it). */
function gradInto(
  f: Flat,
  res: Float64Array,
  loss: SensingLoss,
  u: Float64Array,
  r: number,
  s: Float64Array,
  g: Float64Array,
): void {
  const { m, d, q } = f;
  s.fill(0);
  for (let i = 0; i < m; i++) {
    const w = weight(loss, res[i]);
    if (w === 0) continue;
    const off = i * q;
    for (let k = 0; k < q; k++) s[k] += w * f.a[off + k];
  }
  g.fill(0);
  let p = 0;
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const sij = (i === j ? 2 * s[p++] : s[p++]) / m;
      if (sij === 0) continue;
      for (let k = 0; k < r; k++) {
        g[i * r + k] += sij * u[j * r + k];
        if (i !== j) g[j * r + k] += sij * u[i * r + k];
      }
    }
}

const toFlat = (U: number[][], r: number): Float64Array => {
  const u = new Float64Array(U.length * r);
  U.forEach((row, i) => u.set(row, i * r));
  return u;
};
const toRows = (u: Float64Array, d: number, r: number): number[][] =>
  Array.from({ length: d }, (_, i) => Array.from(u.subarray(i * r, (i + 1) * r)));

function lossOf(res: Float64Array, loss: SensingLoss): number {
  let s = 0;
  for (let i = 0; i < res.length; i++) s += loss === "l1" ? Math.abs(res[i]) : 0.5 * res[i] * res[i];
  return s / res.length;
}

/** Residuals r_i = ⟨A_i, UUᵀ⟩ − y_i. */
export function sensingResiduals(U: number[][], A: number[][][], y: number[]): number[] {
  const f = flatten(A);
  const r = checkU(U, f.d);
  checkY(y, f.m);
  const x = new Float64Array(f.q);
  gram(toFlat(U, r), f.d, r, x);
  const res = new Float64Array(f.m);
  residualsInto(f, x, y, res);
  return Array.from(res);
}

/** l1: (1/m) Σ |r_i|; l2: (1/(2m)) Σ r_i². */
export function sensingLoss(U: number[][], A: number[][][], y: number[], loss: SensingLoss): number {
  checkLoss(loss);
  return lossOf(Float64Array.from(sensingResiduals(U, A, y)), loss);
}

/** (1/m) Σ s_i (A_i + A_iᵀ) U with s_i = sign(r_i) (l1; sign(0) = 0) or r_i (l2). */
export function sensingSubgradient(U: number[][], A: number[][][], y: number[], loss: SensingLoss): number[][] {
  checkLoss(loss);
  const f = flatten(A);
  const r = checkU(U, f.d);
  checkY(y, f.m);
  const u = toFlat(U, r);
  const x = new Float64Array(f.q);
  gram(u, f.d, r, x);
  const res = new Float64Array(f.m);
  residualsInto(f, x, y, res);
  const g = new Float64Array(f.d * r);
  gradInto(f, res, loss, u, r, new Float64Array(f.q), g);
  return toRows(g, f.d, r);
}

export interface SubgradientOptions {
  loss: SensingLoss;
  /** Initial step size η₀. */
  eta0: number;
  /** Geometric decay: step t uses η₀ ρᵗ (0 < ρ ≤ 1). */
  rho: number;
  steps: number;
  /** Call `observe` every this many steps (and after the last); default: never. */
  every?: number;
  observe?: (step: number, U: number[][], loss: number) => void;
}

export interface SubgradientResult {
  U: number[][];
  /** Training loss before each step (index t), then after the last step. */
  losses: number[];
  /** True when the iterate overflowed (the run stops there). */
  diverged: boolean;
}

/** U_{t+1} = U_t − η₀ ρᵗ g_t, g_t the (sub)gradient above. Deterministic. */
export function subgradientMethod(
  U0: number[][],
  A: number[][][],
  y: number[],
  opts: SubgradientOptions,
): SubgradientResult {
  assertKnownOptions("opts", opts, ["loss", "eta0", "rho", "steps", "every", "observe"]);
  if (!opts) fail("opts", "is required (loss, eta0, rho, steps)");
  checkLoss(opts.loss);
  if (!(opts.eta0 > 0 && Number.isFinite(opts.eta0))) fail("opts.eta0", `must be a positive number, got ${opts.eta0}`);
  if (!(opts.rho > 0 && opts.rho <= 1)) fail("opts.rho", `must lie in (0, 1], got ${opts.rho}`);
  assertPositiveInt("opts.steps", opts.steps);
  if (opts.every !== undefined) assertPositiveInt("opts.every", opts.every);
  const f = flatten(A);
  const r = checkU(U0, f.d, "U0");
  checkY(y, f.m);
  const { d } = f;
  const u = toFlat(U0, r);
  const x = new Float64Array(f.q);
  const s = new Float64Array(f.q);
  const g = new Float64Array(d * r);
  const res = new Float64Array(f.m);
  const losses: number[] = [];
  let diverged = false;
  for (let t = 0; t <= opts.steps; t++) {
    gram(u, d, r, x);
    residualsInto(f, x, y, res);
    const L = lossOf(res, opts.loss);
    losses.push(L);
    if (!Number.isFinite(L)) {
      diverged = true;
      break;
    }
    if (opts.observe && opts.every && (t % opts.every === 0 || t === opts.steps)) opts.observe(t, toRows(u, d, r), L);
    if (t === opts.steps) break;
    gradInto(f, res, opts.loss, u, r, s, g);
    const eta = opts.eta0 * Math.pow(opts.rho, t);
    for (let k = 0; k < u.length; k++) u[k] -= eta * g[k];
  }
  return { U: toRows(u, d, r), losses, diverged };
}
