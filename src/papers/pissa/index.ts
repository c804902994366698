// PiSSA as a view over the shared adapter benchmark: full FT, LoRA and PiSSA at r = midRank.
import { accCheck, earlyLossChecks, earlyStepsOf } from "../adapters-compare/compare";
import { accuracyFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

export const pissa = defineAdapterView({
  id: "pissa",
  citation: {
    authors: ["Meng", "Wang", "Zhang"],
    title: "PiSSA: Principal Singular Values and Singular Vectors Adaptation of Large Language Models",
    venue: "NeurIPS",
    year: 2024,
    arxiv: "2404.02948",
  },
  charBase: true,
  claim:
    "Initialising LoRA's factors with the principal singular part of W0 (residual frozen) converges faster and ends better than LoRA's zero/random init.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, `PiSSA r=${s.midRank}`],
  checks(r) {
    const R = r.settings.midRank;
    return [
      ...earlyLossChecks(
        r.records,
        `PiSSA r=${R}`,
        `LoRA r=${R}`,
        earlyStepsOf(r.settings),
        "PiSSA's task-B test loss is below LoRA's early (faster convergence)",
        "pissa-loss",
      ),
      accCheck(r.records, `PiSSA r=${R}`, `LoRA r=${R}`, "PiSSA's final task-B accuracy ≥ LoRA's", 0, "pissa-accuracy"),
    ];
  },
  figures: (r) => [lossFigure("pissa-loss", r.records), accuracyFigure("pissa-accuracy", rowsOf(r))],
});
