// FLoRA for conv2d kernels (Si et al. 2024): the kernel update keeps its 4-d structure as a
// Tucker tensor, ΔK = s · G ×₁U_kh ×₂U_kw ×₃U_in ×₄U_out, in tfjs layout [kh, kw, in, out]
// with core G [r_kh, r_kw, r_in, r_out] (zero at init) and factors U_m [d_m, r_m]
// (kaiming-normal a = √3, as the linear case). Reshape-LoRA, its baseline, flattens the
// kernel to [kh·kw·in, out] and learns A B there (A random, B = 0), which ignores the
// spatial and channel modes. Both wrap a frozen base kernel and run conv2d with K0 + ΔK.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { variableFrom } from "../common";
import { floraFactor } from "./adapter";
import { tuckerProduct } from "./tucker";

export interface ConvOptions {
  strides?: number;
  pad?: "same" | "valid";
}

/** What the conv experiment needs of a conv-kernel adapter. */
export interface ConvKernelAdapter {
  readonly base: tf.Tensor4D;
  trainableVariables(): tf.Variable[];
  parameterCount(): number;
  /** ΔK [kh, kw, in, out] (caller disposes). */
  deltaKernel(): tf.Tensor4D;
  /** conv2d(x, K0 + ΔK) for x [batch, h, w, in]. */
  forward(x: tf.Tensor4D, opts?: ConvOptions): tf.Tensor4D;
  dispose(): void;
}

function checkKernel(kernel: unknown): [number, number, number, number] {
  if (!(kernel instanceof tf.Tensor) || kernel.rank !== 4)
    fail("kernel", "must be a 4-D conv kernel [kh, kw, in, out]");
  const shape = kernel.shape as [number, number, number, number];
  if (shape.some((d) => d === 0)) fail("kernel", `is empty (shape [${shape}])`);
  return shape;
}

function checkStrides(opts: ConvOptions | undefined): { strides: number; pad: "same" | "valid" } {
  const strides = opts?.strides ?? 1;
  const pad = opts?.pad ?? "same";
  if (!Number.isInteger(strides) || strides <= 0) fail("opts.strides", `must be a positive integer, got ${strides}`);
  if (pad !== "same" && pad !== "valid") fail("opts.pad", `must be "same" or "valid", got ${String(pad)}`);
  return { strides, pad };
}

abstract class ConvAdapterBase implements ConvKernelAdapter {
  readonly base: tf.Tensor4D;
  readonly shape: [number, number, number, number];

  constructor(kernel: tf.Tensor4D) {
    this.shape = checkKernel(kernel);
    this.base = tf.keep(kernel.clone());
  }
  abstract trainableVariables(): tf.Variable[];
  abstract deltaKernel(): tf.Tensor4D;
  parameterCount(): number {
    return this.trainableVariables().reduce((s, v) => s + v.size, 0);
  }
  forward(x: tf.Tensor4D, opts?: ConvOptions): tf.Tensor4D {
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== this.shape[2])
      fail("x", `must be [batch, h, w, ${this.shape[2]}], got ${x instanceof tf.Tensor ? `[${x.shape}]` : typeof x}`);
    const { strides, pad } = checkStrides(opts);
    return tf.tidy(() => tf.conv2d(x, tf.add(this.base, this.deltaKernel()) as tf.Tensor4D, strides, pad));
  }
  dispose(): void {
    this.base.dispose();
    for (const v of this.trainableVariables()) v.dispose();
  }
}

export interface FloraConvConfig {
  /** Tucker ranks [r_kh, r_kw, r_in, r_out] (each ≤ its mode's size). */
  ranks: [number, number, number, number];
  /** Scale s (default 1). */
  scale?: number;
  seed?: number;
}

/** FLoRA on a conv kernel: core G and four factors, all trainable. */
export class FloraConv2d extends ConvAdapterBase {
  readonly ranks: [number, number, number, number];
  readonly scale: number;
  readonly core: tf.Variable;
  readonly factors: tf.Variable<tf.Rank.R2>[];

  constructor(kernel: tf.Tensor4D, config: FloraConvConfig) {
    super(kernel);
    if (config == null || typeof config !== "object") fail("config", "must be an object {ranks, scale?, seed?}");
    for (const k of Object.keys(config))
      if (!["ranks", "scale", "seed"].includes(k)) fail("config", `unknown option "${k}" (known: ranks, scale, seed)`);
    const r = config.ranks;
    if (!Array.isArray(r) || r.length !== 4) fail("config.ranks", "must be [r_kh, r_kw, r_in, r_out]");
    r.forEach((v, m) => {
      if (!Number.isInteger(v) || v <= 0) fail(`config.ranks[${m}]`, `must be a positive integer, got ${v}`);
      if (v > this.shape[m])
        fail(`config.ranks[${m}]`, `is ${v}; it cannot exceed the kernel's mode size ${this.shape[m]}`);
    });
    this.ranks = [...r] as [number, number, number, number];
    this.scale = config.scale ?? 1;
    if (!(Number.isFinite(this.scale) && this.scale > 0))
      fail("config.scale", `must be a positive finite number, got ${config.scale}`);
    const rng = new Rng(config.seed ?? 0);
    this.factors = this.shape.map((d, m) => variableFrom(floraFactor(d, this.ranks[m], rng), true));
    this.core = variableFrom(tf.zeros(this.ranks), true);
  }

  trainableVariables(): tf.Variable[] {
    return [this.core, ...this.factors];
  }

  deltaKernel(): tf.Tensor4D {
    return tf.tidy(() => tf.mul(tuckerProduct(this.core, this.factors), this.scale) as tf.Tensor4D);
  }
}

export interface ReshapeLoraConvConfig {
  r: number;
  /** Scale s (default 1). */
  scale?: number;
  seed?: number;
}

/** Reshape-LoRA on a conv kernel: ΔK = s · reshape(A B) with A [kh·kw·in, r] ~ U(±1/√(kh·kw·in)), B [r, out] = 0. */
export class ReshapeLoraConv2d extends ConvAdapterBase {
  readonly r: number;
  readonly scale: number;
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;

  constructor(kernel: tf.Tensor4D, config: ReshapeLoraConvConfig) {
    super(kernel);
    if (config == null || typeof config !== "object") fail("config", "must be an object {r, scale?, seed?}");
    for (const k of Object.keys(config))
      if (!["r", "scale", "seed"].includes(k)) fail("config", `unknown option "${k}" (known: r, scale, seed)`);
    const [kh, kw, cin, cout] = this.shape;
    const fan = kh * kw * cin;
    const r = config.r;
    if (!Number.isInteger(r) || r <= 0) fail("config.r", `must be a positive integer, got ${r}`);
    if (r > Math.min(fan, cout))
      fail("config.r", `is ${r}; it cannot exceed min(kh·kw·in, out) = ${Math.min(fan, cout)}`);
    this.r = r;
    this.scale = config.scale ?? 1;
    if (!(Number.isFinite(this.scale) && this.scale > 0))
      fail("config.scale", `must be a positive finite number, got ${config.scale}`);
    const rng = new Rng(config.seed ?? 0);
    const bound = 1 / Math.sqrt(fan);
    const a = Float32Array.from({ length: fan * r }, () => (2 * rng.next() - 1) * bound);
    this.A = variableFrom(tf.tensor2d(a, [fan, r]), true);
    this.B = variableFrom(tf.zeros([r, cout]), true);
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B];
  }

  deltaKernel(): tf.Tensor4D {
    return tf.tidy(() => tf.reshape(tf.mul(tf.matMul(this.A, this.B), this.scale), this.shape) as tf.Tensor4D);
  }
}

/** Trainable scalars of FLoRA on a kernel [kh, kw, in, out] at Tucker ranks r: Πr + Σ dᵢrᵢ. */
export function floraConvParamCount(shape: number[], ranks: number[]): number {
  if (shape.length !== ranks.length)
    fail("ranks", `must have one rank per mode (${shape.length}), got ${ranks.length}`);
  return ranks.reduce((p, v) => p * v, 1) + shape.reduce((s, d, m) => s + d * ranks[m], 0);
}
