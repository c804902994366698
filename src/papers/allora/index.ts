// ALLoRA as a view over the shared adapter benchmark: ALLoRA (s = 1, no dropout, per-row
// adaptive rate) against LoRA at the same rank and parameter count, each at its own
// validation-selected lr, plus the ablation with the coefficient off (c ≡ 1) that separates
// the adaptive rate from the dropped α/r. Its figure is the coefficient trace the
// benchmark entry records.
import { ALLORA_DEFAULT_ETA, ALLORA_TRACE_EVERY } from "../../adapters/allora";
import { tInterval } from "../../metrics/intervals";
import { mean } from "../../metrics/stats";
import { lineChart } from "../../plot/specs";
import { below, sanity } from "../checks";
import { accCheck, earlyLossChecks, earlyStepsOf, runsOf } from "../adapters-compare/compare";
import { lossFigure } from "../adapters-compare/figures";
import { RunRecord } from "../adapters-compare/bench";
import { defineAdapterView } from "../adapters-compare/view";
import { Figure } from "../types";

interface TraceLayer {
  layer: number;
  step: number[];
  coefA: number[];
  coefB: number[];
}

/** Seed-mean coefficient trace of one variant: rows {step, series, coefficient}. */
export function coefficientRows(records: RunRecord[], id: string): Array<Record<string, number | string>> {
  const traces = runsOf(records, id)
    .map((r) => (typeof r.extra.alloraTrace === "string" ? (JSON.parse(r.extra.alloraTrace) as TraceLayer[]) : null))
    .filter((t): t is TraceLayer[] => t !== null && t.length > 0);
  if (!traces.length) return [];
  const rows: Array<Record<string, number | string>> = [];
  traces[0].forEach((L, li) => {
    const name = `W${L.layer + 1}`;
    L.step.forEach((step, k) => {
      for (const f of ["coefA", "coefB"] as const)
        rows.push({
          step,
          series: `${name} ${f === "coefA" ? "A" : "B"} rows`,
          coefficient: mean(traces.map((t) => t[li][f][k])),
        });
    });
  });
  return rows;
}

export const allora = defineAdapterView({
  id: "allora",
  citation: {
    authors: ["Huang", "Balestriero"],
    title: "ALLoRA: Adaptive Learning Rate Mitigates LoRA Fatal Flaws",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2410.09692",
  },
  claim:
    "A dropout-free, scaling-free LoRA whose per-row learning rate is inversely related to the row's norm escapes B = 0 faster and fine-tunes better than LoRA, removing two hyper-parameters.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, `ALLoRA r=${s.midRank}`, `ALLoRA r=${s.midRank} c≡1`],
  checks(r) {
    const R = r.settings.midRank;
    const A = `ALLoRA r=${R}`,
      L = `LoRA r=${R}`,
      A1 = `ALLoRA r=${R} c≡1`;
    const eta = ALLORA_DEFAULT_ETA;
    const coefB = tInterval(runsOf(r.records, A).map((x) => Number(x.extra.finalCoefB)));
    const pA = runsOf(r.records, A)[0].params;
    const pL = runsOf(r.records, L)[0].params;
    return [
      sanity(
        "ALLoRA has exactly LoRA's trainable parameters at the same rank (same shapes, no extra state)",
        pA - pL,
        "params(ALLoRA) − params(LoRA) = 0",
        pA === pL,
      ),
      sanity(
        `B's per-row coefficient falls from its bound η = ${eta} (B = 0 at init) as B's rows grow: mean final coefficient over the adapted layers`,
        coefB,
        `95% interval below η = ${eta}`,
        below(coefB, eta),
        { figure: "allora-coefficients" },
      ),
      ...earlyLossChecks(
        r.records,
        A,
        L,
        earlyStepsOf(r.settings),
        "ALLoRA's early test-B loss is below LoRA's (B escapes zero faster)",
        "allora-loss",
      ),
      accCheck(r.records, A, L, "ALLoRA's final task-B accuracy is above LoRA's", 0, "allora-loss"),
      accCheck(
        r.records,
        A,
        A1,
        "The adaptive per-row rate itself helps: ALLoRA's final task-B accuracy is above the same adapter with c ≡ 1",
      ),
    ];
  },
  figures(r): Figure[] {
    const R = r.settings.midRank;
    const rows = coefficientRows(r.records, `ALLoRA r=${R}`);
    const out: Figure[] = [lossFigure("allora-loss", r.records)];
    if (rows.length)
      out.push({
        name: "allora-coefficients",
        spec: lineChart(rows, {
          x: "step",
          y: "coefficient",
          color: "series",
          logY: true,
          title: `ALLoRA r=${R}: mean per-row coefficient 1/√(‖row‖² + 1/η²) (η = ${ALLORA_DEFAULT_ETA}; every ${ALLORA_TRACE_EVERY} steps, mean over seeds)`,
          xTitle: "step",
          yTitle: "coefficient",
        }),
      });
    return out;
  },
});
