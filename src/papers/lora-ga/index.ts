// LoRA-GA as a view over the shared adapter benchmark: full FT, LoRA and LoRA-GA at r = midRank.
import { tInterval } from "../../metrics/intervals";
import { evidence } from "../checks";
import { accCheck, earlyLossChecks, earlyStepsOf, highEnd, runsOf } from "../adapters-compare/compare";
import { accuracyFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView, ViewResult } from "../adapters-compare/view";

/** Per seed: the first evaluated step at which LoRA-GA's test-B loss reaches LoRA's final one (Infinity if never). */
export function stepsToLoraFinal(r: ViewResult): number[] {
  const R = r.settings.midRank;
  const lora = runsOf(r.records, `LoRA r=${R}`);
  return runsOf(r.records, `LoRA-GA r=${R}`).map((ga) => {
    const target = (lora.find((x) => x.seed === ga.seed) ?? lora[0]).lossB;
    const hit = [...ga.curve].sort((a, b) => a.step - b.step).find((p) => p.testLossB <= target);
    return hit ? hit.step : Infinity;
  });
}

export const loraGa = defineAdapterView({
  id: "lora-ga",
  citation: {
    authors: ["Wang", "Yu", "Li"],
    title: "LoRA-GA: Low-Rank Adaptation with Gradient Approximation",
    venue: "NeurIPS",
    year: 2024,
    arxiv: "2407.05000",
  },
  charBase: true,
  claim:
    "Initialising LoRA from the SVD of the full-weight gradient makes its first steps approximate full fine-tuning, converging 2–4× faster than LoRA.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, `LoRA-GA r=${s.midRank}`],
  checks(r) {
    const R = r.settings.midRank;
    const half = r.settings.steps / 2;
    const ts = stepsToLoraFinal(r);
    const finite = ts.every(Number.isFinite);
    const iv = finite ? tInterval(ts) : null;
    return [
      ...earlyLossChecks(
        r.records,
        `LoRA-GA r=${R}`,
        `LoRA r=${R}`,
        earlyStepsOf(r.settings),
        "LoRA-GA's task-B test loss is below LoRA's early",
        "lora-ga-loss",
      ),
      evidence(
        `LoRA-GA reaches LoRA's final test-B loss (same seed) at least 2× sooner than LoRA's ${r.settings.steps} steps (paper: 2–4× faster)`,
        iv ?? `steps per seed: ${ts.map((t) => (Number.isFinite(t) ? t : "never")).join(", ")}`,
        `95% interval of the step (per seed) at or below ${half}`,
        !!iv && highEnd(iv) <= half,
        { seeds: ts.length, figure: "lora-ga-loss" },
      ),
      accCheck(
        r.records,
        `LoRA-GA r=${R}`,
        `LoRA r=${R}`,
        "LoRA-GA's final task-B accuracy ≥ LoRA's",
        0,
        "lora-ga-accuracy",
      ),
    ];
  },
  figures: (r) => [lossFigure("lora-ga-loss", r.records), accuracyFigure("lora-ga-accuracy", rowsOf(r))],
});
