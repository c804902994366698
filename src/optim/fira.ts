// Fira (Chen et al.): GaLore plus the part of the gradient the subspace drops. The residual
// S = φ ⊙ (G − back(R)) is scaled, per row (or column) along the un-projected dimension,
// by φ_i = ‖N_i‖/(‖R_i‖ + 1e-8): the ratio Adam applied inside the subspace. A norm-growth
// limiter caps ‖S_t‖ at γ·‖S_{t−1}‖ (γ = 1.01; not on the first step). The update is
// W ← W − step·(α·back(N) + S), as fira_adamw.py. The official code's back() includes α,
// so its residual is G − α·PPᵀG; the paper writes G − PPᵀG. `residual` picks one.
// State: GaLore's plus one float (the last residual norm) per projected matrix.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { GaLoreAdam, GaLoreOptions, ProjectedSlot } from "./galore";

export interface FiraOptions extends GaLoreOptions {
  /** "code": G − α·PPᵀG (fira_adamw.py, default); "paper": G − PPᵀG. */
  residual?: "code" | "paper";
  /** Norm-growth limit γ (default 1.01); Infinity turns the limiter off. */
  growthLimit?: number;
}

/** Fira's GaLore-with-residual Adam as a tf.Optimizer (drop-in for FastAdam in train()). */
export class FiraAdam extends GaLoreAdam {
  static override get className(): string {
    return "InitlabFiraAdam";
  }
  readonly residual: "code" | "paper";
  readonly growthLimit: number;
  /** ‖S‖ after limiting, per projected variable (the one extra float of state each). */
  private lastNorm = new Map<string, number>();

  constructor(learningRate: number, opts: FiraOptions) {
    super(learningRate, opts);
    this.residual = opts.residual ?? "code";
    if (this.residual !== "code" && this.residual !== "paper")
      fail("opts.residual", `must be "code" or "paper", got ${String(opts.residual)}`);
    this.growthLimit = opts.growthLimit ?? 1.01;
    if (!(this.growthLimit >= 1)) fail("opts.growthLimit", `must be ≥ 1, got ${opts.growthLimit}`);
  }

  protected override knownOptions(): string[] {
    return [...super.knownOptions(), "residual", "growthLimit"];
  }

  override stateFloats(): number {
    let extra = 0;
    for (const s of this.slots.values()) if (s.side) extra += 1;
    return super.stateFloats() + extra;
  }

  protected override projectedDirection(
    name: string,
    g: tf.Tensor2D,
    r: tf.Tensor2D,
    nrm: tf.Tensor2D,
    s: ProjectedSlot,
  ): tf.Tensor {
    const axis = s.side === "right" ? 1 : 0; // R is m×r (rows un-projected) or r×n (columns)
    const phi = tf.div(tf.norm(nrm, "euclidean", axis, true), tf.add(tf.norm(r, "euclidean", axis, true), 1e-8));
    const backR = this.back(r, s);
    const kept = this.residual === "code" ? tf.mul(backR, this.scale) : backR;
    let res = tf.mul(tf.sub(g, kept), phi);
    // The limiter needs the norm on the host (one scalar read per matrix per step).
    const norm = tf.norm(res).dataSync()[0];
    const prev = this.lastNorm.get(name);
    let stored = norm;
    if (prev !== undefined && Number.isFinite(this.growthLimit) && norm > this.growthLimit * prev) {
      const c = (this.growthLimit * prev) / norm;
      res = tf.mul(res, c);
      stored = norm * c;
    }
    this.lastNorm.set(name, stored);
    return tf.add(tf.mul(this.back(nrm, s), this.scale), res);
  }

  override dispose(): void {
    this.lastNorm.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), residual: this.residual, growthLimit: this.growthLimit };
  }
}
