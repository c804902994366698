// Mao et al.'s (ICLR'24) IBP tightness: the optimal box radius of a network linearised at x
// (|W_L·D·…·D·W_1|·1) over the IBP box radius of the same linearisation (|W_L|·D·…·D·|W_1|·1),
// per output, averaged. The radius ε cancels; τ ≤ 1 always (triangle inequality).
import * as tf from "@tensorflow/tfjs";
import { assertPositiveInt, fail } from "../core/validate";

/**
 * Tightness of a ReLU (or linear) network. `weights` are [in, out] in order; `masks[l]` is the
 * 0/1 ReLU pattern [B, width_l] of hidden layer l at B points (omit for a deep linear net).
 * Returns the mean over points and outputs of the per-output ratio, skipping outputs whose IBP
 * radius is 0 (every path switched off); NaN when every output is such.
 */
export function ibpTightness(weights: tf.Tensor2D[], masks?: tf.Tensor2D[] | null): number {
  if (!Array.isArray(weights) || weights.length === 0) fail("weights", "needs at least one matrix");
  weights.forEach((w, l) => {
    if (w.rank !== 2) fail(`weights[${l}]`, `must be 2-D, got rank ${w.rank}`);
    if (l > 0 && w.shape[0] !== weights[l - 1].shape[1])
      fail(`weights[${l}]`, `has ${w.shape[0]} inputs; the previous layer has ${weights[l - 1].shape[1]} outputs`);
  });
  const L = weights.length;
  if (masks && masks.length !== L - 1)
    fail("masks", `needs ${L - 1} entries (one per hidden layer), got ${masks.length}`);
  const B = masks && masks.length > 0 ? masks[0].shape[0] : 1;
  masks?.forEach((m, l) => {
    if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== weights[l].shape[1])
      fail(`masks[${l}]`, `must be [${B}, ${weights[l].shape[1]}], got [${m.shape}]`);
  });
  const K = weights[L - 1].shape[1];
  return tf.tidy(() => {
    // Backward from the outputs: rows of the Jacobian [B, K, n_l], and the same with |W|.
    let jac: tf.Tensor3D = tf.tile(tf.reshape(tf.transpose(weights[L - 1]), [1, K, -1]), [B, 1, 1]);
    let ibp: tf.Tensor3D = tf.abs(jac);
    for (let l = L - 2; l >= 0; l--) {
      const n = weights[l].shape[1];
      const d = weights[l].shape[0];
      if (masks) {
        const m = tf.reshape(masks[l], [B, 1, n]);
        jac = tf.mul(jac, m);
        ibp = tf.mul(ibp, m);
      }
      jac = tf.reshape(tf.matMul(tf.reshape(jac, [B * K, n]), weights[l], false, true), [B, K, d]);
      ibp = tf.reshape(tf.matMul(tf.reshape(ibp, [B * K, n]), tf.abs(weights[l]), false, true), [B, K, d]);
    }
    const opt = tf.sum(tf.abs(jac), 2);
    const box = tf.sum(ibp, 2);
    // An output whose IBP radius is 0 (every path masked) has no box to compare: skip it (NaN when all are).
    const valid = tf.cast(tf.greater(box, 0), "float32");
    const ratio = tf.mul(tf.div(opt, tf.maximum(box, 1e-30)), valid);
    const nValid = tf.sum(valid).dataSync()[0];
    if (nValid === 0) return NaN;
    return tf.sum(ratio).dataSync()[0] / nValid;
  });
}

/** Mao et al.'s closed form for a deep linear net of L hidden layers of width n with i.i.d. Gaussian weights: (π / 2n)^{L/2}. */
export function deepLinearTightness(width: number, hiddenLayers: number): number {
  assertPositiveInt("width", width);
  if (!Number.isInteger(hiddenLayers) || hiddenLayers < 0)
    fail("hiddenLayers", `must be an integer ≥ 0, got ${hiddenLayers}`);
  return Math.pow(Math.PI / (2 * width), hiddenLayers / 2);
}
