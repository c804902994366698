// AdaLoRA's view checks and the budget figure: accuracy against LoRA at the same final rank
// budget, a non-uniform allocation across the two matrices, and the budget schedule recomputed
// from the contract function adaloraBudget against every masking event the runs recorded.
import { adaloraBudget } from "../../adapters/adalora/budget";
import { adaloraBenchSchedule } from "../../adapters/adalora/bench";
import { ranksOf } from "../../adapters/adalora/figure";
import { tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { accCheck, runsOf } from "../adapters-compare/compare";
import { BenchSettings } from "../adapters-compare/run";
import { ViewResult } from "../adapters-compare/view";
import { Check, Figure } from "../types";

/** The benchmark's AdaLoRA variant: init rank 1.5 × midRank pruned to midRank (src/adapters/adalora/bench.ts). */
export const adaloraInitRank = (s: Pick<BenchSettings, "midRank">): number => Math.round(1.5 * s.midRank);
export const adaloraId = (s: Pick<BenchSettings, "midRank">): string => `AdaLoRA r=${adaloraInitRank(s)}→${s.midRank}`;

/** [step, global budget, live slots] events of one run. */
export function budgetEvents(extra: Record<string, number | string>): number[][] {
  const v = extra.adaloraBudget;
  return typeof v === "string" && v ? (JSON.parse(v) as number[][]) : [];
}

/**
 * Violations of the schedule over all runs: a masking event off the expected steps (ΔT grid
 * inside (tInit, T − tFinal), plus T − tFinal), a recorded budget other than
 * adaloraBudget(step) over the matrices, live slots other than the budget, or a final total
 * other than n·targetR.
 */
export function scheduleViolations(r: ViewResult): { violations: number; events: number } {
  const s = r.settings;
  const n = s.hidden.length;
  const sch = adaloraBenchSchedule(s.steps);
  const opts = {
    initR: n * adaloraInitRank(s),
    targetR: n * s.midRank,
    tInit: sch.tInit,
    tFinal: sch.tFinal,
    totalSteps: s.steps,
  };
  const boundary = s.steps - sch.tFinal;
  const want: number[] = [];
  for (let t = sch.tInit + 1; t < boundary; t++) if (t % sch.deltaT === 0) want.push(t);
  want.push(boundary);
  let violations = 0;
  let events = 0;
  for (const rec of runsOf(r.records, adaloraId(s))) {
    const ev = budgetEvents(rec.extra);
    events += ev.length;
    if (JSON.stringify(ev.map((e) => e[0])) !== JSON.stringify(want)) violations++;
    for (const [step, b, live] of ev) if (b !== adaloraBudget(step, opts) || live !== b) violations++;
    const final = ranksOf(rec, "adaloraRanks").reduce((a, x) => a + x, 0);
    if (final !== n * s.midRank) violations++;
  }
  return { violations, events };
}

export function adaloraChecks(r: ViewResult): Check[] {
  const s = r.settings;
  const A = adaloraId(s);
  const L = `LoRA r=${s.midRank}`;
  const spread = tInterval(
    runsOf(r.records, A).map((x) => {
      const k = ranksOf(x, "adaloraRanks");
      return Math.max(...k) - Math.min(...k);
    }),
  );
  const sv = scheduleViolations(r);
  return [
    accCheck(
      r.records,
      A,
      L,
      `AdaLoRA's final task-B accuracy ≥ LoRA's at the same final rank budget (${s.hidden.length * s.midRank} components over the adapted matrices)`,
      0,
      "adalora-accuracy",
    ),
    evidence(
      "AdaLoRA's importance scores allocate the final budget non-uniformly across the adapted matrices",
      spread,
      "95% interval of the per-seed rank spread max_l r_l − min_l r_l above 0",
      above(spread, 0),
      { figure: "adalora-ranks" },
    ),
    sanity(
      `The cubic budget schedule is followed exactly: masking events on the ΔT grid and at T − tFinal, live slots = adaloraBudget(step) over the matrices at every event (${sv.events} events), final total = n·targetR`,
      sv.violations,
      "0 violations",
      sv.violations === 0,
      { seeds: runsOf(r.records, A).length, figure: "adalora-budget" },
    ),
  ];
}

/** Global budget b(t) (the schedule) and the live slots each run kept at every masking event. */
export function budgetFigure(r: ViewResult): Figure {
  const runs = runsOf(r.records, adaloraId(r.settings));
  const rows = [
    ...budgetEvents(runs[0].extra).map(([step, b]) => ({ step, slots: b, series: "budget b(t)" })),
    ...runs.flatMap((rec) =>
      budgetEvents(rec.extra).map(([step, , live]) => ({ step, slots: live, series: `live slots, seed ${rec.seed}` })),
    ),
  ];
  return {
    name: "adalora-budget",
    spec: lineChart(rows, {
      x: "step",
      y: "slots",
      color: "series",
      title: "AdaLoRA: global rank budget and live components at each masking step",
      xTitle: "step",
      yTitle: "components over both matrices",
    }),
  };
}
