// GradNormLoRP (Huang et al., AAAI 2025): weight normalisation plus GaLore-projected gradients.
// Each projected matrix is read as W = g ⊙ v/‖v‖ per output unit (a column in tfjs's [in, out]
// layout). Adam runs on the magnitudes g in full and on the direction parameter v through a
// rank-r projection of its gradient, then W is rebuilt from the updated g and v.
//
// What the official LowRankWeightNormAdamW does, and what we keep:
// - ∇g = Σ_in G ⊙ v/‖v‖; ∇v = (g/‖v‖)·G ("code": the paper's (I − v̂v̂ᵀ) factor is left out) or
//   (g/‖v‖)·(G − v̂ ∇g) ("paper"); `vGradient` picks one, "code" by default like Fira's flag.
// - Its v is a full extra copy of W whose norm it re-reads as g at every step. Here v is the
//   weight itself at the start of each step (v = W, so g = ‖W‖ per unit and g/‖v‖ = 1): the same
//   step for the same W, without an m×n copy. Only direction(v) enters W, so nothing is lost.
// - v's moments are GaLore's (projected, refreshed by SVD of ∇v every T steps, scale α); g has
//   its own full Adam moments. State per projected m×n matrix: GaLore's + 2·n floats.
// - Bias-corrected step lr·√(1−β₂ᵗ)/(1−β₁ᵗ), ε added to √v (1e-6), decoupled weight decay on g
//   and v (which scales W). Other variables (biases, embeddings, small matrices) get plain Adam.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { GaLoreAdam, GaLoreOptions, galoreStateFloats, ProjectedSlot } from "./galore";
import { gradientPairs, variableOf } from "./named-grads";

export interface GradNormLoRPOptions extends GaLoreOptions {
  /** ∇v without (I − v̂v̂ᵀ) as the official code ("code", default), or with it as the paper ("paper"). */
  vGradient?: "code" | "paper";
}

/** Exact GradNormLoRP state of one m×n matrix (n output units) at rank r: GaLore's plus g's two moments. */
export function gradNormLoRPStateFloats(m: number, n: number, rank: number): number {
  return galoreStateFloats(m, n, rank) + 2 * n;
}

/** Adam moments of the per-unit magnitudes g (1×n each). */
interface MagnitudeSlot {
  m: tf.Tensor2D;
  v: tf.Tensor2D;
}

// Guards a zero column (a dead unit) against 0/0: its direction stays 0 and W stays put.
const NORM_FLOOR = 1e-12;

/** GradNormLoRP as a tf.Optimizer: a drop-in for FastAdam (or GaLoreAdam) in train(). */
export class GradNormLoRPAdam extends GaLoreAdam {
  static override get className(): string {
    return "InitlabGradNormLoRPAdam";
  }
  readonly vGradient: "code" | "paper";
  private magnitudes = new Map<string, MagnitudeSlot>();

  constructor(learningRate: number, opts: GradNormLoRPOptions) {
    super(learningRate, opts);
    this.vGradient = opts.vGradient ?? "code";
    if (this.vGradient !== "code" && this.vGradient !== "paper")
      fail("opts.vGradient", `must be "code" or "paper", got ${String(opts.vGradient)}`);
  }

  protected override knownOptions(): string[] {
    return [...super.knownOptions(), "vGradient"];
  }

  /** GaLore's state (projected moments of v, projectors, Adam elsewhere) plus the magnitude moments. */
  override stateFloats(): number {
    let extra = 0;
    for (const s of this.magnitudes.values()) extra += s.m.size + s.v.size;
    return super.stateFloats() + extra;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const pairs = gradientPairs(variableGradients);
    // Unprojected variables go through GaLoreAdam's own (plain Adam) path at the same step count.
    const plain: Array<{ name: string; tensor: tf.Tensor }> = [];
    const mine: Array<[string, tf.Tensor, tf.Variable]> = [];
    for (const [name, g] of pairs) {
      if (g == null) continue;
      const w = variableOf(name, g);
      if (this.isProjected(name, w.shape)) mine.push([name, g, w]);
      else plain.push({ name, tensor: g });
    }
    // super.applyGradients advances t and the iteration count once; the projected matrices use the same t.
    super.applyGradients(plain);
    if (plain.length === 0 && mine.length === 0) return;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    const step = (this.learningRate * Math.sqrt(c2)) / c1;
    for (const [name, g, w] of mine) this.updateMatrix(name, g as tf.Tensor2D, w, step);
  }

  /** One weight-normalised, projected step for an m×n matrix. */
  private updateMatrix(name: string, g: tf.Tensor2D, w: tf.Variable, step: number): void {
    const [m, n] = w.shape;
    let s = this.slots.get(name);
    if (!s) {
      const side = m >= n ? "right" : "left";
      const shape = side === "right" ? [m, this.rank] : [this.rank, n];
      s = { m: tf.keep(tf.zeros(shape)), v: tf.keep(tf.zeros(shape)), p: null, side, refreshes: 0 } as ProjectedSlot;
      this.slots.set(name, s);
      this.magnitudes.set(name, { m: tf.keep(tf.zeros([1, n])), v: tf.keep(tf.zeros([1, n])) });
    }
    const slot = s;
    const mag = this.magnitudes.get(name)!;
    // v = W, g = ‖W‖ per column, v̂ = W/‖W‖ (so g/‖v‖ = 1 in both gradients).
    const gradV = tf.tidy(() => {
      const norm = tf.maximum(tf.norm(w, "euclidean", 0, true), NORM_FLOOR);
      const vHat = tf.div(w, norm);
      const gradG = tf.sum(tf.mul(g, vHat), 0, true); // 1×n
      const gv = this.vGradient === "paper" ? tf.sub(g, tf.mul(vHat, gradG)) : g;
      // In the "code" form gv is the caller's gradient (created outside this scope): not kept, not ours.
      return [gv === g ? g : tf.keep(gv), tf.keep(gradG), tf.keep(norm)] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    });
    const [gv, gradG, norm] = gradV;
    // The projector comes from ∇v (as the official code projects grad_v), refreshed every T steps.
    this.maybeRefresh(name, gv, slot);
    const out = tf.tidy(() => {
      const r = this.project(gv, slot);
      const mv = tf.add(tf.mul(slot.m, this.beta1), tf.mul(r, 1 - this.beta1));
      const vv = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(r), 1 - this.beta2));
      const nv = tf.div(mv, tf.add(tf.sqrt(vv), this.epsilon)) as tf.Tensor2D;
      const mg = tf.add(tf.mul(mag.m, this.beta1), tf.mul(gradG, 1 - this.beta1));
      const vg = tf.add(tf.mul(mag.v, this.beta2), tf.mul(tf.square(gradG), 1 - this.beta2));
      const ng = tf.div(mg, tf.add(tf.sqrt(vg), this.epsilon));
      let vNew = tf.sub(w, tf.mul(this.back(nv, slot), this.scale * step));
      let gNew = tf.sub(norm, tf.mul(ng, step));
      if (this.weightDecay > 0) {
        const keep = 1 - this.learningRate * this.weightDecay;
        vNew = tf.mul(vNew, keep);
        gNew = tf.mul(gNew, keep);
      }
      const vNorm = tf.maximum(tf.norm(vNew, "euclidean", 0, true), NORM_FLOOR);
      w.assign(tf.mul(gNew, tf.div(vNew, vNorm)));
      return [mv, vv, mg, vg].map((x) => tf.keep(x));
    });
    // gv is the caller's gradient itself in the "code" form: leave that one to the caller.
    [gv === g ? null : gv, gradG, norm].forEach((t) => t?.dispose());
    slot.m.dispose();
    slot.v.dispose();
    mag.m.dispose();
    mag.v.dispose();
    [slot.m, slot.v, mag.m, mag.v] = out as [tf.Tensor, tf.Tensor, tf.Tensor2D, tf.Tensor2D];
  }

  override dispose(): void {
    for (const s of this.magnitudes.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.magnitudes.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vGradient: this.vGradient };
  }
}
