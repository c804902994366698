// IncreLoRA's rank allocator: the object that decides ACROSS the adapted matrices which ones
// grow (official FeiyuZhang98/IncreLoRA RankAllocator.update_and_increase, read for this port).
// Every IncreLoraAdapter built from one config registers with the config's allocator; each
// adapter's postStep(step) forwards to onStep(step) and the allocator acts once per step
// value: it lets every member settle its step (the per-slot warm-up of new parameters), and
// until the total rank reaches the target it updates each matrix's smoothed sensitivity
// (Ī·Ū of the score |ΔW ⊙ ∂L/∂ΔW|) and, when step > initWarmup and step % interval = 0, adds
// incrementRank components to the top-h matrices (reserve slots become active, a new reserve
// is drawn). When the total reaches n·targetR every reserve is switched off (λ = 0) and
// scoring stops. Without an allocator in its config an adapter makes a private one.
import { fail } from "../../core/validate";

/** The growth settings every member of an allocator must share. */
export interface IncreloraSchedule {
  startR: number;
  targetR: number;
  initWarmup: number;
  interval: number;
  topH: number;
  incrementRank: number;
  beta1: number;
  beta2: number;
}

/** What the allocator needs from an adapter. */
export interface IncreloraMember {
  /** Active components (the module's ranknum). */
  activeRank(): number;
  /** Whether a full reserve (incrementRank slots) is ready to be activated. */
  canGrow(): boolean;
  /** The step's sensitivity |ΔW ⊙ ∂L/∂ΔW| summed / √(in·out), or null when none was captured. */
  takeScore(): number | null;
  /** Applies the per-slot learning-rate warm-up to the update of the step just taken. */
  settle(step: number): void;
  /** Activates the reserve and draws a new one (when slots remain). */
  grow(step: number): void;
  /** Switches every reserve off (λ = 0) and stops scoring. */
  finish(): void;
}

/** One growth event: the step and every member's rank after it. */
export interface IncreloraGrowthRecord {
  step: number;
  ranks: number[];
}

export class IncreloraAllocator {
  private readonly members: IncreloraMember[] = [];
  private sched: IncreloraSchedule | null = null;
  private last = NaN;
  private ema = new Map<IncreloraMember, { ipt: number; unc: number }>();
  private done = false;
  /** Every growth event so far. */
  readonly history: IncreloraGrowthRecord[] = [];

  get schedule(): IncreloraSchedule | null {
    return this.sched;
  }

  /** Whether the target total rank was reached (reserves off, no more scoring). */
  get finished(): boolean {
    return this.done;
  }

  register(m: IncreloraMember, s: IncreloraSchedule): void {
    if (this.sched) {
      const keys = Object.keys(s) as (keyof IncreloraSchedule)[];
      const diff = keys.filter((k) => this.sched![k] !== s[k]);
      if (diff.length)
        fail(
          "config.allocator",
          `is shared by adapters with different settings (${diff.map((k) => `${k} ${this.sched![k]} vs ${s[k]}`).join(", ")})`,
        );
    } else this.sched = { ...s };
    if (!Number.isNaN(this.last))
      fail("config.allocator", "has already started; create a new allocator per training run");
    this.members.push(m);
  }

  remove(m: IncreloraMember): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.ema.delete(m);
  }

  get size(): number {
    return this.members.length;
  }

  /** The target total rank n·targetR. */
  targetTotal(): number {
    return this.members.length * (this.sched?.targetR ?? 0);
  }

  totalRank(): number {
    return this.members.reduce((t, m) => t + m.activeRank(), 0);
  }

  /** Smoothed importance Ī·Ū of a member (0 before any score). */
  scoreOf(m: IncreloraMember): number {
    const e = this.ema.get(m);
    return e ? e.ipt * e.unc : 0;
  }

  /** Called by every member's postStep; acts on the first call with a new step value. */
  onStep(step: number): void {
    if (step === this.last) return;
    this.last = step;
    const s = this.sched;
    if (!s) return;
    for (const m of this.members) m.settle(step);
    if (this.done) return;
    if (this.totalRank() >= this.targetTotal()) return this.finishAll();
    for (const m of this.members) {
      const ipt = m.takeScore();
      if (ipt === null) continue;
      const prev = this.ema.get(m) ?? { ipt: 0, unc: 0 };
      const e = s.beta1 * prev.ipt + (1 - s.beta1) * ipt;
      this.ema.set(m, { ipt: e, unc: s.beta2 * prev.unc + (1 - s.beta2) * Math.abs(ipt - e) });
    }
    if (step > s.initWarmup && step % s.interval === 0) this.growTopH(step);
  }

  /**
   * Adds incrementRank components to the top-h members by score (ties at the threshold grow
   * too, as the reference's ≥), h = min(topH, target − total, members able to grow).
   */
  private growTopH(step: number): void {
    const s = this.sched!;
    const able = this.members.filter((m) => m.canGrow());
    const k = Math.min(s.topH, this.targetTotal() - this.totalRank(), able.length);
    if (k > 0) {
      const sorted = able.map((m) => this.scoreOf(m)).sort((a, b) => b - a);
      const threshold = sorted[k - 1];
      for (const m of able) if (this.scoreOf(m) >= threshold) m.grow(step);
      this.history.push({ step, ranks: this.members.map((m) => m.activeRank()) });
    }
    if (this.totalRank() >= this.targetTotal() || !this.members.some((m) => m.canGrow())) this.finishAll();
  }

  private finishAll(): void {
    this.done = true;
    for (const m of this.members) m.finish();
  }
}
