// SoRA's checks and its sparsity figure. Rules fixed before the default run (README): the
// pruned SoRA adapter's task-B test accuracy against LoRA at the mid rank (the rank SoRA's ξ was
// set to end near), paired over seeds, threshold 0 (the paper claims SoRA beats LoRA with fewer
// parameters); sanity: the exported plain LoRA has SoRA's ΔW, and the schedule did prune.
import { soraId } from "../../adapters/sora";
import { mean } from "../../metrics/stats";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { paired, runsOf } from "../adapters-compare/compare";
import { ViewResult } from "../adapters-compare/view";
import { Check, Figure } from "../types";

/** Largest relative ΔW difference (max-abs, over matrices) accepted between the gated adapter and its export. */
export const SORA_EXPORT_TOL = 1e-5;

export function soraChecks(r: ViewResult): Check[] {
  const R = r.settings.midRank;
  const S = soraId(2 * R);
  const runs = runsOf(r.records, S);
  const acc = paired(r.records, S, `LoRA r=${R}`, (x) => x.accB);
  const exportErr = Math.max(...runs.map((x) => Number(x.extra.soraExportRelErr)));
  const ranks = runs.map((x) => Number(x.extra.soraMeanRank));
  return [
    evidence(
      `SoRA's pruned adapter (from r_max = ${2 * R}, ξ schedule ending near rank ${R}) is at least as accurate on task B as LoRA r=${R}`,
      acc,
      `95% interval of the paired difference acc(${S}) − acc(LoRA r=${R}) above 0`,
      above(acc, 0),
      { figure: "sora-sparsity" },
    ),
    sanity(
      "The exported plain LoRA (rank = non-zero gates of each matrix) has the gated adapter's ΔW",
      exportErr,
      `largest max|ΔW_export − ΔW_SoRA| / max|ΔW_SoRA| over runs and matrices ≤ ${SORA_EXPORT_TOL}`,
      exportErr <= SORA_EXPORT_TOL,
      { seeds: runs.length },
    ),
    sanity(
      `The staged proximal step pruned gates: the mean surviving rank per matrix is below r_max = ${2 * R}`,
      mean(ranks),
      `mean over runs of the mean non-zero gates per matrix < ${2 * R}`,
      mean(ranks) < 2 * R,
      { seeds: runs.length },
    ),
  ];
}

/** Seed-mean non-zero gates per matrix over the schedule, from the runs' recorded histories. */
export function sparsityRows(r: ViewResult): Array<{ matrix: string; step: number; nonZeroGates: number }> {
  const runs = runsOf(r.records, soraId(2 * r.settings.midRank));
  const hs = runs.map((x) => JSON.parse(String(x.extra.soraHistory)) as number[][]);
  const rows: Array<{ matrix: string; step: number; nonZeroGates: number }> = [];
  hs[0].forEach((row, i) => {
    for (let m = 1; m < row.length; m++)
      rows.push({ matrix: `W${m}`, step: row[0], nonZeroGates: mean(hs.map((h) => h[i][m])) });
  });
  return rows;
}

export function sparsityFigure(name: string, r: ViewResult): Figure {
  return {
    name,
    spec: lineChart(sparsityRows(r), {
      x: "step",
      y: "nonZeroGates",
      color: "matrix",
      title: "SoRA: non-zero gates per adapted matrix over the staged ξ schedule (mean over seeds)",
      xTitle: "step",
      yTitle: "surviving rank",
    }),
  };
}
