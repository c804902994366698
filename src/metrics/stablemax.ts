// StableMax, softmax collapse and the NLM cosine (Prieto et al., "Grokking at the Edge of
// Numerical Stability", ICLR 2025). Metrics run in float64 over ml-matrix; softmaxCollapse
// emulates a chosen float format op by op, because collapse IS a rounding effect.
import * as tf from "@tensorflow/tfjs";
import { Matrix, toMl } from "../linalg/convert";
import { assertKnownOptions, assertLabels, fail } from "../core/validate";

/** s(x) = x + 1 for x ≥ 0, 1/(1 − x) for x < 0: linear growth instead of exp. */
function sFn(x: number): number {
  return x >= 0 ? x + 1 : 1 / (1 - x);
}

/** StableMax probabilities per row (float64): s(z_i) / Σ_j s(z_j). */
export function stablemax(logits: Matrix): number[][] {
  const z = toMl(logits, "logits").to2DArray();
  return z.map((row) => {
    const s = row.map(sFn);
    const tot = s.reduce((a, b) => a + b, 0);
    return s.map((v) => v / tot);
  });
}

/**
 * Per-sample −log StableMax_y (float64), as log1p(Σ_{j≠y} s_j / s_y) so a dominant correct
 * class does not absorb the other terms (the loss stays > 0 where softmax CE reads 0).
 */
export function stablemaxCrossEntropy(logits: Matrix, labels: ArrayLike<number>): number[] {
  const z = toMl(logits, "logits").to2DArray();
  assertLabels("labels", labels, z[0].length, z.length);
  return z.map((row, i) => {
    const y = labels[i];
    let others = 0;
    for (let j = 0; j < row.length; j++) if (j !== y) others += sFn(row[j]);
    return Math.log1p(others / sFn(row[y]));
  });
}

/**
 * Mean StableMax cross-entropy as a differentiable tf scalar (for training). Uses
 * s(x) = relu(x) + 1/(1 + relu(−x)) (equal to the piecewise form, no tf.where needed) and
 * the same log1p form as stablemaxCrossEntropy. `labels`: class indices.
 */
export function stablemaxLoss(logits: tf.Tensor2D, labels: tf.Tensor1D | ArrayLike<number>): tf.Scalar {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) fail("logits", "must be a 2-D tensor [batch, classes]");
  const [n, c] = logits.shape;
  if (n === 0 || c === 0) fail("logits", `is empty (shape [${n}, ${c}])`);
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== n)
      fail("labels", `must be a 1-D tensor of length ${n}, got shape [${labels.shape}]`);
  } else {
    assertLabels("labels", labels, c, n);
  }
  return tf.tidy(() => {
    const y = labels instanceof tf.Tensor ? labels.toInt() : tf.tensor1d(Array.from(labels), "int32");
    const onehot = tf.oneHot(y as tf.Tensor1D, c).toFloat();
    const s = tf.add(tf.relu(logits), tf.reciprocal(tf.add(1, tf.relu(tf.neg(logits)))));
    const sy = tf.sum(tf.mul(s, onehot), 1);
    const others = tf.sum(tf.mul(s, tf.sub(1, onehot)), 1);
    return tf.mean(tf.log1p(tf.div(others, sy))) as tf.Scalar;
  });
}

// ---- Float formats, emulated in float64 -------------------------------------------------

export type FloatPrecision = "float64" | "float32" | "float16" | "bfloat16";
export const FLOAT_PRECISIONS: readonly FloatPrecision[] = ["bfloat16", "float16", "float32", "float64"];

interface Format {
  /** Significand bits including the implicit one. */
  sig: number;
  /** Smallest normal exponent. */
  minExp: number;
  /** Largest finite value. */
  max: number;
}

const FORMATS: Record<Exclude<FloatPrecision, "float64">, Format> = {
  float32: { sig: 24, minExp: -126, max: (2 - 2 ** -23) * 2 ** 127 },
  float16: { sig: 11, minExp: -14, max: 65504 },
  bfloat16: { sig: 8, minExp: -126, max: (2 - 2 ** -7) * 2 ** 127 },
};

/** Significand bits (with the implicit one) of a format: 8, 11, 24 or 53. */
export function significandBits(precision: FloatPrecision): number {
  checkPrecision(precision);
  return precision === "float64" ? 53 : FORMATS[precision].sig;
}

function checkPrecision(precision: unknown): asserts precision is FloatPrecision {
  if (!(FLOAT_PRECISIONS as readonly unknown[]).includes(precision)) {
    fail("precision", `unknown float format "${String(precision)}" (known: ${FLOAT_PRECISIONS.join(", ")})`);
  }
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // high word index
const POW2 = new Float64Array(2200).map((_, i) => 2 ** (i - 1100));

/** Rounds a float64 to the nearest value of `precision` (ties to even, subnormals, overflow → ±Inf). */
export function roundToPrecision(x: number, precision: FloatPrecision): number {
  checkPrecision(precision);
  return roundTo(x, precision);
}

function roundTo(x: number, precision: FloatPrecision): number {
  if (precision === "float64" || !Number.isFinite(x) || x === 0) return x;
  if (precision === "float32") return Math.fround(x);
  const f = FORMATS[precision];
  const a = Math.abs(x);
  F64[0] = a;
  // Unbiased exponent from the bits (a float64 subnormal is far below any target's range).
  const e = ((U32[HI] >>> 20) & 0x7ff) - 1023;
  // Below the normal range the quantum stays fixed (gradual underflow).
  const qe = Math.max(e, f.minExp) - f.sig + 1;
  const q = POW2[qe + 1100];
  const r = roundHalfEven(a * POW2[1100 - qe]) * q;
  return x < 0 ? -(r > f.max ? Infinity : r) : r > f.max ? Infinity : r;
}

export interface CollapseOptions {
  /** Float format the softmax is evaluated in (default float32, as the paper logs it). */
  precision?: FloatPrecision;
}

export interface SoftmaxCollapse {
  /** Fraction of rows whose max-shifted exp-sum Σ_j exp(z_j − max z) is exactly 1. */
  collapsedFraction: number;
  /** Fraction of rows whose cross-entropy (log-softmax form) is exactly 0. */
  zeroLossFraction: number;
}

/** Validated rows of logits plus the rounding function of the requested float format. */
function collapseInputs(logits: Matrix, labels: ArrayLike<number>, opts: CollapseOptions) {
  assertKnownOptions("opts", opts, ["precision"]);
  const precision = opts.precision ?? "float32";
  checkPrecision(precision);
  const ml = toMl(logits, "logits");
  assertLabels("labels", labels, ml.columns, ml.rows);
  const R = precision === "float64" ? (v: number) => v : (v: number) => roundTo(v, precision);
  return { n: ml.rows, c: ml.columns, rows: ml.to2DArray(), R };
}

/**
 * Softmax collapse as the paper's logger measures it, with every op rounded to `precision`:
 * d_j = z_j − max, e_j = exp(d_j), S = Σ e_j (summed in index order), loss = log S − d_y.
 * Logits are rounded to the format first (float32 tensors are unchanged by that).
 */
export function softmaxCollapse(
  logits: Matrix,
  labels: ArrayLike<number>,
  opts: CollapseOptions = {},
): SoftmaxCollapse {
  const { n, c, rows, R } = collapseInputs(logits, labels, opts);
  let collapsed = 0;
  let zeroLoss = 0;
  const z = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    const row = rows[i];
    for (let j = 0; j < c; j++) {
      z[j] = R(row[j]);
      if (z[j] > m) m = z[j];
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum = R(sum + R(Math.exp(R(z[j] - m))));
    if (sum === 1) collapsed++;
    const loss = R(R(Math.log(sum)) - R(z[labels[i]] - m));
    if (loss === 0) zeroLoss++;
  }
  return { collapsedFraction: collapsed / n, zeroLossFraction: zeroLoss / n };
}

/**
 * The same absorption test for StableMax, in the run's own normaliser: the fraction of rows
 * whose Σ_j s_j / s_max is exactly 1 in `precision`, and whose loss −log(s_y / Σ_j s_j) is
 * exactly 0. StableMax grows linearly, so this needs astronomically larger logits than softmax.
 */
export function stablemaxCollapse(
  logits: Matrix,
  labels: ArrayLike<number>,
  opts: CollapseOptions = {},
): SoftmaxCollapse {
  const { n, c, rows, R } = collapseInputs(logits, labels, opts);
  let collapsed = 0;
  let zeroLoss = 0;
  const s = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    let m = 0;
    const row = rows[i];
    for (let j = 0; j < c; j++) {
      const z = R(row[j]);
      s[j] = z >= 0 ? R(z + 1) : R(1 / R(1 - z));
      if (s[j] > m) m = s[j];
    }
    let ratio = 0;
    let total = 0;
    for (let j = 0; j < c; j++) {
      ratio = R(ratio + R(s[j] / m));
      total = R(total + s[j]);
    }
    if (ratio === 1) collapsed++;
    if (R(Math.log(R(s[labels[i]] / total))) === 0) zeroLoss++;
  }
  return { collapsedFraction: collapsed / n, zeroLossFraction: zeroLoss / n };
}

/** Logit gap at which exp(−gap) falls below half an ulp of 1, so the sum is exactly 1: ln 2 · significand bits. */
export function collapseGap(precision: FloatPrecision): number {
  return Math.LN2 * significandBits(precision);
}

// ---- Gradient absorption: the real backward pass, and an absorption-free cross-entropy ----

export interface ZeroGradient {
  /** Fraction of rows whose correct-class logit gets exactly 0 from the backward pass. */
  targetFraction: number;
  /** Fraction of rows whose whole logit gradient is exactly 0. */
  rowFraction: number;
}

/**
 * Per-sample gradient of tf's log-softmax cross-entropy with respect to the logits (the
 * backward pass training runs, in the tensor's float format), and the fractions of rows it
 * zeroes. The correct-class entry is (softmax_y − 1): exactly 0 when softmax_y rounds to 1.
 */
export function zeroGradientFraction(logits: tf.Tensor2D, labels: ArrayLike<number>): ZeroGradient {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) fail("logits", "must be a 2-D tensor [batch, classes]");
  const [n, c] = logits.shape;
  if (n === 0 || c === 0) fail("logits", `is empty (shape [${n}, ${c}])`);
  assertLabels("labels", labels, c, n);
  const g = tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), c).toFloat();
    // Sum (not mean) over rows, so each row's gradient is that sample's own, unscaled.
    const f = (z: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(z as tf.Tensor2D), onehot)));
    return tf.grad(f)(logits);
  });
  const d = g.dataSync();
  g.dispose();
  let target = 0;
  let row = 0;
  for (let i = 0; i < n; i++) {
    if (d[i * c + labels[i]] === 0) target++;
    let all = true;
    for (let j = 0; j < c && all; j++) if (d[i * c + j] !== 0) all = false;
    if (all) row++;
  }
  return { targetFraction: target / n, rowFraction: row / n };
}

/**
 * Per-sample softmax cross-entropy in float64, written as log1p(Σ_{j≠y} exp(z_j − z_y)) so a
 * dominant correct class never absorbs the other terms (> 0 wherever some exp(z_j − z_y) > 0).
 */
export function log1pCrossEntropy(logits: Matrix, labels: ArrayLike<number>): number[] {
  const z = toMl(logits, "logits").to2DArray();
  assertLabels("labels", labels, z[0].length, z.length);
  return z.map((row, i) => {
    let others = 0;
    for (let j = 0; j < row.length; j++) if (j !== labels[i]) others += Math.exp(row[j] - row[labels[i]]);
    return Math.log1p(others);
  });
}

/**
 * Mean softmax cross-entropy for training with loss and gradient computed in float64 from the
 * logits (log1p form, see log1pCrossEntropy); only the gradient handed back is float32. The
 * gradient of row i: (e_j / (1 + Σ)) / n for j ≠ y and −(Σ / (1 + Σ)) / n for y, with
 * e_j = exp(z_j − z_y) and Σ = Σ_{j≠y} e_j: no rounding of the sum to 1 can zero it.
 */
export function log1pCrossEntropyLoss(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) fail("logits", "must be a 2-D tensor [batch, classes]");
  const [n, c] = logits.shape;
  if (n === 0 || c === 0) fail("logits", `is empty (shape [${n}, ${c}])`);
  assertLabels("labels", labels, c, n);
  const f = tf.customGrad(((z: tf.Tensor2D) => {
    const v = z.dataSync();
    const grad = new Float32Array(n * c);
    let total = 0;
    const e = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      const zy = v[i * c + y];
      let others = 0;
      for (let j = 0; j < c; j++) {
        e[j] = j === y ? 0 : Math.exp(v[i * c + j] - zy);
        others += e[j];
      }
      total += Math.log1p(others);
      for (let j = 0; j < c; j++) grad[i * c + j] = (j === y ? -others : e[j]) / (1 + others) / n;
    }
    return {
      value: tf.scalar(total / n),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor2d(grad, [n, c])),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}

// ---- NLM cosine ---------------------------------------------------------------------------

export type ParamList = ReadonlyArray<tf.Tensor | ArrayLike<number>> | tf.NamedTensorMap;

function flatten(list: ParamList, arg: string): { names: string[]; parts: Float64Array[] } {
  if (list == null || typeof list !== "object") fail(arg, "must be an array of tensors/arrays or a name → tensor map");
  const entries: [string, tf.Tensor | ArrayLike<number>][] = Array.isArray(list)
    ? (list as ReadonlyArray<tf.Tensor | ArrayLike<number>>).map((v, i) => [String(i), v])
    : Object.entries(list as tf.NamedTensorMap);
  if (entries.length === 0) fail(arg, "is empty");
  const parts = entries.map(([name, v]) => {
    let data: ArrayLike<number>;
    if (v instanceof tf.Tensor) data = v.dataSync();
    else if (v != null && typeof (v as ArrayLike<number>).length === "number") data = v as ArrayLike<number>;
    else return fail(arg, `entry "${name}" must be a tf.Tensor or an array of numbers`);
    const out = Float64Array.from(data as ArrayLike<number>);
    for (let k = 0; k < out.length; k++) {
      if (!Number.isFinite(out[k])) fail(arg, `entry "${name}" value ${k} is ${out[k]}; expected a finite number`);
    }
    return out;
  });
  return { names: entries.map(([n]) => n), parts };
}

/**
 * cos(−∇L, θ) over all parameters concatenated (float64). Near 1 means the gradient step
 * mostly scales θ: naive loss minimisation. 0 when either vector is all zeros.
 */
export function nlmCosine(grads: ParamList, params: ParamList): number {
  const g = flatten(grads, "grads");
  const p = flatten(params, "params");
  if (g.parts.length !== p.parts.length) fail("grads", `has ${g.parts.length} tensors; params has ${p.parts.length}`);
  if (!Array.isArray(grads) && g.names.join() !== p.names.join())
    fail("grads", `keys [${g.names}] do not match params keys [${p.names}]`);
  let dot = 0;
  let gg = 0;
  let pp = 0;
  g.parts.forEach((gv, t) => {
    const pv = p.parts[t];
    if (gv.length !== pv.length)
      fail("grads", `entry "${g.names[t]}" has ${gv.length} values; its parameter has ${pv.length}`);
    for (let k = 0; k < gv.length; k++) {
      dot += gv[k] * pv[k];
      gg += gv[k] * gv[k];
      pp += pv[k] * pv[k];
    }
  });
  if (gg === 0 || pp === 0) return 0;
  return -dot / Math.sqrt(gg * pp);
}
