// Paired comparisons over the benchmark's seeds, shared by adapters-compare and the
// per-paper views: every run of a variant has a twin with the same seed in every other
// variant (same data order, same head B, same calibration), so a comparison is the
// interval of the per-seed differences.
import { lossAt } from "../../adapters/bench-report";
import { fail } from "../../core/validate";
import { Interval, pairedDifference } from "../../metrics/intervals";
import { above, below, evidence } from "../checks";
import { fmtMeasured } from "../report";
import { Check } from "../types";
import { RunRecord } from "./bench";

/** Records of one variant, sorted by seed. */
export function runsOf(records: RunRecord[], id: string): RunRecord[] {
  const rs = records.filter((r) => r.id === id).sort((a, b) => a.seed - b.seed);
  if (!rs.length)
    fail(
      "variant",
      `no runs of "${id}" in the benchmark result (ids: ${[...new Set(records.map((r) => r.id))].join(", ")})`,
    );
  return rs;
}

/** Whether the result has runs of this variant. */
export const hasVariant = (records: RunRecord[], id: string): boolean => records.some((r) => r.id === id);

/** Paired difference f(a) − f(b) over the seeds both variants ran. */
export function paired(records: RunRecord[], a: string, b: string, f: (r: RunRecord) => number): Interval {
  const ra = runsOf(records, a);
  const rb = runsOf(records, b);
  const seeds = ra.map((r) => r.seed).filter((s) => rb.some((x) => x.seed === s));
  if (!seeds.length) fail("variant", `"${a}" and "${b}" share no seed`);
  const pick = (rs: RunRecord[]) => seeds.map((s) => f(rs.find((r) => r.seed === s) as RunRecord));
  return pairedDifference(pick(ra), pick(rb));
}

/** The end of the interval a rule reads (lo for "above", hi for "below"; the mean for one seed). */
export const lowEnd = (iv: Interval): number => (iv.n < 2 ? iv.mean : iv.lo);
export const highEnd = (iv: Interval): number => (iv.n < 2 ? iv.mean : iv.hi);

export const fmt = (x: number): string => fmtMeasured(Number(x.toPrecision(4)));

/** The early steps a view reads: those ≥ 25 within the run (else every early step within it). */
export function earlyStepsOf(s: { earlySteps: number[]; steps: number }): number[] {
  const e = s.earlySteps.filter((x) => x <= s.steps && x >= 25);
  return e.length ? e : s.earlySteps.filter((x) => x <= s.steps);
}

/** One evidence check per early step: a's task-B test loss below b's (paired difference below 0). */
export function earlyLossChecks(
  records: RunRecord[],
  a: string,
  b: string,
  steps: number[],
  claim: string,
  figure?: string,
): Check[] {
  return steps.map((st) => {
    const iv = paired(records, a, b, (r) => lossAt(r, st));
    return evidence(
      `${claim} (step ${st})`,
      iv,
      `95% interval of the paired difference loss(${a}) − loss(${b}) at step ${st} below 0`,
      below(iv, 0),
      { figure },
    );
  });
}

/** Final task-B accuracy of a at least b's (minus a margin): the paired difference's interval above −margin. */
export function accCheck(
  records: RunRecord[],
  a: string,
  b: string,
  claim: string,
  margin = 0,
  figure?: string,
): Check {
  const iv = paired(records, a, b, (r) => r.accB);
  return evidence(
    claim,
    iv,
    `95% interval of the paired difference acc(${a}) − acc(${b}) above ${margin ? -margin : 0}`,
    above(iv, -margin),
    { figure },
  );
}
