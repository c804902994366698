// Differentiable MCR² pieces for training (Yu et al. 2020; Ding et al. 2023, MLC): a batched
// log-determinant of small SPD matrices with its exact gradient A⁻¹ (computed in float64 by
// Cholesky, since tfjs has no logdet), the coding rate of a batch of features, MLC's compressed
// rate under a doubly stochastic membership Γ, and Sinkhorn normalisation in log space.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";

// Cholesky of one d×d block at offset `o` of `a` (row-major); returns log det and writes A⁻¹ to `inv`.
function cholLogdetInv(a: Float32Array | Float64Array, o: number, d: number, inv: Float32Array): number {
  const L = new Float64Array(d * d);
  let ld = 0;
  for (let j = 0; j < d; j++) {
    let v = a[o + j * d + j];
    for (let t = 0; t < j; t++) v -= L[j * d + t] * L[j * d + t];
    if (!(v > 0)) fail("A", `block is not positive definite (pivot ${j} is ${v})`);
    const ljj = Math.sqrt(v);
    L[j * d + j] = ljj;
    ld += 2 * Math.log(ljj);
    for (let i = j + 1; i < d; i++) {
      // The symmetric part (A + Aᵀ)/2, so that A⁻¹ is the gradient for every entry.
      let w = 0.5 * (a[o + i * d + j] + a[o + j * d + i]);
      for (let t = 0; t < j; t++) w -= L[i * d + t] * L[j * d + t];
      L[i * d + j] = w / ljj;
    }
  }
  // A⁻¹ = L⁻ᵀ L⁻¹: invert L column by column (forward substitution), then multiply.
  const Li = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let t = c; t < i; t++) s -= L[i * d + t] * Li[t * d + c];
      Li[i * d + c] = s / L[i * d + i];
    }
  }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let t = Math.max(i, j); t < d; t++) s += Li[t * d + i] * Li[t * d + j];
      inv[o + i * d + j] = inv[o + j * d + i] = s;
    }
  return ld;
}

/**
 * log det of each symmetric positive definite block of A [b, d, d]; the gradient is dy_b · A_b⁻¹.
 * Blocks are read synchronously (fine for the small d of coding rates).
 */
export function logdetBatch(A: tf.Tensor3D): tf.Tensor1D {
  if (A.rank !== 3 || A.shape[1] !== A.shape[2]) fail("A", `must have shape [b, d, d], got [${A.shape}]`);
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [b, d] = [x.shape[0] as number, x.shape[1] as number];
    const data = x.dataSync() as Float32Array;
    const inv = new Float32Array(b * d * d);
    const out = new Float32Array(b);
    for (let k = 0; k < b; k++) out[k] = cholLogdetInv(data, k * d * d, d, inv);
    save([tf.tensor3d(inv, [b, d, d])]);
    return {
      value: tf.tensor1d(out),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], tf.reshape(dy, [b, 1, 1]))],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(A) as tf.Tensor1D;
}

/** Coding rate ½ log det(I + d/(n ε²) ZᵀZ) of the n×d rows of Z (differentiable). */
export function codingRateT(Z: tf.Tensor2D, eps: number): tf.Scalar {
  const [n, d] = Z.shape;
  return tf.tidy(() => {
    const M = tf.add(tf.eye(d), tf.mul(tf.matMul(Z, Z, true, false), d / (n * eps * eps)));
    return tf.mul(logdetBatch(tf.reshape(M, [1, d, d]) as tf.Tensor3D).sum(), 0.5) as tf.Scalar;
  });
}

/**
 * MLC's compressed rate (1/2n) Σ_j log det(I + d/ε² · Σ_i Γ_ij z_i z_iᵀ) for a doubly stochastic
 * Γ [n, n] (columns summing to 1); differentiable in Z and Γ.
 */
export function compressedRateT(Z: tf.Tensor2D, gamma: tf.Tensor2D, eps: number): tf.Scalar {
  const [n, d] = Z.shape;
  if (gamma.shape[0] !== n || gamma.shape[1] !== n) fail("gamma", `must be [${n}, ${n}], got [${gamma.shape}]`);
  return tf.tidy(() => {
    // Outer products z_i z_iᵀ as rows [n, d²]; Γᵀ · outer gives every column's weighted Gram at once.
    const outer = tf.reshape(tf.mul(tf.reshape(Z, [n, d, 1]), tf.reshape(Z, [n, 1, d])), [n, d * d]);
    const grams = tf.reshape(tf.matMul(gamma, outer, true, false), [n, d, d]);
    const M = tf.add(tf.eye(d).reshape([1, d, d]), tf.mul(grams, d / (eps * eps))) as tf.Tensor3D;
    return tf.div(logdetBatch(M).sum(), 2 * n) as tf.Scalar;
  });
}

/**
 * Sinkhorn–Knopp: exp(logits) [n, n] scaled to unit row and column sums (differentiable).
 * Scaling form (u ← 1/(Kv), v ← 1/(Kᵀu), two mat-vecs per iteration) after subtracting the
 * global maximum, which is exact while the logits' range stays below ~80 (float32 exp); wider
 * ranges switch to the log-space form, which is slower on tfjs (one logSumExp per half-step).
 */
export function sinkhornT(logits: tf.Tensor2D, iters = 20): tf.Tensor2D {
  const [n, m] = logits.shape;
  if (n !== m) fail("logits", `must be square, got [${logits.shape}]`);
  return tf.tidy(() => {
    const range = tf.sub(tf.max(logits), tf.min(logits)).dataSync()[0];
    if (range < 80) {
      const K = tf.exp(tf.sub(logits, tf.max(logits)));
      let v: tf.Tensor2D = tf.ones([n, 1]);
      let u: tf.Tensor2D = tf.ones([n, 1]);
      for (let t = 0; t < iters; t++) {
        u = tf.div(1, tf.matMul(K, v)) as tf.Tensor2D;
        v = tf.div(1, tf.matMul(K, u, true, false)) as tf.Tensor2D;
      }
      return tf.mul(tf.mul(u, K), tf.reshape(v, [1, n])) as tf.Tensor2D;
    }
    let L = logits;
    for (let t = 0; t < iters; t++) {
      L = tf.sub(L, tf.logSumExp(L, 1, true));
      L = tf.sub(L, tf.logSumExp(L, 0, true));
    }
    return tf.exp(L) as tf.Tensor2D;
  });
}
