// SORSA (Cao 2024): split W0 = W_p + W_r with W_p the top-r SVD part; U_p, σ_p, V_p train
// (initialised from the SVD), the residual W_r is frozen, s = 1, and an orthonormal
// regulariser L_o = ‖U_pᵀU_p − I‖_F + ‖V_pᵀV_p − I‖_F keeps the singular frame orthonormal.
//
// Layout: tfjs kernels are [in, out] = W_torchᵀ, so SVD-ing the kernel directly gives
// kernel = P Σ Qᵀ with P [in, k] = torch's V and Q [out, k] = torch's U. We store
// left = P_r [in, r] (torch V_p), sigma [r], right = Q_rᵀ [r, out] (torch U_pᵀ):
//   W_eff = W_r + left · diag(σ) · right,  ΔW = left·diag(σ)·right − (its value at init).
//
// The regulariser weight: the official trainer back-propagates L_o separately with weight
// γ/lr into the same gradients the optimizer then steps (so with SGD its step is ≈ γ
// whatever the lr). regLoss() returns (γ/lr)·L_o for the configured `lr`; the training loop
// adds it to the task loss, which sums the two gradients before one optimizer step exactly
// as the two backward() calls do. orthoLoss() gives the unweighted L_o.
import * as tf from "@tensorflow/tfjs";
import { svd } from "../../linalg/decompose";
import { assertKnownOptions, fail } from "../../core/validate";
import { checkRank, optNumber, W0KeepingAdapter } from "../common";
import { orthPenalty } from "../orth";

export interface SorsaConfig {
  /** Rank r of the trainable principal part (1 ≤ r ≤ min(in, out)). */
  r: number;
  /** Orthonormal-regulariser weight γ (default 4e-4, the paper's Llama-2 value); 0 disables it. */
  gamma?: number;
  /** The optimizer learning rate, used to form the official γ/lr loss weight (default 1e-3). */
  lr?: number;
}

const SORSA_KEYS = ["r", "gamma", "lr"];

export class SorsaAdapter extends W0KeepingAdapter {
  readonly method: string = "sorsa";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  readonly gamma: number;
  readonly lr: number;
  /** P_r [in, r]: torch's V_p (trainable). */
  readonly left: tf.Variable<tf.Rank.R2>;
  /** σ_p [r] (trainable). */
  readonly sigma: tf.Variable<tf.Rank.R1>;
  /** Q_rᵀ [r, out]: torch's U_pᵀ (trainable). */
  readonly right: tf.Variable<tf.Rank.R2>;
  /** Frozen residual W_r = W0 − W_p [in, out]. */
  readonly residual: tf.Tensor2D;
  /** W_p at init [in, out], so ΔW = W_p(now) − W_p(init) exactly (no cancellation against W0). */
  private readonly principal0: tf.Tensor2D;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: SorsaConfig) {
    if (config == null || typeof config !== "object") fail("config", "must be an object {r, gamma?, lr?}");
    assertKnownOptions("config", config, SORSA_KEYS);
    super(base);
    this.r = checkRank(config.r, this.inDim, this.outDim);
    this.gamma = optNumber("config.gamma", config.gamma, 4e-4, (g) => (g < 0 ? `must be ≥ 0, got ${g}` : null));
    this.lr = optNumber("config.lr", config.lr, 1e-3, (v) => (v <= 0 ? `must be positive, got ${v}` : null));
    const r = this.r;
    const w = this.w0.arraySync();
    const d = svd(w); // float64; kernel = P Σ Qᵀ
    const left = w.map((_, i) => Array.from({ length: r }, (_, j) => d.U[i][j]));
    const right = Array.from({ length: r }, (_, j) => Array.from({ length: this.outDim }, (_, o) => d.V[o][j]));
    this.left = tf.tidy(() => tf.variable(tf.tensor2d(left, [this.inDim, r]), true));
    this.sigma = tf.tidy(() => tf.variable(tf.tensor1d(d.S.slice(0, r)), true));
    this.right = tf.tidy(() => tf.variable(tf.tensor2d(right, [r, this.outDim]), true));
    // The same float32 ops as deltaW(), so ΔW is exactly 0 at init; W_r = W0 − W_p.
    this.principal0 = tf.keep(tf.tidy(() => this.principal()));
    this.residual = tf.keep(tf.tidy(() => tf.sub(this.w0, this.principal0) as tf.Tensor2D));
  }

  trainableVariables(): tf.Variable[] {
    return [this.left, this.sigma, this.right];
  }

  parameterCount(): number {
    return this.r * (this.inDim + this.outDim + 1);
  }

  private principal(): tf.Tensor2D {
    return tf.matMul(tf.mul(this.left, this.sigma), this.right);
  }

  protected forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(
      tf.matMul(x, this.residual),
      tf.matMul(tf.mul(tf.matMul(x, this.left), this.sigma), this.right),
    ) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.sub(this.principal(), this.principal0) as tf.Tensor2D);
  }

  /** Unweighted L_o = ‖U_pᵀU_p − I‖_F + ‖V_pᵀV_p − I‖_F. */
  orthoLoss(): tf.Scalar {
    // ‖V_pᵀV_p − I‖_F + ‖U_pᵀU_p − I‖_F (left = V_p, right = U_pᵀ): the shared regulariser.
    return orthPenalty(this.left, this.right);
  }

  /** (γ/lr)·L_o, the official loss weight (see the file comment). */
  regLoss(): tf.Scalar {
    return tf.tidy(() => tf.mul(this.orthoLoss(), this.gamma / this.lr) as tf.Scalar);
  }

  protected disposeOwn(): void {
    for (const t of [this.left, this.sigma, this.right, this.residual, this.principal0]) t.dispose();
  }
}
