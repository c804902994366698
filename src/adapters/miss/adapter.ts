// MiSS (Kang 2024, arXiv 2409.15371; first published as Bone) in its two forms, one Dense kernel each.
// Layout: torch W_t [out, in] with y = W_t x; our kernels are K = W_tᵀ [in, out], y = x K.
//
// MiSS, default form (HF PEFT `MissConfig(init_weights=True)`): one trainable block D [r, out]
// (torch's `miss_block`, same shape in both layouts), zero at init. The input is cut into
// chunks of length r and the chunks are summed before D: x K + (Σ_c x_c) D. So ΔK repeats D
// down the input axis, ΔK[i, :] = D[i mod r, :] — rank ≤ r, r·out parameters. When r does not
// divide `in`, the reference zero-pads x to a multiple of r (forward) and adds the first
// `in mod r` rows of D to the trailing columns of W_t (merge); ΔK[i] = D[i mod r] is exactly
// that. We write it ΔK = T D with T [in, r] the frozen 0/1 tiling matrix T[i, i mod r] = 1, so
// the chunk sum is one small matmul x T.
//
// Bone, the block-affine form (HF `init_weights="bat"`): W_t is cut into r×r blocks W_ij
// (i: output block, j: input block) and ΔW_ij = W_ij D_i + D_i = (W_ij + I) D_i, one D_i per
// block row i shared by all its blocks: out·r parameters, zero at init, and ΔW depends on W0
// (not linear in the trainable D alone: a product with the frozen weight). In our layout the
// block of K at (input block j, output block i) is W_ijᵀ, so ΔK_ji = E_i (K_ji + I) with
// E_i = D_iᵀ; we store E [out/r, r, r]. r must divide both in and out (the reference refuses
// otherwise).
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, fail } from "../../core/validate";
import { AdapterBase, Base2D, checkRank, variableFrom, W0KeepingAdapter } from "../common";

export interface MissConfig {
  /** Block size r (1 ≤ r ≤ min(in, out)); any r: a remainder of in/r is handled as the reference does. */
  r: number;
}

export interface BoneConfig {
  /** Block size r; must divide both in and out. */
  r: number;
}

function checkObject(config: unknown, keys: string[]): void {
  if (config == null || typeof config !== "object" || Array.isArray(config)) fail("config", "must be an object {r}");
  assertKnownOptions("config", config as object, keys);
}

/** The MiSS tiling matrix T [in, r], T[i, i mod r] = 1: x T sums x's length-r chunks (zero-padded). */
export function missTiling(inDim: number, r: number): tf.Tensor2D {
  if (!Number.isInteger(inDim) || inDim < 1) fail("inDim", `must be a positive integer, got ${inDim}`);
  if (!Number.isInteger(r) || r < 1) fail("r", `must be a positive integer, got ${r}`);
  const t = new Float32Array(inDim * r);
  for (let i = 0; i < inDim; i++) t[i * r + (i % r)] = 1;
  return tf.tensor2d(t, [inDim, r]);
}

export class MissAdapter extends AdapterBase {
  readonly method: string = "miss";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  /** D [r, out], zero at init (trainable). */
  readonly D: tf.Variable<tf.Rank.R2>;
  /** The frozen tiling matrix T [in, r]. */
  readonly tiling: tf.Tensor2D;

  constructor(base: Base2D, config: MissConfig) {
    checkObject(config, ["r"]);
    super(base);
    this.r = checkRank(config.r, this.inDim, this.outDim);
    this.D = variableFrom(tf.zeros([this.r, this.outDim]), true);
    this.tiling = missTiling(this.inDim, this.r);
  }

  trainableVariables(): tf.Variable[] {
    return [this.D];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.base), tf.matMul(tf.matMul(x, this.tiling), this.D)) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.matMul(this.tiling, this.D);
  }

  protected disposeOwn(): void {
    this.D.dispose();
    this.tiling.dispose();
  }
}

/**
 * K [in, out] rearranged for Bone's product, plus the identity: X[i, a, j·r + b] = K[j r + a, i r + b] + δ_ab
 * (output block i, the r×in matrix [K_1i + I, K_2i + I, ...]). Shape [out/r, r, in].
 */
function boneArrange(kernel: tf.Tensor2D, r: number): tf.Tensor3D {
  const [inDim, outDim] = kernel.shape;
  return tf.tidy(() => {
    const k = tf.transpose(tf.reshape(kernel, [inDim / r, r, outDim / r, r]), [2, 1, 0, 3]);
    return tf.reshape(tf.add(k, tf.reshape(tf.eye(r), [1, r, 1, r])), [outDim / r, r, inDim]) as tf.Tensor3D;
  });
}

/** ΔK from blocks E [out/r, r, r] and the arranged kernel: (i, c, j·b) = Σ_a E_i[c, a] X_i[a, j·b], back to [in, out]. */
function boneFromArranged(arranged: tf.Tensor3D, blocks: tf.Tensor3D, inDim: number, outDim: number): tf.Tensor2D {
  const [nb, r] = blocks.shape;
  return tf.tidy(() => {
    const y = tf.matMul(blocks, arranged);
    return tf.reshape(tf.transpose(tf.reshape(y, [nb, r, inDim / r, r]), [2, 1, 0, 3]), [inDim, outDim]) as tf.Tensor2D;
  });
}

/**
 * Bone's block-affine update of a kernel K [in, out] with blocks E [out/r, r, r]:
 * ΔK_ji = E_i (K_ji + I) for input block j and output block i (torch: ΔW_ij = (W_ij + I) D_i, D_i = E_iᵀ).
 */
export function boneDelta(kernel: tf.Tensor2D, blocks: tf.Tensor3D): tf.Tensor2D {
  const [inDim, outDim] = kernel.shape;
  const [nb, r, r2] = blocks.shape;
  if (r !== r2 || nb * r !== outDim || inDim % r !== 0)
    fail(
      "blocks",
      `must be [out/r, r, r] with r dividing in and out; got [${blocks.shape}] for kernel [${kernel.shape}]`,
    );
  return tf.tidy(() => boneFromArranged(boneArrange(kernel, r), blocks, inDim, outDim));
}

export class BoneAdapter extends W0KeepingAdapter {
  readonly method: string = "bone";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  /** E [out/r, r, r]: E_i = torch's D_iᵀ, zero at init (trainable). */
  readonly blocks: tf.Variable<tf.Rank.R3>;
  /** W0 rearranged per output block, plus I (frozen; computed once so a step costs one batched matmul). */
  private readonly arranged: tf.Tensor3D;

  constructor(base: Base2D, config: BoneConfig) {
    checkObject(config, ["r"]);
    super(base);
    const r = (this.r = checkRank(config.r, this.inDim, this.outDim));
    if (this.inDim % r !== 0 || this.outDim % r !== 0)
      fail(
        "config.r",
        `is ${r}; Bone cuts W0 into r×r blocks, so r must divide in = ${this.inDim} and out = ${this.outDim}`,
      );
    this.blocks = variableFrom(tf.zeros([this.outDim / r, r, r]), true);
    this.arranged = boneArrange(this.w0, r);
  }

  trainableVariables(): tf.Variable[] {
    return [this.blocks];
  }

  parameterCount(): number {
    return this.outDim * this.r;
  }

  protected forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, tf.add(this.w0, this.deltaW()) as tf.Tensor2D);
  }

  deltaW(): tf.Tensor2D {
    return boneFromArranged(this.arranged, this.blocks, this.inDim, this.outDim);
  }

  protected disposeOwn(): void {
    this.blocks.dispose();
    this.arranged.dispose();
  }
}
