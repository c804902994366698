// AdaLoRA's cubic rank-budget schedule (Zhang et al. 2023), with the rounding and the phase
// boundaries of the reference code: HF PEFT's RankAllocator.budget_schedule and the official
// QingruZhang/AdaLoRA schedule_threshold agree on both (read for this port):
//   step ≤ tInit                         → initR (warm-up, no masking)
//   step > totalSteps − tFinal           → targetR (final fine-tuning, pattern fixed)
//   otherwise  int(targetR + (initR − targetR)·(1 − (step − tInit)/(totalSteps − tFinal − tInit))³)
// where Python's int() truncates toward zero (= floor here, the value is ≥ 0). The function is
// linear in (initR, targetR) before rounding, so the global budget of n matrices is the same
// function at (n·initR, n·targetR), which is how the allocator calls it.
import { fail } from "../../core/validate";

export interface AdaloraBudgetOptions {
  /** Rank of every matrix at the start (AdaLoRA's init_r), integer ≥ 1. */
  initR: number;
  /** Average rank after the decrease (target_r), integer in [0, initR]. */
  targetR: number;
  /** Warm-up steps at full budget (tinit), integer ≥ 0. */
  tInit: number;
  /** Final steps at the target budget with the rank pattern fixed (tfinal), integer ≥ 0. */
  tFinal: number;
  /** Training steps in all (total_step); tInit + tFinal < totalSteps. */
  totalSteps: number;
}

const nonNegInt = (arg: string, v: unknown): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    fail(arg, `must be a non-negative integer, got ${String(v)}`);
  return v;
};

/** Validates the schedule's options (named errors); returns them typed. */
export function checkBudgetOptions(o: unknown, arg = "options"): AdaloraBudgetOptions {
  if (o == null || typeof o !== "object" || Array.isArray(o))
    fail(arg, "must be an object {initR, targetR, tInit, tFinal, totalSteps}");
  const x = o as Record<string, unknown>;
  const initR = nonNegInt(`${arg}.initR`, x.initR);
  if (initR < 1) fail(`${arg}.initR`, "must be at least 1");
  const targetR = nonNegInt(`${arg}.targetR`, x.targetR);
  if (targetR > initR)
    fail(`${arg}.targetR`, `is ${targetR}; it cannot exceed initR = ${initR} (the budget only shrinks)`);
  const tInit = nonNegInt(`${arg}.tInit`, x.tInit);
  const tFinal = nonNegInt(`${arg}.tFinal`, x.tFinal);
  const totalSteps = nonNegInt(`${arg}.totalSteps`, x.totalSteps);
  if (totalSteps < 1) fail(`${arg}.totalSteps`, "must be at least 1");
  if (tInit + tFinal >= totalSteps)
    fail(
      `${arg}.tInit`,
      `tInit + tFinal = ${tInit + tFinal} must be below totalSteps = ${totalSteps} (no steps left for the budget to decrease)`,
    );
  return { initR, targetR, tInit, tFinal, totalSteps };
}

/**
 * The per-matrix rank budget of AdaLoRA's cubic schedule at `step` (1-based optimizer steps,
 * as the reference's global_step after the update): initR during warm-up (step ≤ tInit),
 * targetR in the final tFinal steps (step > totalSteps − tFinal), the cubic decrease in
 * between, truncated to an integer as the reference code does.
 */
export function adaloraBudget(step: number, options: AdaloraBudgetOptions): number {
  if (typeof step !== "number" || !Number.isInteger(step) || step < 0)
    fail("step", `must be a non-negative integer, got ${String(step)}`);
  const o = checkBudgetOptions(options);
  if (step <= o.tInit) return o.initR;
  if (step > o.totalSteps - o.tFinal) return o.targetR;
  const mul = 1 - (step - o.tInit) / (o.totalSteps - o.tFinal - o.tInit);
  return Math.trunc((o.initR - o.targetR) * mul ** 3 + o.targetR);
}
