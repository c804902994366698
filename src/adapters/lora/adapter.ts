// LoRA (Hu et al. 2021) and rsLoRA (Kalajdzievski 2023) for a tfjs Dense kernel.
// tfjs layout [in, out], y = x W: ΔW = s·A B with A [in, r], B [r, out], so A ↔ torch's
// lora_A transposed and B ↔ lora_B transposed (torch ΔW_[out,in] = s·B_t A_t = (s·A B)ᵀ).
// Init as HF PEFT's default: A ~ U(±1/√in) (kaiming-uniform a=√5), B = 0, so the
// adapted layer equals the base at step 0. s = α/r, or α/√r with rsLoRA.
import * as tf from "@tensorflow/tfjs";
import { nextSeed, Rng } from "../../core/random";
import { assertKnownOptions, fail } from "../../core/validate";
import { DenseAdapter } from "../types";

export interface LoraConfig {
  /** Rank r ≥ 1. */
  r: number;
  /** Scaling numerator α (default r, i.e. s = 1 for plain LoRA). */
  alpha?: number;
  /** Rank-stabilised scaling s = α/√r instead of α/r (default false). */
  rslora?: boolean;
  /** "uniform": A ~ U(±1/√in) (default); "gaussian": A ~ N(0, (1/r)²) (HF's 'gaussian'). */
  init?: "uniform" | "gaussian";
  /** Seed for A's draw (default: drawn from initlab's global seeded stream). */
  seed?: number;
}

// tf.variable(t) leaves t allocated; dispose it once the variable holds the values.
function keepAs<R extends tf.Rank>(t: tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

const LORA_KEYS = ["r", "alpha", "rslora", "init", "seed"];

/** The LoRA scaling factor: α/r, or α/√r with rsLoRA. */
export function loraScale(r: number, alpha: number, rslora = false): number {
  if (!Number.isInteger(r) || r <= 0) fail("r", `must be a positive integer, got ${r}`);
  if (!Number.isFinite(alpha)) fail("alpha", `must be a finite number, got ${alpha}`);
  return rslora ? alpha / Math.sqrt(r) : alpha / r;
}

export class LoraAdapter implements DenseAdapter {
  readonly method: string = "lora";
  readonly identityAtInit: boolean = true;
  readonly inDim: number;
  readonly outDim: number;
  readonly base: tf.Variable<tf.Rank.R2>;
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;
  readonly r: number;
  readonly alpha: number;
  readonly rslora: boolean;
  readonly scale: number;
  private ownsBase: boolean;
  private isMerged = false;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: LoraConfig) {
    if (!(base instanceof tf.Tensor) || base.rank !== 2)
      fail("base", "must be a 2-D tf.Tensor or tf.Variable kernel [in, out]");
    if (config == null || typeof config !== "object")
      fail("config", "must be an object {r, alpha?, rslora?, init?, seed?}");
    assertKnownOptions("config", config, LORA_KEYS);
    const [inDim, outDim] = base.shape as [number, number];
    const r = config.r;
    if (!Number.isInteger(r) || r <= 0) fail("config.r", `must be a positive integer, got ${r}`);
    if (r > Math.min(inDim, outDim))
      fail("config.r", `is ${r}; it cannot exceed min(in, out) = ${Math.min(inDim, outDim)}`);
    const alpha = config.alpha ?? r;
    if (!Number.isFinite(alpha) || alpha <= 0) fail("config.alpha", `must be a positive finite number, got ${alpha}`);
    const init = config.init ?? "uniform";
    if (init !== "uniform" && init !== "gaussian")
      fail("config.init", `unknown init "${init}" (known: uniform, gaussian)`);
    const seedValue = config.seed ?? nextSeed();
    if (!Number.isFinite(seedValue)) fail("config.seed", `must be a finite number, got ${seedValue}`);
    this.inDim = inDim;
    this.outDim = outDim;
    this.r = r;
    this.alpha = alpha;
    this.rslora = config.rslora ?? false;
    this.scale = loraScale(r, alpha, this.rslora);
    // A base passed as a Variable is used in place (e.g. an MLP's kernel) and never trained
    // here; a plain tensor is copied into a frozen variable we own.
    this.ownsBase = !(base instanceof tf.Variable);
    this.base = base instanceof tf.Variable ? base : keepAs(base.clone(), false);
    const rng = new Rng(seedValue);
    const a = new Float32Array(inDim * r);
    const bound = 1 / Math.sqrt(inDim);
    for (let i = 0; i < a.length; i++) a[i] = init === "uniform" ? (2 * rng.next() - 1) * bound : rng.normal() / r;
    this.A = keepAs(tf.tensor2d(a, [inDim, r]), true);
    this.B = keepAs(tf.zeros([r, outDim]), true);
  }

  get merged(): boolean {
    return this.isMerged;
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B];
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inDim) fail("x", `must be [batch, ${this.inDim}], got [${x.shape}]`);
    if (this.isMerged) return tf.matMul(x, this.base);
    return tf.tidy(
      () => tf.add(tf.matMul(x, this.base), tf.mul(tf.matMul(tf.matMul(x, this.A), this.B), this.scale)) as tf.Tensor2D,
    );
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.A, this.B), this.scale) as tf.Tensor2D);
  }

  effectiveWeight(): tf.Tensor2D {
    if (this.isMerged) return this.base.clone();
    return tf.tidy(() => tf.add(this.base, this.deltaW()) as tf.Tensor2D);
  }

  merge(): void {
    if (this.isMerged) return;
    tf.tidy(() => this.base.assign(tf.add(this.base, this.deltaW()) as tf.Tensor2D));
    this.isMerged = true;
  }

  unmerge(): void {
    if (!this.isMerged) return;
    tf.tidy(() => this.base.assign(tf.sub(this.base, this.deltaW()) as tf.Tensor2D));
    this.isMerged = false;
  }

  parameterCount(): number {
    return this.A.size + this.B.size;
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
    if (this.ownsBase) this.base.dispose();
  }
}
