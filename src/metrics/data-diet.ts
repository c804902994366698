// Data Diet scores (Paul, Ganguli & Dziugaite, NeurIPS 2021): EL2N = ‖softmax(f(x)) − onehot(y)‖₂
// and GraNd = ‖∇_θ ℓ(x, y)‖₂ per example, their average over independent inits, and
// score-based pruning. GraNd needs *per-example* gradients; for chains of Dense layers the
// exact closed form sqrt(Σ_l ‖δ_l‖²(‖a_{l−1}‖² + 1)) gets them from one batched backward pass.
import * as tf from "@tensorflow/tfjs";
import { Matrix, toArray2D } from "../linalg/convert";
import { crossEntropy } from "../nn/losses";
import { MLP } from "../nn/mlp";
import { Rng } from "../core/random";
import { assertFinite, assertKnownOptions, assertLabels, assertNonEmpty, fail } from "../core/validate";

/** EL2N per example: ‖p_i − onehot(y_i)‖₂ for probability rows p_i (rows must sum to 1). */
export function el2nScores(probs: Matrix, labels: ArrayLike<number>): number[] {
  const p = toArray2D(probs, "probs");
  const c = p[0].length;
  assertLabels("labels", labels, c, p.length);
  return p.map((row, i) => {
    let s = 0;
    let sq = 0;
    for (let k = 0; k < c; k++) {
      const v = row[k];
      if (v < -1e-6 || v > 1 + 1e-6) fail("probs", `row ${i} entry ${k} is ${v}; probabilities lie in [0, 1]`);
      s += v;
      const d = v - (k === labels[i] ? 1 : 0);
      sq += d * d;
    }
    if (Math.abs(s - 1) > 1e-3) fail("probs", `row ${i} sums to ${s}; expected 1 (pass softmax outputs, not logits)`);
    return Math.sqrt(sq);
  });
}

/** EL2N from logits (softmax applied here, in float32). */
export function el2nFromLogits(logits: tf.Tensor2D, labels: ArrayLike<number>): number[] {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) fail("logits", "must be a 2-D tensor [batch, classes]");
  const p = tf.softmax(logits) as tf.Tensor2D;
  try {
    return el2nScores(p, labels);
  } finally {
    p.dispose();
  }
}

// ---------- GraNd ----------

type Act = "linear" | "relu" | "tanh" | "sigmoid";
/** One Dense layer of a chain: z = a W + b, a' = act(z). */
interface DenseStep {
  w: tf.Tensor2D;
  b: tf.Tensor1D | null;
  act: Act;
  trainable: boolean;
}
/** A chain of Dense layers whose last output is the logits (a final softmax is folded into the loss). */
interface DenseChain {
  flattenInput: boolean;
  steps: DenseStep[];
}

export interface GrandOptions {
  /** "auto" (default): closed form when the model is a chain of Dense layers, else autograd. */
  method?: "auto" | "closed-form" | "autograd";
  /** Examples per batched closed-form pass (memory bound); default 512. */
  batchSize?: number;
}

const ACTS: readonly string[] = ["linear", "relu", "tanh", "sigmoid"];

/** The Dense chain a Sequential model (or initlab MLP) computes, or null if it is something else. */
function denseChain(model: tf.LayersModel | MLP): DenseChain | null {
  if (model instanceof MLP) {
    const L = model.weights.length;
    const act = model.config.activation as Act;
    return {
      flattenInput: false,
      steps: model.weights.map((w, l) => ({ w, b: model.biases[l], act: l + 1 < L ? act : "linear", trainable: true })),
    };
  }
  if (!(model instanceof tf.Sequential)) return null;
  const steps: DenseStep[] = [];
  let flattenInput = false;
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as { activation?: string; useBias?: boolean };
    if (cls === "Flatten" && steps.length === 0) {
      flattenInput = true;
      continue;
    }
    if (cls === "Dropout" || cls === "InputLayer") continue; // identity in eval mode, where scores are taken
    if (cls !== "Dense") return null;
    const act = cfg.activation ?? "linear";
    const isLast = i === layers.length - 1;
    if (!(ACTS.includes(act) || (act === "softmax" && isLast))) return null;
    const ws = layer.weights.map((v) => v.read());
    const w = ws.find((v) => v.rank === 2) as tf.Tensor2D | undefined;
    const b = (ws.find((v) => v.rank === 1) as tf.Tensor1D | undefined) ?? null;
    if (!w) return null;
    steps.push({ w, b, act: act === "softmax" ? "linear" : (act as Act), trainable: layer.trainable });
  }
  return steps.length ? { flattenInput, steps } : null;
}

function actFwd(z: tf.Tensor2D, act: Act): tf.Tensor2D {
  return act === "relu" ? tf.relu(z) : act === "tanh" ? tf.tanh(z) : act === "sigmoid" ? tf.sigmoid(z) : z;
}

/** σ'(z), matching tfjs's own gradients (relu'(0) = 0). */
function actGrad(z: tf.Tensor2D, act: Act): tf.Tensor2D {
  if (act === "relu") return tf.step(z) as tf.Tensor2D;
  if (act === "tanh") return tf.sub(1, tf.square(tf.tanh(z))) as tf.Tensor2D;
  if (act === "sigmoid") {
    const s = tf.sigmoid(z);
    return tf.mul(s, tf.sub(1, s)) as tf.Tensor2D;
  }
  return tf.onesLike(z) as tf.Tensor2D;
}

/** Squared per-example gradient norms of one batch by the Dense closed form, shape [n]. */
function closedFormSq(chain: DenseChain, x: tf.Tensor, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    let a = (chain.flattenInput ? tf.reshape(x, [x.shape[0], -1]) : x) as tf.Tensor2D;
    const inputs: tf.Tensor2D[] = [];
    const pre: tf.Tensor2D[] = [];
    for (const s of chain.steps) {
      inputs.push(a);
      let z: tf.Tensor2D = tf.matMul(a, s.w);
      if (s.b) z = tf.add(z, s.b) as tf.Tensor2D;
      pre.push(z);
      a = actFwd(z, s.act);
    }
    const L = chain.steps.length;
    const c = a.shape[1];
    // ∂ℓ/∂logits = softmax − onehot; then through the last activation.
    let delta = tf.mul(
      tf.sub(tf.softmax(a), tf.oneHot(y, c).toFloat()),
      actGrad(pre[L - 1], chain.steps[L - 1].act),
    ) as tf.Tensor2D;
    let total = tf.zeros([a.shape[0]]) as tf.Tensor1D;
    for (let l = L - 1; l >= 0; l--) {
      const s = chain.steps[l];
      if (s.trainable) {
        // ‖δ aᵀ‖_F² = ‖δ‖²‖a‖² per example; the bias gradient is δ itself.
        const d2 = tf.sum(tf.square(delta), 1);
        const a2 = tf.sum(tf.square(inputs[l]), 1);
        total = tf.add(total, tf.mul(d2, s.b ? tf.add(a2, 1) : a2));
      }
      if (l > 0)
        delta = tf.mul(tf.matMul(delta, s.w, false, true), actGrad(pre[l - 1], chain.steps[l - 1].act)) as tf.Tensor2D;
    }
    return total;
  });
}

/** Logits of a model for autograd: a final softmax (layer or activation) is peeled off so the loss stays logSoftmax-based. */
function logitsOf(model: tf.LayersModel | MLP, x: tf.Tensor): tf.Tensor2D {
  if (model instanceof MLP) return model.forward(x as tf.Tensor2D);
  if (model instanceof tf.Sequential) {
    let h = x;
    const layers = model.layers;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      const cfg = layer.getConfig() as { activation?: string };
      if (layer.getClassName() === "InputLayer") continue;
      if (i === layers.length - 1 && cfg.activation === "softmax") {
        if (layer.getClassName() === "Activation") return h as tf.Tensor2D;
        if (layer.getClassName() === "Dense") {
          const ws = layer.weights.map((v) => v.read());
          const w = ws.find((v) => v.rank === 2) as tf.Tensor2D;
          const b = ws.find((v) => v.rank === 1);
          const z = tf.matMul(h as tf.Tensor2D, w);
          return (b ? tf.add(z, b) : z) as tf.Tensor2D;
        }
      }
      h = layer.apply(h, { training: false }) as tf.Tensor;
    }
    return h as tf.Tensor2D;
  }
  const out = model.apply(x, { training: false });
  if (Array.isArray(out) || !(out instanceof tf.Tensor) || out.rank !== 2)
    fail("model", "must have one output of shape [batch, classes]");
  const last = model.layers[model.layers.length - 1];
  // A functional model ending in softmax: log of the probabilities (clipped) stands in for logSoftmax.
  if ((last.getConfig() as { activation?: string }).activation === "softmax")
    return tf.log(tf.maximum(out, 1e-30)) as tf.Tensor2D;
  return out as tf.Tensor2D;
}

function trainableVars(model: tf.LayersModel | MLP): tf.Variable[] {
  if (model instanceof MLP) return model.variables();
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function checkGrandInputs(model: unknown, x: tf.Tensor, labels: ArrayLike<number>): number {
  if (!(model instanceof MLP) && !(model instanceof tf.LayersModel))
    fail("model", "must be a tf.LayersModel or an initlab MLP");
  if (!(x instanceof tf.Tensor) || x.rank < 2) fail("x", "must be a tensor [batch, ...features]");
  const n = x.shape[0];
  if (n === 0) fail("x", "is empty (0 examples)");
  const want = model instanceof MLP ? [null, model.config.sizes[0]] : model.inputs[0].shape;
  if (want.length !== x.rank || want.some((d, i) => i > 0 && d != null && d !== x.shape[i])) {
    fail("x", `has shape [${x.shape}]; the model expects [${want.map((d) => d ?? "batch")}]`);
  }
  if (x.dtype !== "float32") fail("x", `must be float32, got ${x.dtype}`);
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(x))).dataSync()[0]);
  if (bad) fail("x", "contains NaN or Inf");
  if (labels == null || labels.length !== n)
    fail("labels", `must have ${n} entries (one per example), got ${labels?.length}`);
  return n;
}

function numClasses(model: tf.LayersModel | MLP): number {
  if (model instanceof MLP) return model.config.sizes[model.config.sizes.length - 1];
  const shape = model.outputs[0].shape;
  const c = shape[shape.length - 1];
  if (typeof c !== "number") fail("model", "output has an unknown number of classes");
  return c;
}

/** GraNd by autograd: one tf.variableGrads per example (exact for any differentiable model; slow). */
export function grandScoresAutograd(model: tf.LayersModel | MLP, x: tf.Tensor, labels: ArrayLike<number>): number[] {
  const n = checkGrandInputs(model, x, labels);
  assertLabels("labels", labels, numClasses(model), n);
  const vars = trainableVars(model);
  if (vars.length === 0) fail("model", "has no trainable parameters");
  const sq: tf.Scalar[] = [];
  try {
    for (let i = 0; i < n; i++) {
      sq.push(
        tf.tidy(() => {
          const xi = tf.slice(x, [i], [1]);
          const yi = tf.tensor1d([labels[i]], "int32");
          const { value, grads } = tf.variableGrads(() => crossEntropy(logitsOf(model, xi), yi), vars);
          value.dispose();
          return tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))) as tf.Scalar;
        }),
      );
    }
    return Array.from(tf.tidy(() => tf.sqrt(tf.stack(sq))).dataSync());
  } finally {
    sq.forEach((s) => s.dispose());
  }
}

/**
 * GraNd per example: ‖∇_θ CE(f(x_i), y_i)‖₂ over all trainable parameters. A tf.Sequential of
 * Dense layers (optionally a leading Flatten, Dropout as identity, a final softmax folded into
 * the loss) or an initlab MLP uses the exact closed form sqrt(Σ_l ‖δ_l‖²(‖a_{l−1}‖² + 1))
 * (no +1 for a layer without bias; frozen layers contribute nothing); anything else falls back
 * to per-example autograd. Scores are taken in eval mode (no dropout).
 */
export function grandScores(
  model: tf.LayersModel | MLP,
  x: tf.Tensor,
  labels: ArrayLike<number>,
  opts: GrandOptions = {},
): number[] {
  assertKnownOptions("opts", opts, ["method", "batchSize"]);
  const method = opts.method ?? "auto";
  if (!["auto", "closed-form", "autograd"].includes(method))
    fail("opts.method", `unknown method "${method}" (known: auto, closed-form, autograd)`);
  const bs = opts.batchSize ?? 512;
  if (!Number.isInteger(bs) || bs <= 0) fail("opts.batchSize", `must be a positive integer, got ${bs}`);
  const n = checkGrandInputs(model, x, labels);
  assertLabels("labels", labels, numClasses(model), n);
  const chain = method === "autograd" ? null : denseChain(model);
  if (!chain) {
    if (method === "closed-form") fail("model", 'is not a chain of Dense layers; use method "auto" or "autograd"');
    return grandScoresAutograd(model, x, labels);
  }
  if (!chain.steps.some((s) => s.trainable)) fail("model", "has no trainable parameters");
  const out: number[] = [];
  for (let s = 0; s < n; s += bs) {
    const e = Math.min(n, s + bs);
    const part = tf.tidy(() => {
      const xb = tf.slice(x, [s], [e - s]);
      const yb = tf.tensor1d(Array.from(labels).slice(s, e), "int32");
      return tf.sqrt(closedFormSq(chain, xb, yb));
    });
    out.push(...part.dataSync());
    part.dispose();
  }
  return out;
}

/** ‖x_i‖₂ per row: Kirsch (2023) found GraNd at init tracks it almost perfectly. */
export function inputNorms(x: tf.Tensor): number[] {
  if (!(x instanceof tf.Tensor) || x.rank < 2) fail("x", "must be a tensor [batch, ...features]");
  return Array.from(tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.reshape(x, [x.shape[0], -1])), 1))).dataSync());
}

// ---------- averaging over inits ----------

/** Element-wise mean of several score vectors (one per independently initialised run). */
export function averageScores(runs: ArrayLike<number>[]): number[] {
  if (!Array.isArray(runs) || runs.length === 0) fail("runs", "needs at least one score vector");
  runs.forEach((r, k) => assertNonEmpty(`runs[${k}]`, r));
  const n = runs[0].length;
  const out = new Array<number>(n).fill(0);
  runs.forEach((r, k) => {
    if (r.length !== n) fail("runs", `run ${k} has ${r.length} scores; run 0 has ${n}`);
    assertFinite(`runs[${k}]`, r);
    for (let i = 0; i < n; i++) out[i] += r[i] / runs.length;
  });
  return out;
}

/**
 * Runs `scoreRun(k, seed_k)` for k = 0..K−1, each meant to build and train a freshly
 * initialised model from seed_k (= baseSeed + 1000·k), and averages the scores (the paper's E_w).
 */
export async function averageOverInits(
  k: number,
  baseSeed: number,
  scoreRun: (run: number, seed: number) => ArrayLike<number> | Promise<ArrayLike<number>>,
): Promise<number[]> {
  if (!Number.isInteger(k) || k <= 0) fail("k", `must be a positive integer, got ${k}`);
  if (!Number.isFinite(baseSeed)) fail("baseSeed", `must be a finite number, got ${baseSeed}`);
  const runs: ArrayLike<number>[] = [];
  for (let r = 0; r < k; r++) runs.push(await scoreRun(r, baseSeed + 1000 * r));
  return averageScores(runs);
}

// ---------- pruning ----------

export type PruneOrder = "hardest" | "easiest" | "random";
/** A fraction of n when in [0, 1] (0 = none, 1 = all); an integer > 1 is a count; { count } is always a count. */
export type PruneAmount = number | { count: number };

export interface PruneOptions {
  keep: PruneAmount;
  /** Skip this many of the first-ranked examples before keeping (same units as keep); default 0. */
  offset?: PruneAmount;
  order: PruneOrder;
  /** Required for order "random". */
  seed?: number;
}

function amount(arg: string, a: PruneAmount, n: number): number {
  if (typeof a === "object" && a !== null) {
    assertKnownOptions(arg, a, ["count"]);
    if (!Number.isInteger(a.count) || a.count < 0) fail(arg, `count must be a non-negative integer, got ${a.count}`);
    return a.count;
  }
  if (typeof a !== "number" || !Number.isFinite(a) || a < 0)
    fail(arg, `must be a fraction in [0, 1] or an integer count, got ${String(a)}`);
  if (a <= 1) return Math.round(a * n);
  if (!Number.isInteger(a)) fail(arg, `${a} is above 1 so it is read as a count, but it is not an integer`);
  return a;
}

/**
 * Indices (ascending) of the examples kept when ranking by score: "hardest" ranks high scores
 * first (the paper's keep_max_scores), "easiest" low scores first, "random" a seeded
 * permutation. The first `offset` ranked examples are skipped (the paper's offset, for noisy
 * labels), then `keep` are kept. Ties rank the lower index first.
 */
export function pruneByScore(scores: ArrayLike<number>, opts: PruneOptions): number[] {
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object { keep, order, offset?, seed? }");
  assertKnownOptions("opts", opts, ["keep", "offset", "order", "seed"]);
  assertNonEmpty("scores", scores);
  assertFinite("scores", scores);
  const n = scores.length;
  if (!["hardest", "easiest", "random"].includes(opts.order))
    fail("opts.order", `unknown order "${String(opts.order)}" (known: hardest, easiest, random)`);
  if (opts.keep === undefined) fail("opts.keep", "is required");
  const keep = amount("opts.keep", opts.keep, n);
  const offset = opts.offset === undefined ? 0 : amount("opts.offset", opts.offset, n);
  if (offset + keep > n) fail("opts", `offset (${offset}) + keep (${keep}) exceeds the ${n} examples`);
  let ranked: number[];
  if (opts.order === "random") {
    if (opts.seed === undefined || !Number.isFinite(opts.seed))
      fail("opts.seed", 'a finite seed is required for order "random"');
    ranked = new Rng(opts.seed).permutation(n);
  } else {
    const sign = opts.order === "hardest" ? -1 : 1;
    ranked = Array.from({ length: n }, (_, i) => i).sort((a, b) => sign * (scores[a] - scores[b]) || a - b);
  }
  return ranked.slice(offset, offset + keep).sort((a, b) => a - b);
}
