// One-hidden-layer sigmoid networks for gradient-boosted sequential training (GBNN, Emami &
// Martínez-Muñoz 2023): a tfjs net to fit (SigmoidNet), and float64 pieces on plain arrays —
// evaluation, the multiclass Newton step, assembling boosted stages into one wide net, and
// keeping a subset of hidden units (the truncation test).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertFinite, assertPositiveInt, fail } from "../core/validate";

/** Weights of logits = σ(xU + c)V + d, U [dim×J], V [J×K], as plain float64 arrays. */
export interface SigmoidWeights {
  U: number[][];
  c: number[];
  V: number[][];
  d: number[];
}

/** A trainable sigmoid net (tfjs) with Glorot-uniform U, V and zero biases, from a seeded Rng. */
export class SigmoidNet {
  readonly U: tf.Variable;
  readonly c: tf.Variable;
  readonly V: tf.Variable;
  readonly d: tf.Variable;
  constructor(
    readonly dim: number,
    readonly units: number,
    readonly outputs: number,
    seed: number,
  ) {
    assertPositiveInt("dim", dim);
    assertPositiveInt("units", units);
    assertPositiveInt("outputs", outputs);
    const rng = new Rng(seed);
    const glorot = (a: number, b: number) => {
      const lim = Math.sqrt(6 / (a + b));
      return Float32Array.from({ length: a * b }, () => (2 * rng.next() - 1) * lim);
    };
    this.U = tf.tidy(() => tf.variable(tf.tensor2d(glorot(dim, units), [dim, units])));
    this.c = tf.tidy(() => tf.variable(tf.zeros([units])));
    this.V = tf.tidy(() => tf.variable(tf.tensor2d(glorot(units, outputs), [units, outputs])));
    this.d = tf.tidy(() => tf.variable(tf.zeros([outputs])));
  }
  variables(): tf.Variable[] {
    return [this.U, this.c, this.V, this.d];
  }
  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.dim) fail("x", `must be [batch, ${this.dim}], got [${x.shape}]`);
    return tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(x, this.U), this.c)), this.V), this.d) as tf.Tensor2D;
  }
  /** Current weights as float64 arrays. */
  weights(): SigmoidWeights {
    const rows = (t: tf.Variable) => t.arraySync() as number[][];
    return { U: rows(this.U), c: this.c.arraySync() as number[], V: rows(this.V), d: this.d.arraySync() as number[] };
  }
  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

function checkWeights(w: SigmoidWeights, arg = "net"): { dim: number; J: number; K: number } {
  if (!w || !Array.isArray(w.U) || !Array.isArray(w.V)) fail(arg, "must hold U, c, V, d");
  const dim = w.U.length;
  const J = w.c.length;
  const K = w.d.length;
  if (dim === 0 || J === 0 || K === 0) fail(arg, "has an empty dimension");
  w.U.forEach((r, i) => r.length !== J && fail(`${arg}.U[${i}]`, `must have ${J} entries (one per unit)`));
  if (w.V.length !== J) fail(`${arg}.V`, `must have ${J} rows (one per unit), got ${w.V.length}`);
  w.V.forEach((r, i) => r.length !== K && fail(`${arg}.V[${i}]`, `must have ${K} entries (one per output)`));
  return { dim, J, K };
}

/** Logits for n rows of x (n×dim, row-major), float64. */
export function sigmoidNetLogits(net: SigmoidWeights, x: ArrayLike<number>, n: number): Float64Array {
  const { dim, J, K } = checkWeights(net);
  if (x.length !== n * dim) fail("x", `has ${x.length} values; n·dim = ${n * dim}`);
  const out = new Float64Array(n * K);
  const h = new Float64Array(J);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < J; j++) h[j] = net.c[j];
    for (let a = 0; a < dim; a++) {
      const v = x[i * dim + a];
      if (v === 0) continue;
      const row = net.U[a];
      for (let j = 0; j < J; j++) h[j] += v * row[j];
    }
    for (let k = 0; k < K; k++) out[i * K + k] = net.d[k];
    for (let j = 0; j < J; j++) {
      const s = 1 / (1 + Math.exp(-h[j]));
      const row = net.V[j];
      for (let k = 0; k < K; k++) out[i * K + k] += s * row[k];
    }
  }
  return out;
}

/** Row-wise softmax of n×K logits. */
export function softmaxRows(logits: ArrayLike<number>, K: number): Float64Array {
  const n = logits.length / K;
  const p = new Float64Array(logits.length);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += p[i * K + k] = Math.exp(logits[i * K + k] - mx);
    for (let k = 0; k < K; k++) p[i * K + k] /= s;
  }
  return p;
}

/**
 * The multiclass Newton step of GBNN for a stage output h (n×K) at probabilities p with
 * labels y: ρ = Σ h(e_y − p) / Σ h² p(1 − p) — one Newton step on ρ ↦ CE(F + ρh) with the
 * diagonal of the softmax Hessian.
 */
export function gbnnNewtonStep(h: ArrayLike<number>, p: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  assertPositiveInt("K", K);
  assertFinite("h", h);
  assertFinite("p", p);
  if (h.length !== p.length) fail("p", `has ${p.length} values; h has ${h.length}`);
  if (h.length !== y.length * K) fail("y", `has ${y.length} labels; h holds ${h.length / K} rows of ${K}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++)
    for (let k = 0; k < K; k++) {
      const q = i * K + k;
      num += h[q] * ((y[i] === k ? 1 : 0) - p[q]);
      den += h[q] * h[q] * p[q] * (1 - p[q]);
    }
  if (!(den > 0)) fail("h", "gives a zero curvature (all-zero output or saturated probabilities)");
  return num / den;
}

/**
 * Concatenates stages into one net: hidden units side by side, output rows scaled by each
 * stage's factor (η ρ_t), biases summed — so its logits equal F₀ + Σ_t factor_t · h_t(x).
 */
export function assembleStages(stages: SigmoidWeights[], factors: number[], init?: number[]): SigmoidWeights {
  if (!Array.isArray(stages) || stages.length === 0) fail("stages", "must be a non-empty array");
  if (!Array.isArray(factors) || factors.length !== stages.length)
    fail("factors", `must have one entry per stage (${stages.length})`);
  assertFinite("factors", factors);
  const first = checkWeights(stages[0], "stages[0]");
  const d = init ? init.slice() : new Array<number>(first.K).fill(0);
  if (d.length !== first.K) fail("init", `must have ${first.K} entries (one per output)`);
  const U = Array.from({ length: first.dim }, () => [] as number[]);
  const c: number[] = [];
  const V: number[][] = [];
  stages.forEach((s, t) => {
    const sh = checkWeights(s, `stages[${t}]`);
    if (sh.dim !== first.dim || sh.K !== first.K) fail(`stages[${t}]`, "has a different input or output width");
    s.U.forEach((row, a) => U[a].push(...row));
    c.push(...s.c);
    s.V.forEach((row) => V.push(row.map((v) => factors[t] * v)));
    s.d.forEach((v, k) => (d[k] += factors[t] * v));
  });
  return { U, c, V, d };
}

/** The same net restricted to the listed hidden units (output bias kept). */
export function keepUnits(net: SigmoidWeights, units: number[]): SigmoidWeights {
  const { J } = checkWeights(net);
  if (!Array.isArray(units) || units.length === 0) fail("units", "must list at least one hidden unit");
  units.forEach((u, i) => {
    if (!Number.isInteger(u) || u < 0 || u >= J) fail("units", `entry ${i} is ${u}; expected a unit in [0, ${J})`);
  });
  return {
    U: net.U.map((row) => units.map((u) => row[u])),
    c: units.map((u) => net.c[u]),
    V: units.map((u) => net.V[u].slice()),
    d: net.d.slice(),
  };
}
