// Tucker products for FLoRA's N-d form: T ×ₙ U contracts mode n of T (size r) with
// U [d, r], giving size d on that mode; a Tucker tensor is G ×₁U₁ ×₂U₂ … ×_N U_N.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../../core/validate";

/** The n-mode product T ×ₙ U with U [d, rₙ] (rₙ = T.shape[n]); the result has d on mode n. */
export function modeProduct(t: tf.Tensor, u: tf.Tensor2D, n: number): tf.Tensor {
  if (!(t instanceof tf.Tensor) || t.rank < 1) fail("t", "must be a tensor of rank ≥ 1");
  if (!Number.isInteger(n) || n < 0 || n >= t.rank) fail("n", `must be a mode index in [0, ${t.rank - 1}], got ${n}`);
  if (!(u instanceof tf.Tensor) || u.rank !== 2 || u.shape[1] !== t.shape[n])
    fail("u", `must be [d, ${t.shape[n]}] for mode ${n} of a [${t.shape}] tensor, got [${u?.shape}]`);
  return tf.tidy(() => {
    const perm = [...Array(t.rank).keys()].filter((k) => k !== n).concat([n]);
    const moved = tf.transpose(t, perm);
    const lead = moved.shape.slice(0, -1);
    const flat = tf.reshape(moved, [-1, t.shape[n]]) as tf.Tensor2D;
    const prod = tf.reshape(tf.matMul(flat, u, false, true), [...lead, u.shape[0]]);
    const inverse = perm.map((_, k) => perm.indexOf(k));
    return tf.transpose(prod, inverse);
  });
}

/** G ×₁U₁ ×₂U₂ … ×_N U_N for a core G of rank N and factors Uᵢ [dᵢ, rᵢ]. */
export function tuckerProduct(core: tf.Tensor, factors: tf.Tensor2D[]): tf.Tensor {
  if (!(core instanceof tf.Tensor)) fail("core", "must be a tensor");
  if (!Array.isArray(factors) || factors.length !== core.rank)
    fail("factors", `must be an array of ${core.rank} factors (one per mode of the core [${core.shape}])`);
  return tf.tidy(() => factors.reduce((t, u, n) => modeProduct(t, u, n), core));
}
