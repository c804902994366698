// DoRA (Liu et al. 2024), as a reference: weight-decomposed LoRA. The direction V = W0 + s·BA
// is renormalised per output unit and rescaled by a trainable magnitude m:
//   W' = m ⊙ V / ‖V‖,  m initialised to ‖W0‖ per output unit, so W' = W0 at init.
// The norm is treated as a constant in the backward pass (the paper's §4.3 / HF PEFT's
// `weight_norm.detach()`), implemented as an identity whose gradient is zero.
// ΔW = W' − W0 is NOT low-rank: the rescaling touches every column.
//
// Layout: torch [out, in] takes the norm of each row (over inputs); a tfjs kernel [in, out]
// holds output unit o in column o, so here the norm runs over axis 0: m has length out.
import * as tf from "@tensorflow/tfjs";
import { nextSeed, Rng } from "../../core/random";
import { assertKnownOptions, fail } from "../../core/validate";
import { checkRank, optNumber, W0KeepingAdapter } from "../common";
import { loraScale } from "../lora/adapter";

export interface DoraConfig {
  /** Rank r of the directional LoRA update. */
  r: number;
  /** Scaling numerator α (default r, s = 1); must be > 0. */
  alpha?: number;
  /** s = α/√r instead of α/r (default false). */
  rslora?: boolean;
  /** Seed for A's draw (default: from initlab's global seeded stream). */
  seed?: number;
}

const DORA_KEYS = ["r", "alpha", "rslora", "seed"];

/** Identity forward, zero gradient (tf.stopGradient is not in tfjs). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const t = args[0] as tf.Tensor;
    return { value: t.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return f(x) as T;
}

/** Column norms of a kernel [in, out]: the per-output-unit norms DoRA uses. */
export function columnNorms(w: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(w), 0)) as tf.Tensor1D);
}

export class DoraAdapter extends W0KeepingAdapter {
  readonly method: string = "dora";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  /** [in, r], kaiming-uniform like LoRA's A. */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** [r, out], zero. */
  readonly B: tf.Variable<tf.Rank.R2>;
  /** Magnitude per output unit [out]. */
  readonly magnitude: tf.Variable<tf.Rank.R1>;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: DoraConfig) {
    if (config == null || typeof config !== "object") fail("config", "must be an object {r, alpha?, rslora?, seed?}");
    assertKnownOptions("config", config, DORA_KEYS);
    super(base);
    const r = (this.r = checkRank(config.r, this.inDim, this.outDim));
    this.alpha = optNumber("config.alpha", config.alpha, r, (a) => (a <= 0 ? `must be positive, got ${a}` : null));
    this.scale = loraScale(r, this.alpha, config.rslora ?? false);
    const seedValue = optNumber("config.seed", config.seed, nextSeed());
    const rng = new Rng(seedValue);
    const a = new Float32Array(this.inDim * r);
    const bound = 1 / Math.sqrt(this.inDim);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    this.A = tf.tidy(() => tf.variable(tf.tensor2d(a, [this.inDim, r]), true));
    this.B = tf.tidy(() => tf.variable(tf.zeros([r, this.outDim]), true));
    this.magnitude = tf.tidy(() => tf.variable(columnNorms(this.w0), true));
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B, this.magnitude];
  }

  parameterCount(): number {
    return this.r * (this.inDim + this.outDim) + this.outDim;
  }

  /** m / ‖W0 + s·AB‖ per output unit, the norm detached. */
  private columnScale(): tf.Tensor1D {
    const v = tf.add(this.w0, tf.mul(tf.matMul(this.A, this.B), this.scale)) as tf.Tensor2D;
    return tf.div(this.magnitude, stopGradient(columnNorms(v))) as tf.Tensor1D;
  }

  protected forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D {
    const lin = tf.add(tf.matMul(x, this.w0), tf.mul(tf.matMul(tf.matMul(x, this.A), this.B), this.scale));
    return tf.mul(lin, this.columnScale()) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => {
      const v = tf.add(this.w0, tf.mul(tf.matMul(this.A, this.B), this.scale));
      return tf.sub(tf.mul(v, this.columnScale()), this.w0) as tf.Tensor2D;
    });
  }

  protected disposeOwn(): void {
    for (const t of [this.A, this.B, this.magnitude]) t.dispose();
  }
}
