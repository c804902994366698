// IncreLoRA (Zhang et al. 2023) for a tfjs Dense kernel: an SVD-form update that grows,
// ΔW = (α/ranknum)·A diag(λ) B with A [in, r], λ [r], B [r, out] preallocated to r slots so
// every shape stays static (the optimizer state is per variable). Layout as AdaLoRA's
// (A = HF-style lora_Aᵀ, B = lora_Bᵀ). Following the official code (loralib/increlora.py):
//  - startR active slots: λ = 0 (trainable), A, B ~ N(0, 0.02²);
//  - "advance learning": incrementRank reserve slots with λ frozen at 1e-5 and A, B trainable
//    (their gradient passes through the tiny λ; Adam normalises its scale);
//  - ranknum = active slots, so the scaling α/ranknum shrinks as the matrix grows;
//  - the matrix's sensitivity each step: Σ|ΔW ⊙ ∂L/∂ΔW| / √(in·out) with ΔW including the
//    reserve (the official backward hook on its ΔW module); ∂L/∂ΔW = xᵀ·∂L/∂(xΔW) is read by
//    an identity custom-gradient tap on the adapter's output while the matrix can still grow;
//  - on growth the reserve becomes active (λ trainable from 1e-5) and a new reserve is drawn
//    in the next free slots; once the total reaches the target every reserve gets λ = 0;
//  - new parameters restart a linear learning-rate warm-up (the official per-group LambdaLR):
//    here the update of a slot created or activated at step t0 is scaled by
//    min(1, (t − t0)/newWarmup) on top of the run's own schedule (0 disables);
//  - orthogonality regulariser γ·(‖AᵀA − I‖ + ‖BBᵀ − I‖)/2 over the slots created so far.
// Frozen slots are enforced in transformGrads (λ's gradient kept only on active slots).
import * as tf from "@tensorflow/tfjs";
import { nextSeed, Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { orthPenalty } from "../orth";
import { AdapterBase, Base2D, checkAlpha, checkConfig, checkRank, optNumber, variableFrom } from "../common";
import { IncreloraAllocator, IncreloraMember, IncreloraSchedule } from "./allocator";

export interface IncreloraConfig {
  /** Preallocated slots per matrix (the largest rank it can reach, reserve included). */
  r: number;
  /** Active components at the start (lora_r, default 1). */
  startR?: number;
  /** Average rank per matrix to grow to (target_rank, default 2). */
  targetR?: number;
  /** Scaling numerator α (default 16, the official scripts' value): s = α/ranknum. */
  alpha?: number;
  /** Steps before the first growth (init_warmup, default 1000). */
  initWarmup?: number;
  /** Steps between growths (incre_interval, default 1000). */
  interval?: number;
  /** Matrices grown per event (top_h, default 2). */
  topH?: number;
  /** Components added per grown matrix (incre_rank_num; default the official max(1, ⌊targetR/2⌋)). */
  incrementRank?: number;
  /** Reserve components trained ahead (advance learning, default true). */
  advanceLearning?: boolean;
  /** EMA factors (default 0.85 each), in (0, 1). */
  beta1?: number;
  beta2?: number;
  /** Orthogonality-regulariser weight γ (default 0.1, reg_orth_coef). */
  orthWeight?: number;
  /** Learning-rate warm-up steps of newly added parameters (default 0 = none). */
  newWarmup?: number;
  seed?: number;
  /** A shared allocator (top-h across every adapter built with it). Default: a private one. */
  allocator?: IncreloraAllocator;
}

const KEYS = [
  "r",
  "startR",
  "targetR",
  "alpha",
  "initWarmup",
  "interval",
  "topH",
  "incrementRank",
  "advanceLearning",
  "beta1",
  "beta2",
  "orthWeight",
  "newWarmup",
  "seed",
  "allocator",
];
const SHAPE = "{r, startR?, targetR?, alpha?, initWarmup?, interval?, topH?, incrementRank?, ...}";
const RESERVE_LAMBDA = 1e-5;

type Slot = "active" | "reserve" | "dead" | "free";

function intOpt(arg: string, v: unknown, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (typeof x !== "number" || !Number.isInteger(x) || x < min)
    fail(arg, `must be an integer ≥ ${min}, got ${String(x)}`);
  return x;
}

export class IncreloraAdapter extends AdapterBase implements IncreloraMember {
  readonly method: string = "increlora";
  readonly identityAtInit: boolean;
  readonly r: number;
  readonly alpha: number;
  readonly settings: IncreloraSchedule;
  readonly advanceLearning: boolean;
  readonly orthWeight: number;
  readonly newWarmup: number;
  readonly allocator: IncreloraAllocator;
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly E: tf.Variable<tf.Rank.R1>;
  readonly B: tf.Variable<tf.Rank.R2>;
  private readonly slots: Slot[];
  /** Step at which each slot's parameters were created (A, B) / activated (λ); -∞ = from the start. */
  private readonly bornAB: number[];
  private readonly bornE: number[];
  private lastStep = 0;
  private scoring = true;
  private score: tf.Scalar | null = null;
  private before: tf.Tensor[] | null = null;
  private masks: { e: tf.Tensor1D; ab: tf.Tensor1D; orth: tf.Tensor1D } | null = null;

  constructor(base: Base2D, config: IncreloraConfig) {
    checkConfig(config, KEYS, SHAPE);
    super(base);
    const c = config as unknown as Record<string, unknown>;
    this.r = checkRank(c.r, this.inDim, this.outDim);
    this.alpha = checkAlpha(c.alpha ?? 16, this.r);
    const startR = intOpt("config.startR", c.startR, 1, 1);
    const targetR = intOpt("config.targetR", c.targetR, 2, 1);
    const incrementRank = intOpt("config.incrementRank", c.incrementRank, Math.max(1, Math.floor(targetR / 2)), 1);
    const advance = c.advanceLearning ?? true;
    if (typeof advance !== "boolean") fail("config.advanceLearning", `must be true or false, got ${String(advance)}`);
    this.advanceLearning = advance;
    this.identityAtInit = !advance; // reserve slots enter the forward with λ = 1e-5
    if (startR + incrementRank > this.r)
      fail("config.r", `is ${this.r}; it must hold startR + incrementRank = ${startR + incrementRank} slots`);
    const beta = (arg: string, v: unknown) =>
      optNumber(arg, v, 0.85, (b) => (b <= 0 || b >= 1 ? `must be in (0, 1), got ${b}` : null));
    this.settings = {
      startR,
      targetR,
      initWarmup: intOpt("config.initWarmup", c.initWarmup, 1000, 0),
      interval: intOpt("config.interval", c.interval, 1000, 1),
      topH: intOpt("config.topH", c.topH, 2, 1),
      incrementRank,
      beta1: beta("config.beta1", c.beta1),
      beta2: beta("config.beta2", c.beta2),
    };
    this.orthWeight = optNumber("config.orthWeight", c.orthWeight, 0.1, (g) =>
      g < 0 ? `must be ≥ 0, got ${g}` : null,
    );
    this.newWarmup = intOpt("config.newWarmup", c.newWarmup, 0, 0);
    const seedValue = c.seed ?? nextSeed();
    if (typeof seedValue !== "number" || !Number.isFinite(seedValue))
      fail("config.seed", `must be a finite number, got ${String(seedValue)}`);
    if (c.allocator !== undefined && !(c.allocator instanceof IncreloraAllocator))
      fail("config.allocator", "must be an IncreloraAllocator (one per training run, shared by its matrices)");
    // Every slot's A, B are drawn now (a slot is untouched until it is created: λ = 0 and masked).
    const rng = new Rng(seedValue);
    const draw = (n: number) => Float32Array.from({ length: n }, () => 0.02 * rng.normal());
    this.A = variableFrom(tf.tensor2d(draw(this.inDim * this.r), [this.inDim, this.r]), true);
    this.B = variableFrom(tf.tensor2d(draw(this.r * this.outDim), [this.r, this.outDim]), true);
    this.slots = Array.from({ length: this.r }, (_, k): Slot => (k < startR ? "active" : "free"));
    this.bornAB = this.slots.map(() => -Infinity);
    this.bornE = this.slots.map(() => -Infinity);
    if (advance) for (let k = startR; k < startR + incrementRank; k++) this.slots[k] = "reserve";
    this.E = variableFrom(tf.tensor1d(this.slots.map((s) => (s === "reserve" ? RESERVE_LAMBDA : 0))), true);
    this.allocator = (c.allocator as IncreloraAllocator | undefined) ?? new IncreloraAllocator();
    try {
      this.allocator.register(this, this.settings);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The scaling α/ranknum at the current rank. */
  get scale(): number {
    return this.alpha / this.activeRank();
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.E, this.B];
  }

  activeRank(): number {
    return this.slots.filter((s) => s === "active").length;
  }

  /** Slot states, e.g. ["active", "active", "reserve", "free", ...]. */
  slotStates(): string[] {
    return [...this.slots];
  }

  /** Parameters of the active slots: ranknum·(in + out + 1). parameterCount() counts all r slots. */
  activeParameterCount(): number {
    return this.activeRank() * (this.inDim + this.outDim + 1);
  }

  private slotMasks(): { e: tf.Tensor1D; ab: tf.Tensor1D; orth: tf.Tensor1D } {
    if (!this.masks) {
      const m = (f: (s: Slot) => boolean) => tf.keep(tf.tensor1d(this.slots.map((s) => (f(s) ? 1 : 0))));
      this.masks = {
        e: m((s) => s === "active"),
        ab: m((s) => s === "active" || s === "reserve"),
        orth: m((s) => s !== "free"),
      };
    }
    return this.masks;
  }

  private setSlots(): void {
    if (this.masks) Object.values(this.masks).forEach((t) => t.dispose());
    this.masks = null;
  }

  /** s·A diag(λ) B (reserve slots included, as the official forward). */
  private product(): tf.Tensor2D {
    return tf.mul(tf.matMul(tf.mul(this.A, this.E), this.B), this.scale) as tf.Tensor2D;
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    let low = tf.mul(tf.matMul(tf.mul(tf.matMul(x, this.A), this.E), this.B), this.scale) as tf.Tensor2D;
    if (this.scoring) low = this.tap(x, low);
    return tf.add(tf.matMul(x, this.base), low) as tf.Tensor2D;
  }

  /**
   * Identity on the adapter's output whose backward records the sensitivity score. x goes in
   * as a second input so that the tape saves it (the forward's tidy frees the original); its
   * gradient through the tap is zero.
   */
  private tap(x: tf.Tensor2D, low: tf.Tensor2D): tf.Tensor2D {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [u, input, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
      save([input]);
      return {
        value: tf.clone(u),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const s = tf.tidy(() => {
            const g = tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D, true, false);
            return tf.div(tf.sum(tf.abs(tf.mul(this.product(), g))), Math.sqrt(this.inDim * this.outDim)) as tf.Scalar;
          });
          this.score?.dispose();
          this.score = tf.keep(s);
          return [dy, tf.zerosLike(saved[0])];
        },
      };
    });
    return f(low, x) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => this.product());
  }

  /** Unweighted orthogonality penalty over the created slots. */
  orthoLoss(): tf.Scalar {
    return orthPenalty(this.A, this.B, this.slotMasks().orth);
  }

  regLoss(): tf.Scalar {
    return tf.tidy(() => tf.mul(this.orthoLoss(), this.orthWeight / 2) as tf.Scalar);
  }

  private warming(step: number): boolean {
    if (this.newWarmup <= 0) return false;
    return [...this.bornAB, ...this.bornE].some((t) => step - t < this.newWarmup);
  }

  /** Keeps λ's gradient on active slots and A's, B's on active and reserve slots (others frozen). */
  transformGrads(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const m = this.slotMasks();
    const out: Record<string, tf.Tensor> = { ...grads };
    const gA = grads[this.A.name];
    const gE = grads[this.E.name];
    const gB = grads[this.B.name];
    if (gA) out[this.A.name] = tf.mul(gA, m.ab);
    if (gE) out[this.E.name] = tf.mul(gE, m.e);
    if (gB) out[this.B.name] = tf.mul(gB, tf.reshape(m.ab, [this.r, 1]));
    this.dropBefore();
    if (this.warming(this.lastStep + 1)) this.before = [this.A, this.E, this.B].map((v) => tf.keep(v.clone()));
    return out;
  }

  private dropBefore(): void {
    this.before?.forEach((t) => t.dispose());
    this.before = null;
  }

  postStep(step: number): void {
    this.allocator.onStep(step);
  }

  settle(step: number): void {
    this.lastStep = step;
    const prev = this.before;
    if (!prev) return;
    this.before = null;
    const f = (born: number[]) =>
      born.map((t) => (this.newWarmup > 0 ? Math.min(1, Math.max(0, (step - t) / this.newWarmup)) : 1));
    tf.tidy(() => {
      const fab = tf.tensor1d(f(this.bornAB));
      const fe = tf.tensor1d(f(this.bornE));
      const blend = (v: tf.Variable, old: tf.Tensor, w: tf.Tensor) => v.assign(tf.add(old, tf.mul(tf.sub(v, old), w)));
      blend(this.A, prev[0], fab);
      blend(this.E, prev[1], fe);
      blend(this.B, prev[2], tf.reshape(fab, [this.r, 1]));
    });
    prev.forEach((t) => t.dispose());
  }

  takeScore(): number | null {
    const s = this.score;
    if (!s) return null;
    this.score = null;
    const v = s.dataSync()[0];
    s.dispose();
    return v;
  }

  canGrow(): boolean {
    const from: Slot = this.advanceLearning ? "reserve" : "free";
    return this.slots.filter((s) => s === from).length >= this.settings.incrementRank;
  }

  grow(step: number): void {
    const k = this.settings.incrementRank;
    const from: Slot = this.advanceLearning ? "reserve" : "free";
    let n = 0;
    for (let i = 0; i < this.r && n < k; i++) {
      if (this.slots[i] !== from) continue;
      this.slots[i] = "active";
      this.bornE[i] = step;
      if (!this.advanceLearning) this.bornAB[i] = step;
      n++;
    }
    // A new reserve in the next free slots (when k of them remain).
    const free = this.slots.map((s, i) => (s === "free" ? i : -1)).filter((i) => i >= 0);
    const fresh = this.advanceLearning && free.length >= k ? free.slice(0, k) : [];
    for (const i of fresh) {
      this.slots[i] = "reserve";
      this.bornAB[i] = step;
    }
    this.setSlots();
    // Newly active slots keep their λ (1e-5 after advance learning, 0 otherwise); new reserves get 1e-5.
    tf.tidy(() => {
      const e = this.E.arraySync();
      for (const i of fresh) e[i] = RESERVE_LAMBDA;
      this.E.assign(tf.tensor1d(e));
    });
  }

  finish(): void {
    this.scoring = false;
    this.score?.dispose();
    this.score = null;
    const e = this.E.arraySync();
    this.slots.forEach((s, i) => {
      if (s === "reserve") {
        this.slots[i] = "dead";
        e[i] = 0;
      }
    });
    this.setSlots();
    tf.tidy(() => this.E.assign(tf.tensor1d(e)));
  }

  protected disposeOwn(): void {
    this.dropBefore();
    this.setSlots();
    this.score?.dispose();
    this.score = null;
    this.allocator?.remove(this);
    for (const t of [this.A, this.E, this.B]) t?.dispose();
  }
}
