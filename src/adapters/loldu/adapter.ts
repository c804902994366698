// LoLDU (Shi et al. 2024): LU with partial pivoting of the torch-layout weight,
// W0 [out, in] = P L D U (float64, src/linalg/lu.ts). Keep L_r = L[:, :r], d_r = D[:r],
// U_r = U[:r, :] frozen; train z ∈ R^r (init d_r) and a scalar s (init s0 = α/r):
//   W = W_res + s·P L_r diag(z) U_r,  W_res = W0 − s0·P L_r diag(d_r) U_r   (r + 1 params).
// tfjs layout [in, out] = Wᵀ: ΔW-form = U_rᵀ diag(z) (P L_r)ᵀ · s, stored as
// left = U_rᵀ [in, r] and right = (P L_r)ᵀ [r, out], both frozen.
import * as tf from "@tensorflow/tfjs";
import { luDecompose } from "../../linalg/lu";
import { assertKnownOptions, fail } from "../../core/validate";
import { checkRank, optNumber, transpose, W0KeepingAdapter } from "../common";

export type { LUResult } from "../../linalg/lu";

export interface LolduConfig {
  /** Number of LU components kept (1 ≤ r ≤ min(in, out)); r = min(in, out) keeps all. */
  r: number;
  /** Scaling numerator: s is initialised to α/r (default α = r, so s0 = 1). Must be > 0. */
  alpha?: number;
}

const LOLDU_KEYS = ["r", "alpha"];

export class LolduAdapter extends W0KeepingAdapter {
  readonly method: string = "loldu";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  readonly alpha: number;
  /** Initial scale s0 = α/r. */
  readonly scale0: number;
  /** Trainable diagonal z [r] (init d_r; 1 for a zero pivot, whose raw upper row is kept). */
  readonly z: tf.Variable<tf.Rank.R1>;
  /** Trainable scalar s (init α/r). */
  readonly s: tf.Variable<tf.Rank.R0>;
  /** Frozen U_rᵀ [in, r]. */
  readonly left: tf.Tensor2D;
  /** Frozen (P L_r)ᵀ [r, out]. */
  readonly right: tf.Tensor2D;
  readonly residual: tf.Tensor2D;
  /** The pivots d_r (z's initial value). */
  readonly pivots: number[];
  private readonly part0: tf.Tensor2D;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: LolduConfig) {
    if (config == null || typeof config !== "object") fail("config", "must be an object {r, alpha?}");
    assertKnownOptions("config", config, LOLDU_KEYS);
    super(base);
    const r = (this.r = checkRank(config.r, this.inDim, this.outDim));
    this.alpha = optNumber("config.alpha", config.alpha, r, (a) => (a <= 0 ? `must be positive, got ${a}` : null));
    this.scale0 = this.alpha / r;
    const wTf = this.w0.arraySync();
    const f = luDecompose(transpose(wTf)); // torch layout [out, in]
    const m = this.outDim;
    // (P L_r)[perm[i]][j] = L[i][j]
    const pl = Array.from({ length: m }, () => new Array<number>(r).fill(0));
    for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) pl[f.perm[i]][j] = f.L[i][j];
    const left = Array.from({ length: this.inDim }, (_, c) => Array.from({ length: r }, (_, j) => f.U[j][c]));
    const right = Array.from({ length: r }, (_, j) => pl.map((row) => row[j]));
    this.pivots = f.D.slice(0, r);
    // A zero pivot keeps its raw upper row (luDecompose), so it enters with factor 1 in the residual.
    const dEff = this.pivots.map((d) => (d === 0 ? 1 : d));
    this.left = tf.tensor2d(left, [this.inDim, r]);
    this.right = tf.tensor2d(right, [r, m]);
    this.z = tf.tidy(() => tf.variable(tf.tensor1d(dEff), true));
    this.s = tf.tidy(() => tf.variable(tf.scalar(this.scale0), true));
    // The same float32 ops as deltaW(), so ΔW is exactly 0 at init.
    this.part0 = tf.keep(this.product());
    this.residual = tf.keep(tf.tidy(() => tf.sub(this.w0, this.part0) as tf.Tensor2D));
  }

  trainableVariables(): tf.Variable[] {
    return [this.z, this.s];
  }

  parameterCount(): number {
    return this.r + 1;
  }

  protected forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D {
    const path = tf.matMul(tf.mul(tf.matMul(x, this.left), tf.mul(this.z, this.s)), this.right);
    return tf.add(tf.matMul(x, this.residual), path) as tf.Tensor2D;
  }

  /** s·U_rᵀ diag(z) (P L_r)ᵀ [in, out]. */
  private product(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.mul(this.left, tf.mul(this.z, this.s)), this.right));
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.sub(this.product(), this.part0) as tf.Tensor2D);
  }

  protected disposeOwn(): void {
    for (const t of [this.z, this.s, this.left, this.right, this.residual, this.part0]) t.dispose();
  }
}
