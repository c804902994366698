// Data hyper-cleaning as a bilevel problem with a softmax-regression lower level, so that every
// second-order term is closed form (float64, no nested autodiff):
//   lower  G(λ, W) = (1/n) Σ σ(λ_i) CE(W; a_i, y_i) + μ‖W‖²          (strongly convex in W)
//   upper  F(W)    = c · (1/n_v) Σ CE(W; a_j, y_j) on clean data       (c = lossScale)
// Hypergradient ∇Φ(λ) = −∇²_{λW}G · z with z = (∇²_{WW}G)⁻¹ ∇_W F, and per example
//   ∂/∂λ_i ⟨∇_W G, Z⟩ = σ'(λ_i)/n · a_iᵀ Z (p_i − e_{y_i}),
//   ∇²_{WW}G[V] = (1/n) Σ σ(λ_i) a_i [(diag p_i − p_i p_iᵀ) Vᵀa_i]ᵀ + 2μV.
// W is p×k row-major (features × classes). A row subset gives the minibatch estimate (1/b)Σ_{i∈B}.
import { Rng } from "../core/random";
import { assertFinite, assertKnownOptions, assertPositiveInt, fail } from "../core/validate";

/** A labelled design matrix: x is n×p row-major (append a constant column for a bias). */
export interface SoftmaxData {
  x: Float64Array;
  y: Int32Array;
  n: number;
  p: number;
  k: number;
}

export function checkSoftmaxData(d: SoftmaxData, arg = "data"): void {
  if (!d || !(d.x instanceof Float64Array) || !(d.y instanceof Int32Array))
    fail(arg, "must hold x (Float64Array), y (Int32Array), n, p, k");
  if (!(d.n > 0 && d.p > 0 && d.k > 1)) fail(arg, `needs n ≥ 1, p ≥ 1, k ≥ 2, got n ${d.n}, p ${d.p}, k ${d.k}`);
  if (d.x.length !== d.n * d.p) fail(`${arg}.x`, `has ${d.x.length} values; n·p = ${d.n * d.p}`);
  if (d.y.length !== d.n) fail(`${arg}.y`, `has ${d.y.length} labels; n = ${d.n}`);
  assertFinite(`${arg}.x`, d.x);
  for (let i = 0; i < d.n; i++)
    if (!(d.y[i] >= 0 && d.y[i] < d.k)) fail(`${arg}.y`, `label ${i} is ${d.y[i]}; expected a class in [0, ${d.k})`);
}

const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

function allRows(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function checkW(d: SoftmaxData, W: Float64Array, arg = "W"): void {
  if (!(W instanceof Float64Array) || W.length !== d.p * d.k) fail(arg, `must be a Float64Array of p·k = ${d.p * d.k}`);
  assertFinite(arg, W);
}

function checkRows(d: SoftmaxData, rows: ArrayLike<number> | undefined): ArrayLike<number> {
  if (rows === undefined) return allRows(d.n);
  if (rows.length === 0) fail("rows", "is empty");
  for (let t = 0; t < rows.length; t++)
    if (!Number.isInteger(rows[t]) || rows[t] < 0 || rows[t] >= d.n)
      fail("rows", `entry ${t} is ${rows[t]}; expected a row index in [0, ${d.n})`);
  return rows;
}

/** Logits of one row into `out` (length k); returns their log-sum-exp. */
function probsRow(d: SoftmaxData, W: Float64Array, i: number, out: Float64Array): number {
  const { p, k, x } = d;
  out.fill(0);
  const off = i * p;
  for (let j = 0; j < p; j++) {
    const a = x[off + j];
    if (a === 0) continue;
    for (let c = 0; c < k; c++) out[c] += a * W[j * k + c];
  }
  let mx = -Infinity;
  for (let c = 0; c < k; c++) mx = Math.max(mx, out[c]);
  let s = 0;
  for (let c = 0; c < k; c++) s += Math.exp(out[c] - mx);
  const lse = mx + Math.log(s);
  // `out` keeps the logits: callers read z_y before turning them into probabilities.
  return lse;
}

/** Per-row weights w_i (σ(λ_i), or 1) times CE; mean over rows, gradient (mean, no penalty) into g. */
function weightedCE(
  d: SoftmaxData,
  W: Float64Array,
  w: (i: number) => number,
  rows: ArrayLike<number>,
  g: Float64Array | null,
): number {
  const { p, k, x } = d;
  const pr = new Float64Array(k);
  let loss = 0;
  if (g) g.fill(0);
  for (let t = 0; t < rows.length; t++) {
    const i = rows[t];
    const lse = probsRow(d, W, i, pr);
    const wi = w(i);
    loss += wi * (lse - pr[d.y[i]]);
    if (!g || wi === 0) continue;
    for (let c = 0; c < k; c++) pr[c] = Math.exp(pr[c] - lse) - (c === d.y[i] ? 1 : 0);
    const off = i * p;
    for (let j = 0; j < p; j++) {
      const a = x[off + j] * wi;
      if (a === 0) continue;
      for (let c = 0; c < k; c++) g[j * k + c] += a * pr[c];
    }
  }
  const b = rows.length;
  if (g) for (let q = 0; q < g.length; q++) g[q] /= b;
  return loss / b;
}

/** Mean cross-entropy over `rows` (default all) and its gradient in W. */
export function softmaxCE(
  d: SoftmaxData,
  W: Float64Array,
  rows?: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  checkSoftmaxData(d);
  checkW(d, W);
  const r = checkRows(d, rows);
  const grad = new Float64Array(W.length);
  return { loss: weightedCE(d, W, () => 1, r, grad), grad };
}

/** Accuracy of argmax(aᵀW) over all rows. */
export function softmaxAccuracy(d: SoftmaxData, W: Float64Array): number {
  checkSoftmaxData(d);
  checkW(d, W);
  const pr = new Float64Array(d.k);
  let hit = 0;
  for (let i = 0; i < d.n; i++) {
    probsRow(d, W, i, pr);
    let best = 0;
    for (let c = 1; c < d.k; c++) if (pr[c] > pr[best]) best = c;
    if (best === d.y[i]) hit++;
  }
  return hit / d.n;
}

function checkLambda(d: SoftmaxData, lambda: Float64Array): void {
  if (!(lambda instanceof Float64Array) || lambda.length !== d.n)
    fail("lambda", `must be a Float64Array of n = ${d.n}`);
  assertFinite("lambda", lambda);
}

/** G(λ, W) = (1/b) Σ_{rows} σ(λ_i) CE_i + μ‖W‖², and ∇_W G. */
export function hyperCleanInner(
  d: SoftmaxData,
  W: Float64Array,
  lambda: Float64Array,
  mu: number,
  rows?: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  checkSoftmaxData(d);
  checkW(d, W);
  checkLambda(d, lambda);
  if (!(mu >= 0)) fail("mu", `must be ≥ 0, got ${mu}`);
  const r = checkRows(d, rows);
  const grad = new Float64Array(W.length);
  let loss = weightedCE(d, W, (i) => sigmoid(lambda[i]), r, grad);
  for (let q = 0; q < W.length; q++) {
    loss += mu * W[q] * W[q];
    grad[q] += 2 * mu * W[q];
  }
  return { loss, grad };
}

/**
 * Second-order terms at (λ, W) for direction V (p×k): hvp = ∇²_{WW}G[V] and
 * cross_i = ∂/∂λ_i ⟨∇_W G, V⟩ (nonzero only on `rows`). One pass shares p_i and Vᵀa_i.
 */
export function hyperCleanSecondOrder(
  d: SoftmaxData,
  W: Float64Array,
  lambda: Float64Array,
  mu: number,
  V: Float64Array,
  rows?: ArrayLike<number>,
): { hvp: Float64Array; cross: Float64Array } {
  checkSoftmaxData(d);
  checkW(d, W);
  checkW(d, V, "V");
  checkLambda(d, lambda);
  if (!(mu >= 0)) fail("mu", `must be ≥ 0, got ${mu}`);
  const r = checkRows(d, rows);
  const hvp = new Float64Array(W.length);
  const cross = new Float64Array(d.n);
  secondOrderInto(d, W, lambda, mu, V, r, hvp, cross);
  return { hvp, cross };
}

function secondOrderInto(
  d: SoftmaxData,
  W: Float64Array,
  lambda: Float64Array,
  mu: number,
  V: Float64Array,
  rows: ArrayLike<number>,
  hvp: Float64Array,
  cross: Float64Array,
): void {
  const { p, k, x } = d;
  const pr = new Float64Array(k);
  const va = new Float64Array(k);
  const u = new Float64Array(k);
  const b = rows.length;
  hvp.fill(0);
  cross.fill(0);
  for (let t = 0; t < b; t++) {
    const i = rows[t];
    const lse = probsRow(d, W, i, pr);
    for (let c = 0; c < k; c++) pr[c] = Math.exp(pr[c] - lse);
    va.fill(0);
    const off = i * p;
    for (let j = 0; j < p; j++) {
      const a = x[off + j];
      if (a === 0) continue;
      for (let c = 0; c < k; c++) va[c] += a * V[j * k + c];
    }
    // (diag p − ppᵀ) Vᵀa and (p − e_y)ᵀ Vᵀa.
    let pv = 0;
    for (let c = 0; c < k; c++) pv += pr[c] * va[c];
    const s = sigmoid(lambda[i]);
    for (let c = 0; c < k; c++) u[c] = (s * pr[c] * (va[c] - pv)) / b;
    cross[i] += (s * (1 - s) * (pv - va[d.y[i]])) / b;
    for (let j = 0; j < p; j++) {
      const a = x[off + j];
      if (a === 0) continue;
      for (let c = 0; c < k; c++) hvp[j * k + c] += a * u[c];
    }
  }
  for (let q = 0; q < hvp.length; q++) hvp[q] += 2 * mu * V[q];
}

export interface BoRepOptions {
  /** Upper-level steps T. */
  steps: number;
  /**
   * "bo-rep": normalised momentum λ ← λ − η m/‖m‖; "sgd": plain λ ← λ − η ĝ; "none": λ frozen
   * (weighted ERM with the same lower-level schedule: the baseline).
   */
  update: "bo-rep" | "sgd" | "none";
  eta: number;
  /** Momentum β (bo-rep only; default 0.9). */
  beta?: number;
  /** Step of the linear-system solver z ← z − ν(Hz − ∇_W F). */
  nu: number;
  /** Lower-level SGD step size. */
  innerLr: number;
  mu: number;
  /** Lower-level update period I and its SGD steps N (the "periodic updates"). */
  period: number;
  innerSteps: number;
  /** Lower-level SGD steps at t = 0 (the "initialisation refinement"). */
  warmStart: number;
  batch: number;
  /** Initial λ for every example (default 1). */
  lambda0?: number;
  /** Multiplies the upper loss (the stress test; default 1). */
  lossScale?: number;
  seed: number;
  /** Called every `every` upper steps with the current state (default: never). */
  every?: number;
  observe?: (step: number, state: { W: Float64Array; lambda: Float64Array; upperLoss: number }) => void;
}

export interface BoRepResult {
  W: Float64Array;
  lambda: Float64Array;
  /** Upper loss (scaled) on the full upper data, every `every` steps and at the end. */
  upperLoss: Array<{ step: number; loss: number }>;
  /** True when λ, W or z overflowed; the run stops there. */
  diverged: boolean;
}

const OPTION_KEYS = [
  "steps",
  "update",
  "eta",
  "beta",
  "nu",
  "innerLr",
  "mu",
  "period",
  "innerSteps",
  "warmStart",
  "batch",
  "lambda0",
  "lossScale",
  "seed",
  "every",
  "observe",
];

function checkOptions(o: BoRepOptions): void {
  assertKnownOptions("opts", o, OPTION_KEYS);
  if (!o) fail("opts", "is required");
  if (!["bo-rep", "sgd", "none"].includes(o.update))
    fail("opts.update", `must be "bo-rep", "sgd" or "none", got ${JSON.stringify(o.update)}`);
  for (const key of ["eta", "nu", "innerLr"] as const)
    if (!(o[key] > 0 && Number.isFinite(o[key]))) fail(`opts.${key}`, `must be a positive number, got ${o[key]}`);
  if (!(o.mu > 0)) fail("opts.mu", `must be > 0 (the lower level must be strongly convex), got ${o.mu}`);
  for (const key of ["steps", "period", "batch"] as const) assertPositiveInt(`opts.${key}`, o[key]);
  for (const key of ["innerSteps", "warmStart"] as const)
    if (!Number.isInteger(o[key]) || o[key] < 0) fail(`opts.${key}`, `must be an integer ≥ 0, got ${o[key]}`);
  const beta = o.beta ?? 0.9;
  if (!(beta >= 0 && beta < 1)) fail("opts.beta", `must lie in [0, 1), got ${beta}`);
  if (o.every !== undefined) assertPositiveInt("opts.every", o.every);
}

const finiteAll = (a: Float64Array): boolean => a.every((v) => Number.isFinite(v));

/**
 * BO-REP (Hao, Gong & Liu, ICLR'24) for hyper-cleaning, or the same loop with a plain SGD
 * upper update. Minibatches are drawn from a seeded stream; the run is deterministic.
 */
export function boRepHyperClean(train: SoftmaxData, upper: SoftmaxData, opts: BoRepOptions): BoRepResult {
  checkOptions(opts);
  checkSoftmaxData(train, "train");
  checkSoftmaxData(upper, "upper");
  if (train.p !== upper.p || train.k !== upper.k)
    fail("upper", `has p ${upper.p}, k ${upper.k}; train has p ${train.p}, k ${train.k}`);
  const { p, k, n } = train;
  const beta = opts.beta ?? 0.9;
  const scale = opts.lossScale ?? 1;
  const rng = new Rng(opts.seed);
  const b = Math.min(opts.batch, n);
  const bu = Math.min(opts.batch, upper.n);
  const batchOf = (size: number, total: number): Int32Array => {
    const out = new Int32Array(size);
    for (let t = 0; t < size; t++) out[t] = rng.int(total);
    return out;
  };
  const W = new Float64Array(p * k);
  const lambda = new Float64Array(n).fill(opts.lambda0 ?? 1);
  const z = new Float64Array(p * k);
  const m = new Float64Array(n);
  const hvp = new Float64Array(p * k);
  const cross = new Float64Array(n);
  const gW = new Float64Array(p * k);
  const gF = new Float64Array(p * k);
  const sig = (i: number) => sigmoid(lambda[i]);
  const lowerSteps = (count: number) => {
    for (let s = 0; s < count; s++) {
      weightedCE(train, W, sig, batchOf(b, n), gW);
      for (let q = 0; q < W.length; q++) W[q] -= opts.innerLr * (gW[q] + 2 * opts.mu * W[q]);
    }
  };
  const upperLoss: Array<{ step: number; loss: number }> = [];
  const record = (t: number) => {
    const loss = scale * weightedCE(upper, W, () => 1, allRows(upper.n), null);
    upperLoss.push({ step: t, loss });
    opts.observe?.(t, { W, lambda, upperLoss: loss });
  };
  lowerSteps(opts.warmStart);
  let diverged = false;
  for (let t = 0; t < opts.steps; t++) {
    if (opts.every && t % opts.every === 0) record(t);
    if (t > 0 && t % opts.period === 0) lowerSteps(opts.innerSteps);
    if (opts.update === "none") continue;
    weightedCE(upper, W, () => 1, batchOf(bu, upper.n), gF);
    const rows = batchOf(b, n);
    secondOrderInto(train, W, lambda, opts.mu, z, rows, hvp, cross);
    // ĝ = −cross (∇_λ F = 0 here), computed with the z from before this step's solver update.
    for (let q = 0; q < z.length; q++) z[q] -= opts.nu * (hvp[q] - scale * gF[q]);
    if (opts.update === "bo-rep") {
      let norm = 0;
      for (let i = 0; i < n; i++) {
        m[i] = beta * m[i] - (1 - beta) * cross[i];
        norm += m[i] * m[i];
      }
      const step = opts.eta / (Math.sqrt(norm) + 1e-12);
      for (let i = 0; i < n; i++) lambda[i] -= step * m[i];
    } else if (opts.update === "sgd") {
      for (let i = 0; i < n; i++) lambda[i] += opts.eta * cross[i];
    }
    if (!finiteAll(lambda) || !finiteAll(W) || !finiteAll(z)) {
      diverged = true;
      break;
    }
  }
  if (!diverged) record(opts.steps);
  return { W, lambda, upperLoss, diverged };
}
