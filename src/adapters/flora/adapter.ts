// FLoRA (Si et al. 2024), linear case (N = 2): the Tucker form of a matrix update,
//   ΔW = s · U_in G U_outᵀ,
// i.e. LoRA with a trainable r₁×r₂ core between its factors. As the official code: the core
// G starts at zero (so the adapted layer equals the base at init), both factors are
// kaiming-normal with a = √3 over their rank axis (std = 1/√(2 r_i)), all three train,
// and s defaults to 1. Layout: tfjs kernels [in, out], y = x W; U_in [in, r₁] is the
// input-side factor (the paper's mode of the input dimension), U_out [out, r₂] the output side.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { svd } from "../../linalg/decompose";
import { AdapterBase, Base2D, checkConfig, checkPositive, checkRank, checkSeed, variableFrom } from "../common";

export interface FloraConfig {
  /** Tucker ranks: one number for r₁ = r₂, or [r₁, r₂] (r₁ ≤ in, r₂ ≤ out). */
  r: number | [number, number];
  /** Scale s of ΔW (default 1, the official default). */
  scale?: number;
  /** Seed of the factors' draw (default: drawn from initlab's global seeded stream). */
  seed?: number;
}

const KEYS = ["r", "scale", "seed"];

/** FLoRA's factor init: kaiming-normal with a = √3 over a factor [d, r] (fan-in r): N(0, 1/(2r)). */
export function floraFactor(d: number, r: number, rng: Rng): tf.Tensor2D {
  const std = 1 / Math.sqrt(2 * r);
  return tf.tensor2d(
    Float32Array.from({ length: d * r }, () => rng.normal() * std),
    [d, r],
  );
}

/** Checks config.r for a [in, out] kernel and returns [r₁, r₂]. */
function checkRanks(r: unknown, inDim: number, outDim: number): [number, number] {
  if (Array.isArray(r)) {
    if (r.length !== 2) fail("config.r", `must be a number or [r1, r2], got an array of length ${r.length}`);
    const [r1, r2] = r as unknown[];
    for (const [k, v, lim, side] of [
      [0, r1, inDim, "in"],
      [1, r2, outDim, "out"],
    ] as const) {
      if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
        fail(`config.r[${k}]`, `must be a positive integer, got ${String(v)}`);
      if (v > lim) fail(`config.r[${k}]`, `is ${v}; it cannot exceed ${side} = ${lim}`);
    }
    return [r1 as number, r2 as number];
  }
  const k = checkRank(r, inDim, outDim);
  return [k, k];
}

export class FloraAdapter extends AdapterBase {
  readonly method: string = "flora";
  readonly identityAtInit: boolean = true;
  readonly ranks: [number, number];
  readonly scale: number;
  /** U_in [in, r₁]. */
  readonly Uin: tf.Variable<tf.Rank.R2>;
  /** Core G [r₁, r₂] (zero at init). */
  readonly G: tf.Variable<tf.Rank.R2>;
  /** U_out [out, r₂]. */
  readonly Uout: tf.Variable<tf.Rank.R2>;

  constructor(base: Base2D, config: FloraConfig) {
    checkConfig(config, KEYS, "{r, scale?, seed?}");
    super(base);
    this.ranks = checkRanks(config.r, this.inDim, this.outDim);
    this.scale = checkPositive("config.scale", config.scale, 1);
    const rng = new Rng(checkSeed(config.seed));
    const [r1, r2] = this.ranks;
    this.Uin = variableFrom(floraFactor(this.inDim, r1, rng), true);
    this.Uout = variableFrom(floraFactor(this.outDim, r2, rng), true);
    this.G = variableFrom(tf.zeros([r1, r2]), true);
  }

  trainableVariables(): tf.Variable[] {
    return [this.Uin, this.G, this.Uout];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    const low = tf.matMul(tf.matMul(tf.matMul(x, this.Uin), this.G), this.Uout, false, true);
    return tf.add(tf.matMul(x, this.base), tf.mul(low, this.scale)) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(tf.matMul(this.Uin, this.G), this.Uout, false, true), this.scale));
  }

  /** Singular values of the core G (float64 SVD of its float32 values), largest first. */
  coreSingularValues(): number[] {
    return svd(this.G.arraySync(), { vectors: false }).S.slice(0, Math.min(...this.ranks));
  }

  protected disposeOwn(): void {
    for (const v of [this.Uin, this.G, this.Uout]) v.dispose();
  }
}
