// rsLoRA's claim on the benchmark: a rank sweep r ∈ sweepRanks at fixed α and one learning
// rate (selected on validation at the smallest rank, where α/r = α/√r). With α/√r, learning
// should not collapse as r grows (the largest rank ends at least as low as the smallest);
// with α/r the update scale shrinks as 1/r, so the largest rank should end worse than
// rsLoRA's at the same rank.
import { lineChart } from "../../plot/specs";
import { mean } from "../../metrics/stats";
import { below, evidence } from "../checks";
import { Check, Figure } from "../types";
import { RunRecord } from "./bench";
import { hasVariant, paired } from "./compare";

export interface SweepSettings {
  sweepRanks: number[];
  sweepAlpha: number;
}

/** Sweep variant ids: the shared anchor at the smallest rank, then per scaling and rank. */
export function sweepIds(s: SweepSettings): { anchor: string; lora: (r: number) => string; rs: (r: number) => string } {
  const r0 = Math.min(...s.sweepRanks);
  const lora = (r: number) => `LoRA α/r r=${r} (sweep)`;
  return { anchor: lora(r0), lora, rs: (r: number) => (r === r0 ? lora(r0) : `rsLoRA α/√r r=${r} (sweep)`) };
}

export function sweepChecks(records: RunRecord[], s: SweepSettings): Check[] {
  if (s.sweepRanks.length < 2) return [];
  const ids = sweepIds(s);
  const rMax = Math.max(...s.sweepRanks);
  if (!hasVariant(records, ids.anchor) || !hasVariant(records, ids.rs(rMax)) || !hasVariant(records, ids.lora(rMax)))
    return [];
  const r0 = Math.min(...s.sweepRanks);
  const stable = paired(records, ids.rs(rMax), ids.anchor, (r) => r.lossB);
  const collapse = paired(records, ids.rs(rMax), ids.lora(rMax), (r) => r.lossB);
  return [
    evidence(
      `rsLoRA rank stability: with α/√r (α = ${s.sweepAlpha}, one lr) rank ${rMax} ends with a lower task-B test loss than rank ${r0}`,
      stable,
      `95% interval of the paired difference loss(r=${rMax}, α/√r) − loss(r=${r0}) below 0`,
      below(stable, 0),
      { figure: "adapters-compare-rank-sweep" },
    ),
    evidence(
      `LoRA's α/r slows learning at high rank: at r = ${rMax} (same α, same lr) rsLoRA's α/√r ends with a lower task-B test loss than α/r`,
      collapse,
      `95% interval of the paired difference loss(α/√r) − loss(α/r) at r=${rMax} below 0`,
      below(collapse, 0),
      { figure: "adapters-compare-rank-sweep" },
    ),
  ];
}

/** Final task-B test loss against rank for both scalings (mean over seeds). */
export function sweepFigure(name: string, records: RunRecord[], s: SweepSettings): Figure[] {
  if (s.sweepRanks.length < 2) return [];
  const ids = sweepIds(s);
  const pts: Array<Record<string, number | string>> = [];
  for (const r of [...s.sweepRanks].sort((a, b) => a - b)) {
    for (const [scaling, id] of [
      ["α/r (LoRA)", ids.lora(r)],
      ["α/√r (rsLoRA)", ids.rs(r)],
    ]) {
      const rs = records.filter((q) => q.id === id);
      if (rs.length) pts.push({ rank: r, scaling, lossB: mean(rs.map((q) => q.lossB)) });
    }
  }
  if (!pts.length) return [];
  return [
    {
      name,
      spec: lineChart(pts, {
        x: "rank",
        y: "lossB",
        color: "scaling",
        logX: true,
        title: `rsLoRA's rank sweep: final task-B test loss at α = ${s.sweepAlpha} and one lr (mean over seeds)`,
        xTitle: "rank r",
        yTitle: "test loss (task B)",
      }),
    },
  ];
}

/** Summary entries of the sweep: final test loss per scaling and rank (mean over seeds). */
export function sweepSummary(records: RunRecord[], s: SweepSettings): Record<string, number> {
  const out: Record<string, number> = {};
  const ids = sweepIds(s);
  for (const r of s.sweepRanks) {
    for (const [k, id] of [
      ["α/r", ids.lora(r)],
      ["α/√r", ids.rs(r)],
    ]) {
      const rs = records.filter((q) => q.id === id);
      if (rs.length) out[`sweep ${k} r=${r}: lossB`] = Number(mean(rs.map((q) => q.lossB)).toPrecision(4));
    }
  }
  return out;
}
