// AdaLoRA (Zhang et al. 2023) for a tfjs Dense kernel: SVD-form update ΔW = s·A diag(λ) B
// with A [in, r], λ [r], B [r, out] all trainable and s = α/r (r = init_r; HF PEFT divides
// by ranknum = r as well, plus 1e-5). In the paper's torch notation ΔW_t = P Λ Q with P [out, r]
// (HF lora_B) and Q [r, in] (HF lora_A); our kernels are [in, out] = ΔW_tᵀ, so A = Qᵀ, B = Pᵀ.
// Init as HF: λ = 0 (so ΔW = 0 at init), A, B ~ N(0, 0.02²).
//
// Importance (HF's RankAllocator.update_ipt, official code alike): per entry I = |θ·∂L/∂θ|,
// with θ after the optimizer step and ∂L/∂θ the step's gradient (the reference calls
// update_and_allocate after optimizer.step(), before zero_grad()); Ī ← β1·Ī + (1−β1)·I,
// Ū ← β2·Ū + (1−β2)·|I − Ī| (with the updated Ī); s = Ī·Ū. The gradients are captured in
// transformGrads (returned unchanged) and consumed in postStep through the allocator, which
// masks λ to the global top-b(t) (allocator.ts). Regulariser: γ·(‖AᵀA − I‖_F + ‖BBᵀ − I‖_F)/2,
// which the loop averages over adapters: HF's mean of the plain norms over all A's and B's.
import * as tf from "@tensorflow/tfjs";
import { nextSeed, Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { AdapterBase, Base2D, checkAlpha, checkConfig, checkRank, optNumber, variableFrom } from "../common";
import { AdaloraAllocator, AdaloraMember, AdaloraSchedule } from "./allocator";
import { checkBudgetOptions } from "./budget";
import { orthPenalty } from "../orth";

export interface AdaloraConfig {
  /** Initial rank per matrix (init_r): the preallocated slots. */
  r: number;
  /** Average rank per matrix after the decrease (target_r; default round(2r/3), HF's 12 → 8). */
  targetR?: number;
  /** Scaling numerator α (default r): s = α/r. */
  alpha?: number;
  /** Training steps in all (total_step; required, as in HF). */
  totalSteps: number;
  /** Warm-up steps at full rank (tinit, default 0). */
  tInit?: number;
  /** Final steps with the rank pattern fixed (tfinal, default 0). */
  tFinal?: number;
  /** Masking interval ΔT in the decreasing phase (deltaT, default 1). */
  deltaT?: number;
  /** EMA factors of sensitivity and uncertainty (default 0.85 each), in (0, 1). */
  beta1?: number;
  beta2?: number;
  /** Orthogonality-regulariser weight γ (orth_reg_weight, default 0.5; 0 disables). */
  orthWeight?: number;
  /** Seed of A's and B's draws (default: initlab's seeded stream). */
  seed?: number;
  /** A shared allocator: the global top-b(t) across every adapter built with it. Default: a private one. */
  allocator?: AdaloraAllocator;
}

const KEYS = [
  "r",
  "targetR",
  "alpha",
  "totalSteps",
  "tInit",
  "tFinal",
  "deltaT",
  "beta1",
  "beta2",
  "orthWeight",
  "seed",
  "allocator",
];
const SHAPE =
  "{r, totalSteps, targetR?, alpha?, tInit?, tFinal?, deltaT?, beta1?, beta2?, orthWeight?, seed?, allocator?}";

const beta = (arg: string, v: unknown) =>
  optNumber(arg, v, 0.85, (b) => (b <= 0 || b >= 1 ? `must be in (0, 1), got ${b}` : null));

/** Smoothed importance Ī and uncertainty Ū of one variable. */
interface Ema {
  ipt: tf.Tensor;
  unc: tf.Tensor;
}

export class AdaloraAdapter extends AdapterBase implements AdaloraMember {
  readonly method: string = "adalora";
  readonly identityAtInit = true;
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly orthWeight: number;
  readonly schedule: AdaloraSchedule;
  readonly allocator: AdaloraAllocator;
  /** A [in, r] (HF lora_Aᵀ = the paper's Qᵀ). */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** λ [r] (HF lora_E, the paper's Λ). */
  readonly E: tf.Variable<tf.Rank.R1>;
  /** B [r, out] (HF lora_Bᵀ = the paper's Pᵀ). */
  readonly B: tf.Variable<tf.Rank.R2>;
  private grads: tf.Tensor[] | null = null;
  private ema: Ema[] | null = null;

  constructor(base: Base2D, config: AdaloraConfig) {
    checkConfig(config, KEYS, SHAPE);
    super(base);
    const c = config as unknown as Record<string, unknown>;
    this.r = checkRank(c.r, this.inDim, this.outDim);
    this.alpha = checkAlpha(c.alpha, this.r);
    this.scale = this.alpha / this.r;
    if (c.totalSteps === undefined)
      fail("config.totalSteps", "is required (the budget schedule needs the number of training steps)");
    const targetR = c.targetR ?? Math.max(1, Math.round((2 * this.r) / 3));
    const deltaT = c.deltaT ?? 1;
    if (typeof deltaT !== "number" || !Number.isInteger(deltaT) || deltaT < 1)
      fail("config.deltaT", `must be a positive integer, got ${String(deltaT)}`);
    const b = checkBudgetOptions(
      { initR: this.r, targetR, tInit: c.tInit ?? 0, tFinal: c.tFinal ?? 0, totalSteps: c.totalSteps },
      "config",
    );
    this.schedule = { ...b, deltaT };
    this.beta1 = beta("config.beta1", c.beta1);
    this.beta2 = beta("config.beta2", c.beta2);
    this.orthWeight = optNumber("config.orthWeight", c.orthWeight, 0.5, (g) =>
      g < 0 ? `must be ≥ 0, got ${g}` : null,
    );
    const seedValue = c.seed ?? nextSeed();
    if (typeof seedValue !== "number" || !Number.isFinite(seedValue))
      fail("config.seed", `must be a finite number, got ${String(seedValue)}`);
    if (c.allocator !== undefined && !(c.allocator instanceof AdaloraAllocator))
      fail("config.allocator", "must be an AdaloraAllocator (one per training run, shared by its matrices)");
    const rng = new Rng(seedValue);
    const draw = (n: number) => Float32Array.from({ length: n }, () => 0.02 * rng.normal());
    this.A = variableFrom(tf.tensor2d(draw(this.inDim * this.r), [this.inDim, this.r]), true);
    this.B = variableFrom(tf.tensor2d(draw(this.r * this.outDim), [this.r, this.outDim]), true);
    this.E = variableFrom(tf.zeros([this.r]) as tf.Tensor1D, true);
    this.allocator = (c.allocator as AdaloraAllocator | undefined) ?? new AdaloraAllocator();
    try {
      this.allocator.register(this, this.schedule);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.E, this.B];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    const low = tf.mul(tf.matMul(x, this.A), this.E);
    return tf.add(tf.matMul(x, this.base), tf.mul(tf.matMul(low, this.B), this.scale)) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(tf.mul(this.A, this.E), this.B), this.scale) as tf.Tensor2D);
  }

  /** Unweighted ‖AᵀA − I‖_F + ‖BBᵀ − I‖_F. */
  orthoLoss(): tf.Scalar {
    return orthPenalty(this.A, this.B);
  }

  regLoss(): tf.Scalar {
    return tf.tidy(() => tf.mul(this.orthoLoss(), this.orthWeight / 2) as tf.Scalar);
  }

  /** Captures this step's gradients of A, λ, B for the importance scores; returns them unchanged. */
  transformGrads(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const g = this.trainableVariables().map((v) => grads[v.name]);
    this.dropGradients();
    if (g.every((t) => t instanceof tf.Tensor)) this.grads = g.map((t) => tf.keep(t.clone()));
    return grads;
  }

  /** The budget schedule runs here: the allocator acts once per step across its matrices. */
  postStep(step: number): void {
    this.allocator.onStep(step);
  }

  updateImportance(): void {
    const g = this.grads;
    if (!g) return;
    this.grads = null;
    const vars = this.trainableVariables();
    const next = tf.tidy(() =>
      vars.map((v, i) => {
        const ipt = tf.abs(tf.mul(v, g[i]));
        const prev = this.ema?.[i];
        const e = prev
          ? tf.add(tf.mul(prev.ipt, this.beta1), tf.mul(ipt, 1 - this.beta1))
          : tf.mul(ipt, 1 - this.beta1);
        const du = tf.mul(tf.abs(tf.sub(ipt, e)), 1 - this.beta2);
        const u = prev ? tf.add(tf.mul(prev.unc, this.beta2), du) : du;
        return { ipt: tf.keep(e), unc: tf.keep(u) };
      }),
    );
    g.forEach((t) => t.dispose());
    this.resetImportance();
    this.ema = next;
  }

  dropGradients(): void {
    this.grads?.forEach((t) => t.dispose());
    this.grads = null;
  }

  resetImportance(): void {
    this.ema?.forEach((e) => {
      e.ipt.dispose();
      e.unc.dispose();
    });
    this.ema = null;
  }

  tripletScores(): Float32Array {
    const ema = this.ema;
    if (!ema) return new Float32Array(this.r);
    const total = tf.tidy(() => {
      const s = ema.map((e) => tf.mul(e.ipt, e.unc));
      return tf.add(tf.add(s[1], tf.mean(s[0], 0)), tf.mean(s[2], 1));
    });
    const out = Float32Array.from(total.dataSync());
    total.dispose();
    return out;
  }

  applyPattern(keep: boolean[]): void {
    tf.tidy(() => this.E.assign(tf.mul(this.E, tf.tensor1d(keep.map((k) => (k ? 1 : 0))))));
  }

  /** Live slots (the allocator's current rank pattern for this matrix). */
  rankPattern(): boolean[] {
    return this.allocator.patternOf(this);
  }

  /** Current rank: live slots in the pattern. */
  activeRank(): number {
    return this.rankPattern().filter(Boolean).length;
  }

  /** Parameters of the live slots only: k·(in + out + 1). parameterCount() counts all r allocated slots. */
  activeParameterCount(): number {
    return this.activeRank() * (this.inDim + this.outDim + 1);
  }

  protected disposeOwn(): void {
    this.dropGradients();
    this.resetImportance();
    this.allocator?.remove(this);
    for (const t of [this.A, this.E, this.B]) t?.dispose();
  }
}
