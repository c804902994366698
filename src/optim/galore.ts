// GaLore (Zhao et al., ICML 2024): Adam run on a low-rank projection of each matrix's
// gradient. Every `updateGap` steps the top-r singular vectors of the current gradient
// become the projector, on the smaller side of the matrix; the moments live in the r-dim
// space, so a m×n matrix holds 2·r·max(m,n) + r·min(m,n) floats instead of 2·m·n.
// The update follows galore-torch's AdamW: N = m/(√v + ε), step lr·√(1−β₂ᵗ)/(1−β₁ᵗ),
// W ← W − step·α·back(N), then decoupled weight decay. Moments are not touched when the
// projector changes (the official behaviour) unless `reprojectMoments` is set.
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { svd } from "../linalg/decompose";
import { gradientPairs, variableOf } from "./named-grads";

export interface GaLoreOptions {
  /** Projection rank r (must be below min(m, n) of every projected matrix). */
  rank: number;
  /** Steps between projector refreshes, T (default 200). */
  updateGap?: number;
  /** Scale α of the projected-back update (default 0.25). */
  scale?: number;
  beta1?: number;
  beta2?: number;
  /** Added to √v (default 1e-6, galore-torch's AdamW). */
  epsilon?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /** Rotate the first moment into the new subspace at a refresh, M ← P_newᵀ P_old M (default false). */
  reprojectMoments?: boolean;
  /** Names of the variables to project (default: every 2-D variable with min(m, n) > rank). */
  targets?: string[];
}

/** Which side the projector sits on: "right" (m ≥ n: R = G·Q, Q n×r) or "left" (m < n: R = Uᵀ·G, U m×r). */
export type ProjectionSide = "left" | "right";

/** Projection side for an m×n gradient: the smaller dimension is projected. */
export function projectionSide(m: number, n: number): ProjectionSide {
  return m >= n ? "right" : "left";
}

/** Exact GaLore state of one m×n matrix at rank r: two r×max moments and the min×r projector. */
export function galoreStateFloats(m: number, n: number, rank: number): number {
  return 2 * rank * Math.max(m, n) + rank * Math.min(m, n);
}

/** Per-variable state: full Adam moments, or projected moments plus the projector. */
export interface ProjectedSlot {
  m: tf.Tensor;
  v: tf.Tensor;
  /** Projector with orthonormal columns (min(m,n)×r), null for unprojected variables. */
  p: tf.Tensor2D | null;
  side: ProjectionSide | null;
  refreshes: number;
}

const KNOWN = ["rank", "updateGap", "scale", "beta1", "beta2", "epsilon", "weightDecay", "reprojectMoments", "targets"];

/** GaLore-projected Adam as a tf.Optimizer: a drop-in for FastAdam in train(). */
export class GaLoreAdam extends tf.Optimizer {
  static get className(): string {
    return "InitlabGaLoreAdam";
  }
  learningRate: number;
  readonly rank: number;
  readonly updateGap: number;
  readonly scale: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly reprojectMoments: boolean;
  protected readonly targets: Set<string> | null;
  protected slots = new Map<string, ProjectedSlot>();
  protected t = 0;

  constructor(learningRate: number, opts: GaLoreOptions) {
    super();
    if (opts == null || typeof opts !== "object") fail("opts", "must be an object with at least { rank }");
    assertKnownOptions("opts", opts as unknown as Record<string, unknown>, this.knownOptions());
    if (!(learningRate > 0) || !Number.isFinite(learningRate))
      fail("learningRate", `must be a positive finite number, got ${learningRate}`);
    assertPositiveInt("opts.rank", opts.rank);
    this.updateGap = opts.updateGap ?? 200;
    assertPositiveInt("opts.updateGap", this.updateGap);
    this.scale = opts.scale ?? 0.25;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) fail("opts.scale", `must be positive, got ${opts.scale}`);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    for (const [k, b] of [
      ["opts.beta1", this.beta1],
      ["opts.beta2", this.beta2],
    ] as const)
      if (!(b >= 0 && b < 1)) fail(k, `must be in [0, 1), got ${b}`);
    this.epsilon = opts.epsilon ?? 1e-6;
    if (!(this.epsilon >= 0)) fail("opts.epsilon", `must be ≥ 0, got ${opts.epsilon}`);
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.weightDecay >= 0)) fail("opts.weightDecay", `must be ≥ 0, got ${opts.weightDecay}`);
    this.reprojectMoments = opts.reprojectMoments ?? false;
    this.learningRate = learningRate;
    this.rank = opts.rank;
    this.targets = opts.targets ? new Set(opts.targets) : null;
  }

  protected knownOptions(): string[] {
    return KNOWN;
  }

  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) fail("lr", `must be a finite number ≥ 0, got ${lr}`);
    this.learningRate = lr;
  }

  /** Whether a variable of this name and shape gets the projection. */
  protected isProjected(name: string, shape: number[]): boolean {
    if (this.targets) {
      if (!this.targets.has(name)) return false;
      if (shape.length !== 2) fail("opts.targets", `"${name}" has shape [${shape}]; only 2-D variables project`);
      if (this.rank >= Math.min(shape[0], shape[1]))
        fail("opts.rank", `${this.rank} ≥ min(${shape[0]}, ${shape[1]}) of "${name}": the projection is degenerate`);
      return true;
    }
    return shape.length === 2 && Math.min(shape[0], shape[1]) > this.rank;
  }

  /** Persistent optimizer state in floats (moments and projectors), summed over variables. */
  stateFloats(): number {
    let s = 0;
    for (const slot of this.slots.values()) s += slot.m.size + slot.v.size + (slot.p ? slot.p.size : 0);
    return s;
  }

  /** Number of SVD refreshes done so far (all variables). */
  refreshCount(): number {
    let s = 0;
    for (const slot of this.slots.values()) s += slot.refreshes;
    return s;
  }

  /** The current projector of a variable (orthonormal columns), or null. */
  projector(name: string): tf.Tensor2D | null {
    return this.slots.get(name)?.p ?? null;
  }

  /** Top-r singular vectors of g on the projected side (float64 SVD); null if the SVD fails. */
  protected topVectors(g: tf.Tensor2D, side: ProjectionSide): tf.Tensor2D | null {
    try {
      const d = svd(g.arraySync());
      const cols = side === "right" ? d.V : d.U;
      const r = this.rank;
      const out = cols.map((row) => row.slice(0, r));
      if (!out.every((row) => row.every(Number.isFinite))) return null;
      // Kept: applyGradients may run inside the training loop's tf.tidy.
      return tf.keep(tf.tensor2d(out));
    } catch {
      return null;
    }
  }

  /** R = project(G): G·Q (right) or Uᵀ·G (left). */
  protected project(g: tf.Tensor2D, s: ProjectedSlot): tf.Tensor2D {
    return s.side === "right" ? tf.matMul(g, s.p!) : tf.matMul(s.p!, g, true, false);
  }

  /** back(N) without α: N·Qᵀ (right) or U·N (left). */
  protected back(n: tf.Tensor2D, s: ProjectedSlot): tf.Tensor2D {
    return s.side === "right" ? tf.matMul(n, s.p!, false, true) : tf.matMul(s.p!, n);
  }

  private newSlot(name: string, w: tf.Variable): ProjectedSlot {
    if (!this.isProjected(name, w.shape)) {
      return { m: tf.zerosLike(w), v: tf.zerosLike(w), p: null, side: null, refreshes: 0 };
    }
    const [m, n] = w.shape;
    const side = projectionSide(m, n);
    const shape = side === "right" ? [m, this.rank] : [this.rank, n];
    return { m: tf.zeros(shape), v: tf.zeros(shape), p: null, side, refreshes: 0 };
  }

  /** Refreshes the projector of a slot from gradient g when the step calls for it. */
  protected maybeRefresh(name: string, g: tf.Tensor2D, s: ProjectedSlot): void {
    if ((this.t - 1) % this.updateGap !== 0 && s.p) return;
    const fresh = this.topVectors(g, s.side!);
    if (!fresh) {
      if (!s.p) fail("gradient", `the SVD of "${name}"'s gradient failed on the first step`);
      return; // keep the old projector
    }
    if (this.reprojectMoments && s.p) {
      const old = s.p;
      const newM = tf.tidy(() => {
        const rot = tf.matMul(old, fresh, true, false); // P_oldᵀ P_new (r×r)
        return tf.keep(
          s.side === "right" ? tf.matMul(s.m as tf.Tensor2D, rot) : tf.matMul(rot, s.m as tf.Tensor2D, true),
        );
      });
      s.m.dispose();
      s.m = newM;
    }
    s.p?.dispose();
    s.p = fresh;
    s.refreshes++;
  }

  /** The update direction for a projected variable (before −step); Fira overrides to add its residual. */
  protected projectedDirection(_name: string, g: tf.Tensor2D, r: tf.Tensor2D, nrm: tf.Tensor2D, s: ProjectedSlot) {
    void _name;
    void g;
    void r;
    return tf.mul(this.back(nrm, s), this.scale);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const pairs = gradientPairs(variableGradients);
    this.t += 1;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    const step = (this.learningRate * Math.sqrt(c2)) / c1;
    for (const [name, g] of pairs) {
      if (g == null) continue;
      const w = variableOf(name, g);
      let s = this.slots.get(name);
      if (!s) {
        s = this.newSlot(name, w);
        tf.keep(s.m);
        tf.keep(s.v);
        this.slots.set(name, s);
      }
      const slot = s;
      if (slot.side) this.maybeRefresh(name, g as tf.Tensor2D, slot);
      const [m, v] = tf.tidy(() => {
        const r = slot.side ? this.project(g as tf.Tensor2D, slot) : g;
        const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(r, 1 - this.beta1));
        const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(r), 1 - this.beta2));
        const nrm = tf.div(m, tf.add(tf.sqrt(v), this.epsilon));
        const dir = slot.side
          ? this.projectedDirection(name, g as tf.Tensor2D, r as tf.Tensor2D, nrm as tf.Tensor2D, slot)
          : nrm;
        let next = tf.sub(w, tf.mul(dir, step));
        if (this.weightDecay > 0) next = tf.sub(next, tf.mul(next, this.learningRate * this.weightDecay));
        w.assign(next);
        return [tf.keep(m), tf.keep(v)];
      });
      slot.m.dispose();
      slot.v.dispose();
      slot.m = m;
      slot.v = v;
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
      s.p?.dispose();
    }
    this.slots.clear();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      rank: this.rank,
      updateGap: this.updateGap,
      scale: this.scale,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      reprojectMoments: this.reprojectMoments,
    };
  }
}
