// AdaLoRA's rank allocator: the object that decides ACROSS the adapted matrices. Every
// AdaLoraAdapter built from one config registers with the config's allocator (the MLP and
// transformer wrappers pass the same config object to every matrix's factory); each
// adapter's postStep(step) forwards to onStep(step), and the allocator acts once per step
// value, on the first call: it updates every member's importance scores (from the gradients
// the members captured in transformGrads) and, on masking steps, zeroes the λ's outside the
// global top-b(t). The phases follow HF PEFT's AdaLoraModel.update_and_allocate:
//   step < T − tFinal   update importance; mask to b(t) when tInit < step and step % ΔT = 0
//   step = T − tFinal   mask to the target budget, fix that rank pattern, drop the scores
//   step > T − tFinal   re-apply the fixed pattern every step
// Without an allocator in its config an adapter makes a private one (a per-matrix budget).
import { fail } from "../../core/validate";
import { adaloraBudget } from "./budget";

/** The schedule every member of an allocator must share. */
export interface AdaloraSchedule {
  initR: number;
  targetR: number;
  tInit: number;
  tFinal: number;
  totalSteps: number;
  deltaT: number;
}

/** What the allocator needs from an adapter. */
export interface AdaloraMember {
  readonly r: number;
  /** Folds the gradients captured this step into the smoothed importance and uncertainty. */
  updateImportance(): void;
  /** Frees captured gradients without scoring (final phase). */
  dropGradients(): void;
  /** Forgets the importance statistics (HF's reset_ipt at the final boundary). */
  resetImportance(): void;
  /** Triplet score per slot: s(λ_k) + mean_i s(A_ik) + mean_j s(B_kj), with s = Ī·Ū. */
  tripletScores(): Float32Array;
  /** Zeroes λ_k where keep[k] is false. */
  applyPattern(keep: boolean[]): void;
}

/** One masking event: step, the global budget b(t) and the live slots after masking. */
export interface AdaloraBudgetRecord {
  step: number;
  budget: number;
  active: number;
}

export class AdaloraAllocator {
  private readonly members: AdaloraMember[] = [];
  private sched: AdaloraSchedule | null = null;
  private last = NaN;
  private fixed: boolean[][] | null = null;
  private patterns = new Map<AdaloraMember, boolean[]>();
  /** Every masking event so far (step, global budget, live slots). */
  readonly history: AdaloraBudgetRecord[] = [];

  /** The shared schedule (null before the first member registers). */
  get schedule(): AdaloraSchedule | null {
    return this.sched;
  }

  /** Adds a member; its schedule must equal the others'. */
  register(m: AdaloraMember, s: AdaloraSchedule): void {
    if (this.sched) {
      const keys = Object.keys(s) as (keyof AdaloraSchedule)[];
      const diff = keys.filter((k) => this.sched![k] !== s[k]);
      if (diff.length)
        fail(
          "config.allocator",
          `is shared by adapters with different schedules (${diff.map((k) => `${k} ${this.sched![k]} vs ${s[k]}`).join(", ")})`,
        );
    } else this.sched = { ...s };
    if (this.history.length || !Number.isNaN(this.last))
      fail("config.allocator", "has already started allocating; create a new allocator per training run");
    this.members.push(m);
  }

  /** Removes a member (on dispose). */
  remove(m: AdaloraMember): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.patterns.delete(m);
  }

  /** Number of registered matrices. */
  get size(): number {
    return this.members.length;
  }

  /** Live-slot pattern of a member (all true before the first masking). */
  patternOf(m: AdaloraMember): boolean[] {
    return this.patterns.get(m) ?? Array.from({ length: m.r }, () => true);
  }

  /** The global budget b(t) of the registered matrices at a step (the cubic schedule at n·initR → n·targetR). */
  budgetAt(step: number): number {
    const s = this.sched;
    if (!s) fail("allocator", "has no registered adapters");
    const n = this.members.length;
    return adaloraBudget(step, { ...s, initR: n * s.initR, targetR: n * s.targetR });
  }

  /** Called by every member's postStep; acts on the first call with a new step value. */
  onStep(step: number): void {
    if (step === this.last) return;
    this.last = step;
    const s = this.sched;
    if (!s || !this.members.length) return;
    const boundary = s.totalSteps - s.tFinal;
    if (step < boundary) {
      for (const m of this.members) m.updateImportance();
      if (step > s.tInit && step % s.deltaT === 0) this.maskToBudget(step, this.budgetAt(step));
    } else if (step === boundary) {
      for (const m of this.members) m.dropGradients();
      this.maskToBudget(step, this.budgetAt(step));
      this.fixed = this.members.map((m) => this.patternOf(m));
      for (const m of this.members) m.resetImportance();
    } else {
      for (const m of this.members) m.dropGradients();
      if (!this.fixed) {
        // Started past the boundary (e.g. resumed): fix the pattern now, at the target budget.
        this.maskToBudget(step, this.budgetAt(step));
        this.fixed = this.members.map((m) => this.patternOf(m));
      }
      this.members.forEach((m, i) => m.applyPattern(this.fixed![i]));
    }
  }

  /**
   * Zeroes the λ's whose triplet score is ≤ the k-th smallest score over all members,
   * k = (n·initR − budget) (HF's kthvalue threshold; ties at the threshold are masked too;
   * k ≤ 0 masks nothing).
   */
  private maskToBudget(step: number, budget: number): void {
    const scores = this.members.map((m) => m.tripletScores());
    const total = this.members.reduce((t, m) => t + m.r, 0);
    const k = total - budget;
    let threshold = -Infinity;
    if (k > 0) {
      const all = Float64Array.from(scores.flatMap((x) => Array.from(x))).sort();
      threshold = all[Math.min(k, all.length) - 1];
    }
    let active = 0;
    this.members.forEach((m, i) => {
      const keep = Array.from(scores[i], (v) => !(v <= threshold));
      m.applyPattern(keep);
      this.patterns.set(m, keep);
      active += keep.filter(Boolean).length;
    });
    this.history.push({ step, budget, active });
  }
}
