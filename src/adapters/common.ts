// Shared plumbing for the adapter methods: config checks with named errors, a base class
// that owns the merge/unmerge bookkeeping, and small float64 helpers for SVD-based inits.
// Layout everywhere: tfjs kernels W [in, out], y = x W. The papers write torch W_t [out, in]
// with y = W_t x, so W = W_tᵀ: the SVD W = U Σ Vᵀ has U on the input side and V on the
// output side (torch's U_t = our V, V_t = our U), and a torch factor pair (B_t [out, r],
// A_t [r, in]) becomes our A = A_tᵀ [in, r], B = B_tᵀ [r, out] with ΔW = s·A B = (s·B_t A_t)ᵀ.
import * as tf from "@tensorflow/tfjs";
import { nextSeed } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { AdapterInitContext, DenseAdapter } from "./types";

export type Base2D = tf.Variable<tf.Rank.R2> | tf.Tensor2D;

/** A variable holding t's values; t itself is disposed (tf.variable keeps t alive otherwise). */
export function variableFrom<R extends tf.Rank>(t: tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** Checks the base kernel and returns [in, out]. */
export function checkBase(base: unknown): [number, number] {
  if (!(base instanceof tf.Tensor) || base.rank !== 2)
    fail("base", "must be a 2-D tf.Tensor or tf.Variable kernel [in, out]");
  const [i, o] = base.shape as [number, number];
  if (i === 0 || o === 0) fail("base", `is empty (shape [${i}, ${o}])`);
  return [i, o];
}

/** Checks the config object and its keys (unknown keys are an error naming the key). */
export function checkConfig(config: unknown, known: readonly string[], shape: string): void {
  if (config == null || typeof config !== "object" || Array.isArray(config))
    fail("config", `must be an object ${shape}`);
  assertKnownOptions("config", config as object, known);
}

/** r must be a positive integer ≤ maxRank (= min(in, out) unless a method needs less). */
export function checkRank(r: unknown, inDim: number, outDim: number, factor = 1, why = ""): number {
  if (typeof r !== "number" || !Number.isInteger(r) || r <= 0)
    fail("config.r", `must be a positive integer, got ${String(r)}`);
  const lim = Math.min(inDim, outDim);
  if (factor * r > lim) {
    fail(
      "config.r",
      factor === 1
        ? `is ${r}; it cannot exceed min(in, out) = ${lim}`
        : `is ${r}; ${why}, so ${factor}r cannot exceed min(in, out) = ${lim}`,
    );
  }
  return r;
}

/** α must be a positive finite number (default r). */
export function checkAlpha(alpha: unknown, r: number): number {
  const a = alpha ?? r;
  if (typeof a !== "number" || !Number.isFinite(a) || a <= 0)
    fail("config.alpha", `must be a positive finite number, got ${String(a)}`);
  return a;
}

export function checkPositive(arg: string, v: unknown, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== "number" || !Number.isFinite(x) || x <= 0)
    fail(arg, `must be a positive finite number, got ${String(x)}`);
  return x;
}

/** An optional finite number (default when absent), with an extra rule returning a problem or null. */
export function optNumber(arg: string, v: unknown, dflt: number, check?: (x: number) => string | null): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(arg, `must be a finite number, got ${String(v)}`);
  const problem = check?.(v);
  if (problem) fail(arg, problem);
  return v;
}

export function checkSeed(v: unknown): number {
  const s = v ?? nextSeed();
  if (typeof s !== "number" || !Number.isFinite(s)) fail("config.seed", `must be a finite number, got ${String(s)}`);
  return s;
}

/** Checks v is one of the listed names. */
export function checkChoice<T extends string>(arg: string, v: unknown, known: readonly T[], dflt: T): T {
  const x = v ?? dflt;
  if (typeof x !== "string" || !(known as readonly string[]).includes(x))
    fail(arg, `unknown ${arg.split(".").pop()} "${String(x)}" (known: ${known.join(", ")})`);
  return x as T;
}

/**
 * The float64 mean of per-batch tensors [in, out] from an init context (gradients or
 * inputs), validated: non-empty, right width, finite.
 */
export function meanOfBatches(
  ctx: AdapterInitContext | undefined,
  key: "gradients",
  inDim: number,
  outDim: number,
  sum = false,
): number[][] {
  const list = ctx?.[key];
  if (!Array.isArray(list) || list.length === 0)
    fail(`ctx.${key}`, `must be a non-empty array of [${inDim}, ${outDim}] tensors (this method's init needs them)`);
  const acc = Array.from({ length: inDim }, () => new Float64Array(outDim));
  list.forEach((g, b) => {
    if (!(g instanceof tf.Tensor) || g.rank !== 2 || g.shape[0] !== inDim || g.shape[1] !== outDim) {
      fail(
        `ctx.${key}`,
        `entry ${b} must be a [${inDim}, ${outDim}] tensor, got ${g instanceof tf.Tensor ? `[${g.shape}]` : typeof g}`,
      );
    }
    const d = g.dataSync();
    for (let i = 0; i < inDim; i++)
      for (let j = 0; j < outDim; j++) {
        const v = d[i * outDim + j];
        if (!Number.isFinite(v)) fail(`ctx.${key}`, `entry ${b} has a non-finite value at [${i}, ${j}]`);
        acc[i][j] += v;
      }
  });
  const k = sum ? 1 : list.length;
  return acc.map((row) => Array.from(row, (v) => v / k));
}

/** Columns idx of an n×k column matrix (as from svd), scaled per column by scale[c]. */
export function columns(M: number[][], idx: number[], scale?: number[]): number[][] {
  return M.map((row) => idx.map((c, j) => row[c] * (scale ? scale[j] : 1)));
}

/** Transpose of a nested array. */
export function transpose(M: number[][]): number[][] {
  return M.length === 0 ? [] : M[0].map((_, j) => M.map((row) => row[j]));
}

export const range = (a: number, b: number, step = 1): number[] => {
  const out: number[] = [];
  for (let i = a; i < b; i += step) out.push(i);
  return out;
};

/**
 * Base of the adapters in this folder: keeps the base kernel frozen and untouched except
 * while merged (merge stores the exact pre-merge kernel, so unmerge restores it bit for
 * bit), and derives effectiveWeight/merge from the subclass's deltaW(). Residual-init
 * methods never write their residual into `base`: they keep it in their own tensor, so
 * `base` is always W0_original (or W0 + ΔW while merged) and deltaW() is measured
 * against the original weight.
 */
export abstract class AdapterBase implements DenseAdapter {
  abstract readonly method: string;
  abstract readonly identityAtInit: boolean;
  readonly inDim: number;
  readonly outDim: number;
  readonly base: tf.Variable<tf.Rank.R2>;
  private readonly ownsBase: boolean;
  private saved: tf.Tensor2D | null = null;

  constructor(base: Base2D) {
    const [i, o] = checkBase(base);
    this.inDim = i;
    this.outDim = o;
    // A Variable is used in place (e.g. an MLP's kernel) and never trained here; a plain
    // tensor is copied into a frozen variable we own.
    this.ownsBase = !(base instanceof tf.Variable);
    this.base = base instanceof tf.Variable ? base : variableFrom(base.clone(), false);
  }

  get merged(): boolean {
    return this.saved !== null;
  }

  abstract trainableVariables(): tf.Variable[];
  abstract deltaW(): tf.Tensor2D;
  /** x W_eff through the adapter's own parametrisation (only called while unmerged). */
  protected abstract adaptedForward(x: tf.Tensor2D): tf.Tensor2D;
  /** Frees the adapter's own tensors (not the base). */
  protected abstract disposeOwn(): void;
  /** Throws when a data-driven init has not run yet (override). */
  protected ensureReady(): void {}

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== this.inDim)
      fail("x", `must be [batch, ${this.inDim}], got ${x instanceof tf.Tensor ? `[${x.shape}]` : typeof x}`);
    if (this.merged) return tf.matMul(x, this.base);
    this.ensureReady();
    return tf.tidy(() => this.adaptedForward(x));
  }

  effectiveWeight(): tf.Tensor2D {
    if (this.merged) return this.base.clone();
    return tf.tidy(() => tf.add(this.base, this.deltaW()) as tf.Tensor2D);
  }

  merge(): void {
    if (this.merged) return;
    this.ensureReady();
    const before = this.base.clone();
    tf.tidy(() => this.base.assign(tf.add(this.base, this.deltaW()) as tf.Tensor2D));
    this.saved = before;
  }

  unmerge(): void {
    if (!this.saved) return;
    this.base.assign(this.saved);
    this.saved.dispose();
    this.saved = null;
  }

  parameterCount(): number {
    return this.trainableVariables().reduce((s, v) => s + v.size, 0);
  }

  dispose(): void {
    this.disposeOwn();
    if (this.saved) this.saved.dispose();
    this.saved = null;
    if (this.ownsBase) this.base.dispose();
  }
}

/**
 * LoRA-shaped adapter with a residual base (PiSSA, LoRA-GA): trainable A [in, r], B [r, out],
 * frozen residual W_res = W0 − s·A0 B0, forward x W_res + s·(x A) B, and
 * ΔW = s·A B − s·A0 B0 (exactly 0 at init; the same ops produce both terms).
 */
export abstract class ResidualLoraBase extends AdapterBase {
  readonly identityAtInit = true;
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;
  /** W0 − s·A0 B0, frozen. */
  readonly residual: tf.Variable<tf.Rank.R2>;
  /** s·A0 B0, frozen (what was moved out of the base at init). */
  readonly initialProduct: tf.Variable<tf.Rank.R2>;

  constructor(base: Base2D, r: number, alpha: number, scale: number) {
    super(base);
    this.r = r;
    this.alpha = alpha;
    this.scale = scale;
    this.A = variableFrom(tf.zeros([this.inDim, r]), true);
    this.B = variableFrom(tf.zeros([r, this.outDim]), true);
    this.residual = variableFrom(this.base.clone(), false);
    this.initialProduct = variableFrom(tf.zeros([this.inDim, this.outDim]), false);
  }

  /** Sets A, B (nested arrays [in, r], [r, out]) and moves s·A B out of the base. */
  protected setFactors(a: number[][], b: number[][]): void {
    if (this.merged) fail("init", "cannot re-initialise a merged adapter; unmerge() first");
    tf.tidy(() => {
      this.A.assign(tf.tensor2d(a, [this.inDim, this.r]));
      this.B.assign(tf.tensor2d(b, [this.r, this.outDim]));
      const p = tf.mul(tf.matMul(this.A, this.B), this.scale) as tf.Tensor2D;
      this.initialProduct.assign(p);
      this.residual.assign(tf.sub(this.base, p) as tf.Tensor2D);
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(
      tf.matMul(x, this.residual),
      tf.mul(tf.matMul(tf.matMul(x, this.A), this.B), this.scale),
    ) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    this.ensureReady();
    return tf.tidy(() => tf.sub(tf.mul(tf.matMul(this.A, this.B), this.scale), this.initialProduct) as tf.Tensor2D);
  }

  protected disposeOwn(): void {
    for (const t of [this.A, this.B, this.residual, this.initialProduct]) t.dispose();
  }
}

/**
 * Base for adapters whose ΔW is defined against a frozen copy of the original W0 (SORSA,
 * LoLDU, DoRA): deltaW() stays measured against W0_original even while merged.
 */
export abstract class W0KeepingAdapter extends AdapterBase {
  /** Copy of the original W0 [in, out] (never trained). */
  protected readonly w0: tf.Tensor2D;

  constructor(base: Base2D) {
    super(base);
    this.w0 = this.base.clone();
  }

  abstract override parameterCount(): number;
  /** x·W_eff on the unmerged parametrisation. */
  protected abstract forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D;

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return this.forwardUnmerged(x);
  }

  override dispose(): void {
    super.dispose();
    this.w0.dispose();
  }
}
