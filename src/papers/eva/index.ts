// EVA as a view over the shared adapter benchmark: full FT, LoRA and EVA at (average) rank
// r = midRank; EVA's redistributed ranks come from its benchmark entry's figure.
import { benchEntry } from "../../adapters/benchmark";
import { above, sanity } from "../checks";
import { accCheck, earlyLossChecks, earlyStepsOf, paired } from "../adapters-compare/compare";
import { lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";
import { Figure } from "../types";

export const eva = defineAdapterView({
  id: "eva",
  citation: {
    authors: ["Paischer", "Hauzenberger", "Schmied", "Alkin", "Deisenroth", "Hochreiter"],
    title: "One Initialization to Rule them All: Fine-tuning via Explained Variance Adaptation",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2410.07170",
  },
  charBase: true,
  claim:
    "Initialising LoRA's A with the top principal directions of each layer's inputs (ranks redistributed by explained variance) maximises the initial gradient signal and fine-tunes better than LoRA.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, `EVA r=${s.midRank}`],
  checks(r) {
    const R = r.settings.midRank;
    const cv = paired(r.records, `EVA r=${R}`, `LoRA r=${R}`, (x) => Number(x.extra.capturedVarianceW1));
    return [
      sanity(
        "EVA's initial A captures more of the first layer's input variance than LoRA's random A (PCA directions maximise it by construction)",
        cv,
        `95% interval of the paired difference (EVA − LoRA) above 0`,
        above(cv, 0),
      ),
      ...earlyLossChecks(
        r.records,
        `EVA r=${R}`,
        `LoRA r=${R}`,
        earlyStepsOf(r.settings),
        "EVA's early test-B loss is below LoRA's",
        "eva-loss",
      ),
      accCheck(r.records, `EVA r=${R}`, `LoRA r=${R}`, "EVA's final task-B accuracy ≥ LoRA's"),
    ];
  },
  figures(r): Figure[] {
    const extra = benchEntry("eva").figures?.(r.records.filter((x) => x.method === "eva")) ?? [];
    return [lossFigure("eva-loss", r.records), ...extra.map((f) => ({ name: f.name, spec: f.spec }))];
  },
});
