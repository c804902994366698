// The adapter interface every parameter-efficient method implements, for one Dense layer.
// Layout: tfjs [in, out] kernels, y = x W. A method keeps the base weight W0 frozen,
// owns its trainable tf.Variables, and exposes ΔW so metrics (spectra, intruder
// dimensions) always see W_merged − W0_original whatever the method's parametrisation.
import * as tf from "@tensorflow/tfjs";

/** Calibration data a data-driven init may use (EVA, LoRA-GA, ...): per-batch layer inputs and/or weight gradients. */
export interface AdapterInitContext {
  /** Inputs seen by this layer, each [batch, in]. */
  inputs?: tf.Tensor2D[];
  /** Gradients of the loss w.r.t. the base kernel, each [in, out]. */
  gradients?: tf.Tensor2D[];
}

export interface DenseAdapter {
  /** Registry name of the method ("lora", ...). */
  readonly method: string;
  readonly inDim: number;
  readonly outDim: number;
  /**
   * Whether the adapted layer equals the base at init (merged == W0, ΔW = 0) — true for
   * LoRA and the residual-init methods; false e.g. for LoRA-SB, which starts with its
   * truncated first update applied.
   */
  readonly identityAtInit: boolean;
  /** The frozen base kernel W0 [in, out] (never in trainableVariables()). Holds W0 + ΔW while merged. */
  readonly base: tf.Variable<tf.Rank.R2>;
  /** The adapter's trainable parameters. */
  trainableVariables(): tf.Variable[];
  /** x W_eff for x [batch, in] (no bias); uses the merged kernel directly when merged. */
  forward(x: tf.Tensor2D): tf.Tensor2D;
  /** The update ΔW [in, out] the adapter currently represents (caller disposes). */
  deltaW(): tf.Tensor2D;
  /** W0 + ΔW [in, out] without changing state (caller disposes). */
  effectiveWeight(): tf.Tensor2D;
  /** Folds ΔW into the base kernel (forward then costs one matmul). Idempotent. */
  merge(): void;
  /** Undoes merge(). Idempotent. */
  unmerge(): void;
  readonly merged: boolean;
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** Optional data-driven initialisation hook (run once, before training). */
  init?(ctx: AdapterInitContext): void | Promise<void>;
  /** Optional gradient transform before the optimizer step (e.g. ALLoRA's row scaling). */
  transformGrads?(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor>;
  /** Optional hook after each optimizer step (proximal steps, masking, rank updates). */
  postStep?(step: number): void;
  /** Optional regulariser added to the loss. */
  regLoss?(): tf.Scalar;
  /** Frees the adapter's own variables (not a base it was given). */
  dispose(): void;
}

/** Builds an adapter around a base kernel [in, out]; config is method-specific and validated by the factory. */
export type AdapterFactory = (base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: object) => DenseAdapter;
