// DyLoRA (Valipour et al. 2023): LoRA with a maximum rank r_max whose components are
// ordered, so that any prefix of b ≤ r_max components is a usable adapter.
//
// Layout (tfjs [in, out], y = x W): A [in, r_max], B [r_max, out], ΔW_b = (α/b)·A[:, :b] B[:b].
// Scaling: the paper writes α/b; the official module keeps α/r_max and multiplies each
// factor by √(r_max/b), whose product is the same α/b, with the same gradients. We apply α/b.
//
// Training: every optimizer step uses a rank b ~ U{1..r_max}. The draw for step t+1 is made
// in postStep(t) from a stream seeded by config.seed alone, so every matrix of a model built
// from one config draws the same b at every step (the official script sets one rank for the
// whole model per step) and runs are deterministic per seed. "frozen" mode (the official GLUE
// script's): components before the b-th are detached, so only the b-th row/column learns.
//
// Which b a forward uses: a forward recorded on a gradient tape (tf.engine().isTapeOn(), i.e.
// inside the training loop's variableGrads) is a training forward and uses the sampled b; any
// other forward (evaluation, metrics) uses the inference rank, r_max unless setRank(b) chose
// another. deltaW(), effectiveWeight() and merge() follow the inference rank.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { AdapterBase, Base2D, checkAlpha, checkConfig, checkRank, checkSeed, variableFrom } from "../common";

export interface DyLoraConfig {
  /** Maximum rank r_max ≥ 1 (the number of preallocated components). */
  r: number;
  /** Scaling numerator α (default r); a prefix of b components is scaled by α/b. */
  alpha?: number;
  /** Official "frozen" mode: only the sampled b-th component receives gradient (default false). */
  frozen?: boolean;
  /** Seed of A's draw and of the per-step rank stream (default: initlab's global seeded stream). */
  seed?: number;
}

const KEYS = ["r", "alpha", "frozen", "seed"];

/** Gradient-blocking identity (torch's .detach()): forward x, backward 0. */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as (x: tf.Tensor) => tf.Tensor;

/** The rank stream's seed: derived from config.seed only, so all matrices of one model agree. */
const rankStreamSeed = (s: number): number => (Math.floor(s) * 2654435761 + 0x5bd1e995) % 2147483647;

export class DyLoraAdapter extends AdapterBase {
  readonly method: string = "dylora";
  readonly identityAtInit: boolean = true;
  /** r_max. */
  readonly r: number;
  readonly alpha: number;
  readonly frozen: boolean;
  /** A [in, r_max], kaiming-uniform as LoRA. */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** B [r_max, out], zero at init. */
  readonly B: tf.Variable<tf.Rank.R2>;
  private readonly rankRng: Rng;
  private trainB: number;
  private inferB: number;

  constructor(base: Base2D, config: DyLoraConfig) {
    checkConfig(config, KEYS, "{r, alpha?, frozen?, seed?}");
    super(base);
    this.r = checkRank(config.r, this.inDim, this.outDim);
    this.alpha = checkAlpha(config.alpha, this.r);
    if (config.frozen !== undefined && typeof config.frozen !== "boolean")
      fail("config.frozen", `must be a boolean, got ${String(config.frozen)}`);
    this.frozen = config.frozen ?? false;
    const s = checkSeed(config.seed);
    const rng = new Rng(s);
    const a = new Float32Array(this.inDim * this.r);
    const bound = 1 / Math.sqrt(this.inDim);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    this.A = variableFrom(tf.tensor2d(a, [this.inDim, this.r]), true);
    this.B = variableFrom(tf.zeros([this.r, this.outDim]), true);
    this.rankRng = new Rng(rankStreamSeed(s));
    this.trainB = this.drawRank();
    this.inferB = this.r;
  }

  private drawRank(): number {
    return 1 + this.rankRng.int(this.r);
  }

  /** The rank b the next training step uses (drawn in the previous postStep). */
  get trainingRank(): number {
    return this.trainB;
  }

  /** The inference rank (used outside gradient tapes and by deltaW/merge). */
  get rank(): number {
    return this.inferB;
  }

  /** Sets the inference rank b ∈ {1..r_max}; not while merged (the merged kernel holds the old ΔW). */
  setRank(b: number): void {
    if (typeof b !== "number" || !Number.isInteger(b) || b < 1 || b > this.r)
      fail("b", `must be an integer in [1, ${this.r}] (r_max), got ${String(b)}`);
    if (this.merged && b !== this.inferB) fail("b", "cannot change the inference rank while merged; unmerge() first");
    this.inferB = b;
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B];
  }

  /** Draws the rank of the next training step. */
  postStep(): void {
    this.trainB = this.drawRank();
  }

  /** A [r_max] vector holding v at positions from..to−1 and 0 elsewhere. */
  private band(from: number, to: number, v: number): tf.Tensor1D {
    const m = new Float32Array(this.r);
    for (let j = from; j < to; j++) m[j] = v;
    return tf.tensor1d(m);
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    const training = tf.engine().isTapeOn();
    const b = training ? this.trainB : this.inferB;
    const s = this.alpha / b;
    const base = tf.matMul(x, this.base);
    if (training && this.frozen && b > 1) {
      // Components 1..b−1 enter through detached copies; only the b-th learns.
      const old = this.band(0, b - 1, 1);
      const cur = this.band(b - 1, b, 1);
      const a = tf.add(tf.mul(stopGradient(this.A), old), tf.mul(this.A, cur)) as tf.Tensor2D;
      const bb = tf.add(
        tf.mul(stopGradient(this.B), old.reshape([this.r, 1])),
        tf.mul(this.B, cur.reshape([this.r, 1])),
      ) as tf.Tensor2D;
      return tf.add(base, tf.mul(tf.matMul(tf.matMul(x, a), bb), s)) as tf.Tensor2D;
    }
    const z = tf.mul(tf.matMul(x, this.A), this.band(0, b, s)) as tf.Tensor2D;
    return tf.add(base, tf.matMul(z, this.B)) as tf.Tensor2D;
  }

  /** ΔW at the inference rank b: (α/b)·A[:, :b] B[:b]. */
  deltaW(): tf.Tensor2D {
    return tf.tidy(
      () => tf.matMul(tf.mul(this.A, this.band(0, this.inferB, this.alpha / this.inferB)), this.B) as tf.Tensor2D,
    );
  }

  override parameterCount(): number {
    return this.r * (this.inDim + this.outDim);
  }

  protected disposeOwn(): void {
    this.A.dispose();
    this.B.dispose();
  }
}
