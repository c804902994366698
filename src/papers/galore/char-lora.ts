// The LoRA and ReLoRA* baselines of the SLTrain and SST papers, trained from scratch on the
// char transformer: W = W₀ + a·b with W₀ the (frozen) random initial matrix, a [in, r]
// U(±1/√in) and b [r, out] zeros (tfjs [in, out] layout). ReLoRA* merges a·b into W₀ every
// `mergeEvery` steps, redraws a, zeroes b and restarts the factors' Adam state (the SST card's
// ReLoRA*: no jagged learning-rate schedule). Merging leaves the function unchanged (b = 0).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { assertPositiveInt, fail } from "../../core/validate";
import { FastAdam } from "../../optim";
import { TrainHook } from "../../train/loop";

export class LoRALinear {
  readonly w0: tf.Variable<tf.Rank.R2>;
  readonly a: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R2>;
  readonly inDim: number;
  readonly outDim: number;
  readonly rank: number;
  merges = 0;
  private rng: Rng;

  /** w: the initial [in, out] matrix (copied and frozen as W₀). */
  constructor(w: tf.Tensor2D, rank: number, seed: number) {
    if (!(w instanceof tf.Tensor) || w.rank !== 2) fail("w", "must be a 2-D [in, out] tensor");
    [this.inDim, this.outDim] = w.shape;
    assertPositiveInt("rank", rank);
    if (rank > Math.min(this.inDim, this.outDim)) fail("rank", `must be ≤ min(in, out), got ${rank}`);
    this.rank = rank;
    this.rng = new Rng(seed);
    this.w0 = tf.variable(tf.clone(w), false);
    this.a = tf.variable(this.drawA(), true);
    this.b = tf.variable(tf.zeros([rank, this.outDim]), true);
  }

  private drawA(): tf.Tensor2D {
    const bound = 1 / Math.sqrt(this.inDim);
    const v = new Float32Array(this.inDim * this.rank);
    for (let i = 0; i < v.length; i++) v[i] = (2 * this.rng.next() - 1) * bound;
    return tf.tensor2d(v, [this.inDim, this.rank]);
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.w0), tf.matMul(tf.matMul(x, this.a), this.b)) as tf.Tensor2D;
  }

  /** W₀ ← W₀ + a·b, a redrawn, b ← 0: the same function, a fresh low-rank direction. */
  merge(): void {
    tf.tidy(() => {
      this.w0.assign(tf.add(this.w0, tf.matMul(this.a, this.b)));
      this.a.assign(this.drawA());
      this.b.assign(tf.zerosLike(this.b));
    });
    this.merges++;
  }

  /** The dense [in, out] weight W₀ + a·b. */
  denseWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.add(this.w0, tf.matMul(this.a, this.b)) as tf.Tensor2D);
  }

  variables(): tf.Variable[] {
    return [this.a, this.b];
  }

  /** Trainable values: r·(in + out) (W₀ is frozen). */
  trainableParams(): number {
    return this.rank * (this.inDim + this.outDim);
  }

  dispose(): void {
    this.w0.dispose();
    this.a.dispose();
    this.b.dispose();
  }
}

/** Adam whose whole state can be dropped (ReLoRA*'s optimizer reset at a merge). */
export class ResettableAdam extends tf.Optimizer {
  static get className(): string {
    return "InitlabResettableAdam";
  }
  learningRate: number;
  private inner: FastAdam;
  resets = 0;

  constructor(learningRate: number) {
    super();
    this.learningRate = learningRate;
    this.inner = new FastAdam(learningRate);
  }

  setLearningRate(lr: number): void {
    this.learningRate = lr;
    this.inner.setLearningRate(lr);
  }

  applyGradients(g: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    this.inner.applyGradients(g);
  }

  reset(): void {
    this.inner.dispose();
    this.inner = new FastAdam(this.learningRate);
    this.resets++;
  }

  override dispose(): void {
    this.inner.dispose();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }
}

/** ReLoRA*'s loop hook: every `every` steps (not after the last) merge every layer and reset their Adam. */
export function reloraHook(layers: LoRALinear[], opt: ResettableAdam, every: number, total: number): TrainHook {
  assertPositiveInt("every", every);
  return {
    postStep(step) {
      if (step % every !== 0 || step >= total) return;
      layers.forEach((l) => l.merge());
      opt.reset();
    },
  };
}
