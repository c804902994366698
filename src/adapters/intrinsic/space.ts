// The shared subspace of intrinsic-dimension training (Li et al. 2018; Aghajanyan et al.
// 2021): ONE trainable θ_d ∈ R^d (zero init) for the whole model, and one fixed random
// projection per adapted tensor, so that θ_l = θ0_l + λ_l·P_l θ_d. The registry builds one
// adapter per matrix from the same config object, so a space placed in that config (the
// benchmark entry's prepareConfig makes one per run) is joined by every matrix's adapter;
// the first member lists θ_d among its trainable variables, the others do not, so the
// optimizer sees θ_d once and autograd sums its gradient over every tensor that uses it.
import * as tf from "@tensorflow/tfjs";
import { nextSeed } from "../../core/random";
import { assertKnownOptions, fail } from "../../core/validate";
import { DenseProjection, FastfoodProjection, Projection } from "../../linalg/projections";

export type ProjectionKind = "fastfood" | "dense";
export const PROJECTION_KINDS: readonly ProjectionKind[] = ["fastfood", "dense"];

export interface IntrinsicSpaceOptions {
  /** Dimension of θ_d (the SAID scalars, one per tensor, come on top). */
  d: number;
  /** "fastfood" (default): P = c·S H G Π H B per tensor; "dense": Gaussian with unit-norm columns. */
  projection?: ProjectionKind;
  /** SAID (Aghajanyan et al.): one trainable scalar λ_l per tensor, init 1 (default false). */
  said?: boolean;
  /** Seed of the projections (member l draws from a stream derived from it). Default: global stream. */
  seed?: number;
}

export class IntrinsicSpace {
  readonly d: number;
  readonly projection: ProjectionKind;
  readonly said: boolean;
  readonly seed: number;
  /** θ_d, zero at init. */
  readonly theta: tf.Variable<tf.Rank.R1>;
  private joined = 0;
  private live = 0;

  constructor(opts: IntrinsicSpaceOptions) {
    if (opts == null || typeof opts !== "object" || Array.isArray(opts))
      fail("opts", "must be an object {d, projection?, said?, seed?}");
    assertKnownOptions("opts", opts, ["d", "projection", "said", "seed"]);
    const d = opts.d;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1)
      fail("config.d", `must be a positive integer, got ${String(d)}`);
    const p = opts.projection ?? "fastfood";
    if (!PROJECTION_KINDS.includes(p))
      fail("config.projection", `unknown projection "${String(p)}" (known: ${PROJECTION_KINDS.join(", ")})`);
    const said = opts.said ?? false;
    if (typeof said !== "boolean") fail("config.said", `must be true or false, got ${String(said)}`);
    const s = opts.seed ?? nextSeed();
    if (typeof s !== "number" || !Number.isFinite(s)) fail("config.seed", `must be a finite number, got ${String(s)}`);
    this.d = d;
    this.projection = p;
    this.said = said;
    this.seed = s;
    const zeros = tf.zeros([d]) as tf.Tensor1D;
    this.theta = tf.variable(zeros, true);
    zeros.dispose(); // tf.variable copies; the zeros would stay allocated otherwise
  }

  /** Number of tensors that joined. */
  get members(): number {
    return this.joined;
  }

  /** Trainable scalars of the whole space: d, plus one λ per member with SAID. */
  parameterCount(): number {
    return this.d + (this.said ? this.joined : 0);
  }

  /** Joins with a tensor of D entries: its member index (0 lists θ_d) and its projection R^d → R^D. */
  join(D: number): { index: number; projection: Projection } {
    if (this.theta.isDisposed) fail("space", "is disposed (every member left); make a new space per model");
    const index = this.joined++;
    this.live++;
    // Distinct, reproducible streams per member (the member order is the model's matrix order).
    const seedValue = this.seed * 1009 + 7919 * (index + 1);
    const projection =
      this.projection === "fastfood"
        ? new FastfoodProjection(this.d, D, seedValue)
        : new DenseProjection(this.d, D, seedValue);
    return { index, projection };
  }

  /** A member is disposed; θ_d is freed with the last one. */
  leave(): void {
    if (this.live > 0 && --this.live === 0) this.theta.dispose();
  }
}
