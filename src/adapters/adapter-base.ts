// Common plumbing for adapters whose merged kernel is not simply base + (something added
// in place): residual-init methods (SORSA, LoLDU) and DoRA. They keep a copy of the
// ORIGINAL base W0 so that deltaW() = W_merged − W0_original whatever the parametrisation,
// and so that unmerge() restores W0 exactly instead of subtracting a rounded update.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../validate";
import { DenseAdapter } from "./types";

/** Validates a base kernel argument: a 2-D tensor [in, out]. */
export function checkBase(base: unknown): asserts base is tf.Tensor2D {
  if (!(base instanceof tf.Tensor) || base.rank !== 2) fail("base", "must be a 2-D tf.Tensor or tf.Variable kernel [in, out]");
  if (base.size === 0) fail("base", "is empty");
}

/** Validates a rank r against the layer's dimensions (1 ≤ r ≤ min(in, out)). */
export function checkRank(arg: string, r: unknown, inDim: number, outDim: number): number {
  if (typeof r !== "number" || !Number.isInteger(r) || r <= 0) fail(arg, `must be a positive integer, got ${String(r)}`);
  if (r > Math.min(inDim, outDim)) fail(arg, `is ${r}; it cannot exceed min(in, out) = ${Math.min(inDim, outDim)}`);
  return r;
}

/** Validates an optional finite number, returning the default when absent. */
export function optNumber(arg: string, v: unknown, dflt: number, check?: (x: number) => string | null): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(arg, `must be a finite number, got ${String(v)}`);
  const problem = check?.(v);
  if (problem) fail(arg, problem);
  return v;
}

/** Transpose of a plain 2-D array. */
export function transpose2D(a: number[][]): number[][] {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export abstract class W0KeepingAdapter implements DenseAdapter {
  abstract readonly method: string;
  abstract readonly identityAtInit: boolean;
  readonly inDim: number;
  readonly outDim: number;
  readonly base: tf.Variable<tf.Rank.R2>;
  /** Copy of the original W0 [in, out] (never trained). */
  protected readonly w0: tf.Tensor2D;
  private readonly ownsBase: boolean;
  private isMerged = false;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D) {
    checkBase(base);
    const [inDim, outDim] = base.shape as [number, number];
    this.inDim = inDim;
    this.outDim = outDim;
    // A Variable is used in place (e.g. an MLP's kernel); a plain tensor is copied into a frozen variable we own.
    this.ownsBase = !(base instanceof tf.Variable);
    this.base = base instanceof tf.Variable ? base : tf.tidy(() => tf.variable(base.clone(), false));
    this.w0 = tf.keep(this.base.clone());
  }

  get merged(): boolean {
    return this.isMerged;
  }

  abstract trainableVariables(): tf.Variable[];
  abstract deltaW(): tf.Tensor2D;
  abstract parameterCount(): number;
  /** x·W_eff on the unmerged parametrisation. */
  protected abstract forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D;
  /** Frees the subclass's own tensors. */
  protected abstract disposeOwn(): void;

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== this.inDim) fail("x", `must be [batch, ${this.inDim}], got [${x instanceof tf.Tensor ? x.shape : typeof x}]`);
    if (this.isMerged) return tf.matMul(x, this.base);
    return tf.tidy(() => this.forwardUnmerged(x));
  }

  effectiveWeight(): tf.Tensor2D {
    if (this.isMerged) return this.base.clone();
    return tf.tidy(() => tf.add(this.w0, this.deltaW()) as tf.Tensor2D);
  }

  merge(): void {
    if (this.isMerged) return;
    tf.tidy(() => this.base.assign(tf.add(this.w0, this.deltaW()) as tf.Tensor2D));
    this.isMerged = true;
  }

  unmerge(): void {
    if (!this.isMerged) return;
    this.base.assign(this.w0);
    this.isMerged = false;
  }

  dispose(): void {
    this.disposeOwn();
    this.w0.dispose();
    if (this.ownsBase) this.base.dispose();
  }
}
