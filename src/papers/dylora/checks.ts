// DyLoRA's checks and its rank figure. Rules fixed before the default run (README):
// at b = r_max the nested adapter is within DYLORA_MARGIN of LoRA trained at r = r_max, and at
// b = 1 the same run is within DYLORA_MARGIN of LoRA trained at r = 1 alone (paired over seeds,
// on the task-B test set); both for the official frozen mode (headline) and the unfrozen
// ablation. A sanity check ties the per-rank evaluation path to the run's own final accuracy.
import { dyloraAccKey, dyloraIds } from "../../adapters/dylora";
import { mean } from "../../metrics/stats";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { hasVariant, paired, runsOf } from "../adapters-compare/compare";
import { ViewResult } from "../adapters-compare/view";
import { RunRecord } from "../adapters-compare/bench";
import { Check, Figure } from "../types";

/** Largest accuracy shortfall (absolute, task-B test accuracy) that still counts as "about as accurate". */
export const DYLORA_MARGIN = 0.02;
/** Tolerance of the per-rank path at b = r_max against the run's final accuracy (2 of 1,000 test examples). */
export const DYLORA_PATH_TOL = 0.002;

/** Task-B test accuracy of a record at inference rank b (DyLoRA: from its per-rank extras; others: the run's own). */
const accAt =
  (b: number) =>
  (x: RunRecord): number =>
    x.method === "dylora" ? Number(x.extra[dyloraAccKey("test", b)]) : x.accB;

function modeChecks(r: ViewResult, id: string, mode: string): Check[] {
  const R = r.settings.midRank;
  const top = paired(r.records, id, `LoRA r=${R}`, accAt(R));
  const one = paired(r.records, id, "LoRA r=1", accAt(1));
  return [
    evidence(
      `${mode}: at b = r_max = ${R} DyLoRA is about as accurate as LoRA trained at r = ${R} (within ${DYLORA_MARGIN})`,
      top,
      `95% interval of the paired difference acc(${id} at b=${R}) − acc(LoRA r=${R}) above −${DYLORA_MARGIN}`,
      above(top, -DYLORA_MARGIN),
      { figure: "dylora-ranks" },
    ),
    evidence(
      `${mode}: the same run used at b = 1 is about as accurate as LoRA trained at r = 1 alone (within ${DYLORA_MARGIN})`,
      one,
      `95% interval of the paired difference acc(${id} at b=1) − acc(LoRA r=1) above −${DYLORA_MARGIN}`,
      above(one, -DYLORA_MARGIN),
      { figure: "dylora-ranks" },
    ),
  ];
}

export function dyloraChecks(r: ViewResult): Check[] {
  const R = r.settings.midRank;
  const ids = dyloraIds(R);
  const runs = [...runsOf(r.records, ids.frozen), ...runsOf(r.records, ids.unfrozen)];
  const gap = Math.max(...runs.map((x) => Math.abs(accAt(R)(x) - x.accB)));
  return [
    ...modeChecks(r, ids.frozen, "Official frozen mode"),
    ...modeChecks(r, ids.unfrozen, "Unfrozen ablation"),
    sanity(
      `The per-rank evaluation at b = r_max (unmerged adapters, rank restored afterwards) gives the run's final test accuracy (merged)`,
      gap,
      `largest |acc at b=${R} − final acc| over runs ≤ ${DYLORA_PATH_TOL}`,
      gap <= DYLORA_PATH_TOL,
      { seeds: runsOf(r.records, ids.frozen).length },
    ),
  ];
}

/** Rows of the rank figure: DyLoRA's seed-mean accuracy at each b, and each fixed-rank LoRA at its rank. */
export function accuracyPerRankRows(r: ViewResult): Array<{ series: string; b: number; testAccB: number }> {
  const R = r.settings.midRank;
  const rows: Array<{ series: string; b: number; testAccB: number }> = [];
  for (const id of Object.values(dyloraIds(R))) {
    const rs = runsOf(r.records, id);
    for (let b = 1; b <= R; b++) rows.push({ series: id, b, testAccB: mean(rs.map(accAt(b))) });
  }
  const fixed: Array<[string, number]> = [
    ["LoRA r=1", 1],
    [`LoRA r=${R}`, R],
    ...r.settings.sweepRanks.filter((k) => k <= R).map((k): [string, number] => [`LoRA α/r r=${k} (sweep)`, k]),
  ];
  for (const [id, b] of fixed)
    if (hasVariant(r.records, id))
      rows.push({ series: id, b, testAccB: mean(runsOf(r.records, id).map((x) => x.accB)) });
  return rows;
}

export function dyloraFigure(name: string, rows: ReturnType<typeof accuracyPerRankRows>): Figure {
  return {
    name,
    spec: lineChart(rows, {
      x: "b",
      y: "testAccB",
      color: "series",
      title:
        "Task-B test accuracy at inference rank b: one DyLoRA run per seed vs LoRA trained at each rank (mean over seeds)",
      xTitle: "rank b",
      yTitle: "test accuracy (task B)",
    }),
  };
}
