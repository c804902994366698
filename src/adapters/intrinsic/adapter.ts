// Intrinsic-dimension training for one Dense kernel (Li et al. 2018; Aghajanyan et al. 2021):
// W = W0 + λ·reshape(P θ_d), with θ_d shared by every adapted matrix through an
// IntrinsicSpace (see space.ts), P fixed random (Fastfood or dense), λ = 1 fixed, or a
// trainable SAID scalar (init 1). θ_d = 0 at init, so the layer starts as the base. The
// projection runs in JS inside tf.customGrad: forward P θ, backward Pᵀ g (for Fastfood two
// fast Walsh–Hadamard transforms each way, O(L log L) with L = 2^k ≥ in·out).
import * as tf from "@tensorflow/tfjs";
import { fail } from "../../core/validate";
import { DenseProjection, Projection } from "../../linalg/projections";
import { AdapterBase, Base2D, checkBase, checkConfig, variableFrom } from "../common";
import { IntrinsicSpace, ProjectionKind } from "./space";

export interface IntrinsicConfig {
  /** θ_d's dimension (for a private space; with `space` it must be absent or equal). */
  d?: number;
  projection?: ProjectionKind;
  said?: boolean;
  seed?: number;
  /** The model-wide subspace shared by every matrix (made per run); without it the adapter makes its own. */
  space?: IntrinsicSpace;
}

const KEYS = ["d", "projection", "said", "seed", "space"];

function sameAsSpace(config: IntrinsicConfig, space: IntrinsicSpace): void {
  const own: Record<string, unknown> = { d: space.d, projection: space.projection, said: space.said, seed: space.seed };
  for (const k of ["d", "projection", "said", "seed"] as const) {
    if (config[k] !== undefined && config[k] !== own[k])
      fail(`config.${k}`, `is ${String(config[k])} but the shared space has ${String(own[k])}; give one or the other`);
  }
}

export class IntrinsicAdapter extends AdapterBase {
  readonly method: string = "intrinsic";
  readonly identityAtInit = true;
  readonly space: IntrinsicSpace;
  /** Member index in the space (0 = the member that lists θ_d). */
  readonly index: number;
  /** SAID's per-tensor scalar (init 1), or null without SAID. */
  readonly lambda: tf.Variable<tf.Rank.R0> | null;
  private readonly proj: Projection;
  /** A dense P as a frozen [d, in·out] tensor (tfjs's matmul beats a JS loop there), else null. */
  private readonly denseP: tf.Variable<tf.Rank.R2> | null;
  private readonly project: (theta: tf.Tensor) => tf.Tensor;
  // Last θ seen and its projection: evaluation passes reuse it while θ is unchanged.
  private lastTheta: Float32Array | null = null;
  private lastOut: Float32Array | null = null;
  private left = false;

  constructor(base: Base2D, config: IntrinsicConfig) {
    if (config != null && typeof config === "object" && "r" in config) {
      const [i, o] = checkBase(base);
      const r = (config as { r?: unknown }).r;
      fail(
        "config.r",
        `is ${String(r)}; intrinsic-dimension training has no rank r, its size is config.d (for rank methods r cannot exceed min(in, out) = ${Math.min(i, o)})`,
      );
    }
    checkConfig(config, KEYS, "{d, projection?, said?, seed?} or {space}");
    const [inDim, outDim] = checkBase(base);
    let space: IntrinsicSpace;
    if (config.space !== undefined) {
      if (!(config.space instanceof IntrinsicSpace)) fail("config.space", "must be an IntrinsicSpace");
      space = config.space;
      sameAsSpace(config, space);
    } else {
      space = new IntrinsicSpace({
        d: config.d as number,
        projection: config.projection,
        said: config.said,
        seed: config.seed,
      });
    }
    super(base);
    this.space = space;
    const { index, projection } = space.join(inDim * outDim);
    this.index = index;
    this.proj = projection;
    this.denseP =
      projection instanceof DenseProjection
        ? variableFrom(tf.tensor2d(projection.rows, [projection.d, projection.D]), false)
        : null;
    this.lambda = space.said ? (variableFrom(tf.scalar(1), true) as tf.Variable<tf.Rank.R0>) : null;
    const f = (theta: tf.Tensor) => ({
      value: tf.tensor1d(this.projectValues(theta.dataSync() as Float32Array)),
      gradFunc: (dy: tf.Tensor) => tf.tensor1d(this.proj.applyT(dy.dataSync())),
    });
    this.project = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (
      theta: tf.Tensor,
    ) => tf.Tensor;
  }

  /** Projection P_l of this tensor (R^d → R^{in·out}, row-major [in, out]). */
  get projectionOperator(): Projection {
    return this.proj;
  }

  private projectValues(theta: Float32Array): Float32Array {
    const last = this.lastTheta;
    let same = last !== null && last.length === theta.length;
    for (let i = 0; same && i < theta.length; i++) same = last![i] === theta[i];
    if (!same) {
      this.lastOut = this.proj.apply(theta);
      this.lastTheta = Float32Array.from(theta);
    }
    return (this.lastOut as Float32Array).slice();
  }

  trainableVariables(): tf.Variable[] {
    return [...(this.index === 0 ? [this.space.theta] : []), ...(this.lambda ? [this.lambda] : [])];
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => {
      const theta = this.space.theta;
      const flat = this.denseP ? tf.matMul(tf.reshape(theta, [1, this.space.d]), this.denseP) : this.project(theta);
      const p = tf.reshape(flat, [this.inDim, this.outDim]) as tf.Tensor2D;
      return this.lambda ? (tf.mul(p, this.lambda) as tf.Tensor2D) : p;
    });
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, tf.add(this.base, this.deltaW()) as tf.Tensor2D);
  }

  protected disposeOwn(): void {
    this.lambda?.dispose();
    this.denseP?.dispose();
    if (!this.left) {
      this.left = true;
      this.space.leave();
    }
  }
}
