// LoRA-XS (Bałazy et al. 2024): ΔW = s·B R A with B, A fixed from the SVD of W0 and only the
// r×r matrix R trained (r² parameters per layer, independent of the layer width). Torch:
// B_t = U_r [out, r], A_t = Σ_r V_rᵀ [r, in], R_t ~ N(0, 1e-5²); W0 is not modified.
// Here W = W_tᵀ [in, out] = U Σ Vᵀ (U input side), so with the LoRA layout of lora.ts:
// A [in, r] = A_tᵀ = U_r Σ_r, B [r, out] = B_tᵀ = V_rᵀ, R = R_tᵀ, ΔW = s·A R B.
// LatentAdapterBase (frozen A, B; trainable R) is shared with LoRA-SB.
import * as tf from "@tensorflow/tfjs";
import { svd } from "../../linalg";
import { Rng } from "../../core/random";
import {
  Base2D,
  AdapterBase,
  variableFrom,
  checkAlpha,
  checkBase,
  checkConfig,
  checkPositive,
  checkRank,
  checkSeed,
  columns,
  range,
  transpose,
} from "../common";

export interface LoraXsConfig {
  /** Rank r, 1 ≤ r ≤ min(in, out); r² trainable parameters. */
  r: number;
  /** Scaling numerator (default r, so s = α/r = 1). */
  alpha?: number;
  /** Std of R's Gaussian init (default 1e-5, as the official code). */
  std?: number;
  /** Seed of R's draw (default: from the global seeded stream). */
  seed?: number;
}

/** Frozen A [in, r] and B [r, out] around a trainable R [r, r]: ΔW = s·A R B. */
export abstract class LatentAdapterBase extends AdapterBase {
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  /** Frozen input-side factor [in, r]. */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** Frozen output-side factor [r, out]. */
  readonly B: tf.Variable<tf.Rank.R2>;
  /** The trainable r×r core. */
  readonly R: tf.Variable<tf.Rank.R2>;

  constructor(base: Base2D, r: number, alpha: number) {
    super(base);
    this.r = r;
    this.alpha = alpha;
    this.scale = alpha / r;
    this.A = variableFrom(tf.zeros([this.inDim, r]), false);
    this.B = variableFrom(tf.zeros([r, this.outDim]), false);
    this.R = variableFrom(tf.zeros([r, r]), true);
  }

  protected setLatent(a: number[][], rCore: number[][], b: number[][]): void {
    tf.tidy(() => {
      this.A.assign(tf.tensor2d(a, [this.inDim, this.r]));
      this.R.assign(tf.tensor2d(rCore, [this.r, this.r]));
      this.B.assign(tf.tensor2d(b, [this.r, this.outDim]));
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.R];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(
      tf.matMul(x, this.base),
      tf.mul(tf.matMul(tf.matMul(tf.matMul(x, this.A), this.R), this.B), this.scale),
    ) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    this.ensureReady();
    return tf.tidy(() => tf.mul(tf.matMul(tf.matMul(this.A, this.R), this.B), this.scale) as tf.Tensor2D);
  }

  protected disposeOwn(): void {
    for (const t of [this.A, this.B, this.R]) t.dispose();
  }
}

export class LoraXsAdapter extends LatentAdapterBase {
  readonly method: string = "lora-xs";
  readonly identityAtInit = false;
  readonly std: number;

  constructor(base: Base2D, config: LoraXsConfig) {
    checkConfig(config, ["r", "alpha", "std", "seed"], "{r, alpha?, std?, seed?}");
    const [inDim, outDim] = checkBase(base);
    const r = checkRank(config.r, inDim, outDim);
    const alpha = checkAlpha(config.alpha, r);
    const std = checkPositive("config.std", config.std, 1e-5);
    const rng = new Rng(checkSeed(config.seed));
    super(base, r, alpha);
    this.std = std;
    const d = svd(this.base);
    const idx = range(0, r);
    const core = idx.map(() => idx.map(() => rng.normal() * std));
    this.setLatent(columns(d.U, idx, d.S.slice(0, r)), core, transpose(columns(d.V, idx)));
  }
}
