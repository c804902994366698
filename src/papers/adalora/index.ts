// AdaLoRA as a view over the shared adapter benchmark: full FT, LoRA r = midRank and AdaLoRA
// pruned from 1.5·midRank to midRank per matrix on average (same final rank budget as LoRA);
// the method-specific figures are the final rank per matrix and the budget over steps.
import { benchEntry } from "../../adapters/benchmark";
import { rowsOf } from "../adapters-compare/checks";
import { accuracyFigure, lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";
import { Figure } from "../types";
import { adaloraChecks, adaloraId, budgetFigure } from "./checks";

export const adalora = defineAdapterView({
  id: "adalora",
  citation: {
    authors: ["Zhang", "Chen", "Bukharin", "Karampatziakis", "He", "Cheng", "Chen", "Zhao"],
    title: "AdaLoRA: Adaptive Budget Allocation for Parameter-Efficient Fine-Tuning",
    venue: "ICLR",
    year: 2023,
    arxiv: "2303.10512",
    code: "https://github.com/QingruZhang/AdaLoRA",
  },
  claim:
    "Parametrising each update as P Λ Q and pruning the singular values of low importance (sensitivity × uncertainty) to a global budget that shrinks on a cubic schedule allocates ranks where they matter and fine-tunes better than LoRA at the same budget.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, adaloraId(s)],
  checks: adaloraChecks,
  figures(r): Figure[] {
    const ranks = benchEntry("adalora").figures?.(r.records.filter((x) => x.method === "adalora")) ?? [];
    return [
      ...ranks.map((f) => ({ name: f.name, spec: f.spec })),
      budgetFigure(r),
      accuracyFigure("adalora-accuracy", rowsOf(r)),
      lossFigure("adalora-loss", r.records),
    ];
  },
});
