// The orthogonality regulariser of the SVD-form adapters (AdaLoRA, IncreLoRA, SORSA):
// ‖AᵀA − I‖_F + ‖B Bᵀ − I‖_F on the factors A [in, r], B [r, out] (torch's lora_A·lora_Aᵀ and
// lora_Bᵀ·lora_B), plain (not squared) Frobenius norms as HF PEFT and both official codes use.
// With a slot mask m ∈ {0,1}^r only the live slots count: ‖(Am)ᵀ(Am) − diag(m)‖, so
// preallocated, unused slots add neither value nor gradient.
import * as tf from "@tensorflow/tfjs";

/** ‖M‖_F with gradient M/‖M‖ (0 at M = 0, as torch.linalg.norm's backward). */
export function frobeniusNorm(m: tf.Tensor): tf.Scalar {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const n = tf.sqrt(tf.sum(tf.square(x)));
    save([x, n]);
    return {
      value: n as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.div(saved[0], tf.maximum(saved[1], 1e-30))),
    };
  });
  return f(m) as tf.Scalar;
}

/** ‖AᵀA − I‖_F + ‖B Bᵀ − I‖_F over the slots where mask = 1 (all slots without a mask). */
export function orthPenalty(A: tf.Tensor2D, B: tf.Tensor2D, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const r = A.shape[1];
    const a = mask ? tf.mul(A, mask) : A;
    const b = mask ? tf.mul(B, tf.reshape(mask, [r, 1])) : B;
    const eye = mask ? tf.diag(mask) : tf.eye(r);
    const ga = tf.sub(tf.matMul(a, a, true, false), eye);
    const gb = tf.sub(tf.matMul(b, b, false, true), eye);
    return tf.add(frobeniusNorm(ga), frobeniusNorm(gb)) as tf.Scalar;
  });
}
