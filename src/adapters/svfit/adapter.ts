// SVFit (Sun et al. 2024): split W0 = U_r Σ_r V_rᵀ + W_e and train only the r top singular
// values (U_r, V_r, W_e frozen): r parameters per layer, ΔW = U_r diag(σ − σ0) V_rᵀ, a no-op
// at init (σ = σ0). The SVD is of our W [in, out] (= W_tᵀ, so U/V swap sides relative to
// torch; the singular values are the same). Computing the forward as x W0 + x U_r
// diag(σ − σ0) V_rᵀ is the same map as x W_e + x U_r diag(σ) V_rᵀ and makes ΔW exactly 0 at
// init. The paper picks r so the top-r part holds the bulk (">99%") of the spectrum;
// r = min(in, out) trains every singular value.
import * as tf from "@tensorflow/tfjs";
import { svd } from "../../linalg";
import {
  AdapterBase,
  Base2D,
  variableFrom,
  checkBase,
  checkConfig,
  checkRank,
  columns,
  range,
  transpose,
} from "../common";

export interface SvfitConfig {
  /** Number of top singular values to train, 1 ≤ r ≤ min(in, out). */
  r: number;
}

export class SvfitAdapter extends AdapterBase {
  readonly method: string = "svfit";
  readonly identityAtInit = true;
  readonly r: number;
  /** Frozen left singular vectors [in, r]. */
  readonly U: tf.Tensor2D;
  /** Frozen right singular vectors, transposed [r, out]. */
  readonly Vt: tf.Tensor2D;
  /** The original top-r singular values (frozen). */
  readonly sigma0: tf.Tensor1D;
  /** The trainable singular values (init σ0). */
  readonly sigma: tf.Variable<tf.Rank.R1>;

  constructor(base: Base2D, config: SvfitConfig) {
    checkConfig(config, ["r"], "{r}");
    const [inDim, outDim] = checkBase(base);
    const r = checkRank(config.r, inDim, outDim);
    super(base);
    this.r = r;
    const d = svd(this.base);
    const idx = range(0, r);
    this.U = tf.tensor2d(columns(d.U, idx), [inDim, r]);
    this.Vt = tf.tensor2d(transpose(columns(d.V, idx)), [r, outDim]);
    this.sigma0 = tf.tensor1d(d.S.slice(0, r));
    this.sigma = variableFrom(this.sigma0.clone(), true);
  }

  trainableVariables(): tf.Variable[] {
    return [this.sigma];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(
      tf.matMul(x, this.base),
      tf.matMul(tf.mul(tf.matMul(x, this.U), tf.sub(this.sigma, this.sigma0)), this.Vt),
    ) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.mul(this.U, tf.sub(this.sigma, this.sigma0)), this.Vt) as tf.Tensor2D);
  }

  protected disposeOwn(): void {
    for (const t of [this.U, this.Vt, this.sigma0, this.sigma]) t.dispose();
  }
}
