// LoLDU as a view over the shared adapter benchmark: LoLDU (all r pivots + one scale per
// matrix) against LoRA-XS at the tiny budget and LoRA at r = 1 and r = midRank; its
// forgetting of task A is shown next to the task-B accuracy.
import { sanity } from "../checks";
import { accCheck, runsOf } from "../adapters-compare/compare";
import { accVsParamsFigure, forgettingFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

export const loldu = defineAdapterView({
  id: "loldu",
  citation: {
    authors: ["Shi", "Chen", "Wang", "Dai"],
    title: "LoLDU: Low-Rank Adaptation via Lower-Diag-Upper Decomposition for Parameter-Efficient Fine-Tuning",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2410.13618",
  },
  charBase: true,
  claim:
    "Fine-tuning only the diagonal of W0's LDU factorisation (plus one scale: r+1 parameters per layer) is competitive with far larger adapters.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, "LoRA r=1", `LoRA-XS r=${s.xsTinyRank}`, "LoLDU (all r)"],
  checks(r) {
    const { midRank: R, xsTinyRank: T, hidden } = r.settings;
    const run = runsOf(r.records, "LoLDU (all r)")[0];
    const d = run.params;
    // The smaller side of every adapted matrix: 256 on the MLP, the width 32 on the char LM.
    const rank = Math.min(...hidden);
    const layers = run.layers.length; // the adapted matrices (2 on the MLP, 12 on the char LM)
    return [
      sanity(
        "LoLDU trains r + 1 parameters per layer",
        d,
        `= ${layers * (rank + 1)} (${layers} layers, r = ${rank})`,
        d === layers * (rank + 1),
      ),
      accCheck(
        r.records,
        "LoLDU (all r)",
        `LoRA-XS r=${T}`,
        "LoLDU competitive with LoRA-XS at the tiny tier",
        0.02,
        "loldu-acc-vs-params",
      ),
      accCheck(
        r.records,
        "LoLDU (all r)",
        `LoRA r=${R}`,
        `LoLDU (${d} params) competitive with LoRA r=${R} (${runsOf(r.records, `LoRA r=${R}`)[0].params} params)`,
        0.02,
        "loldu-acc-vs-params",
      ),
    ];
  },
  figures: (r) => [
    lossFigure("loldu-loss", r.records),
    accVsParamsFigure("loldu-acc-vs-params", rowsOf(r)),
    forgettingFigure("loldu-forgetting", rowsOf(r)),
  ],
});
