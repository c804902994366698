// SVFit as a view over the shared adapter benchmark: SVFit (all singular values) against
// LoRA at r = midRank and r = 1 and LoRA-XS at the tiny budget.
import { tInterval } from "../../metrics/intervals";
import { sanity } from "../checks";
import { accCheck, runsOf } from "../adapters-compare/compare";
import { accVsParamsFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

export const svfit = defineAdapterView({
  id: "svfit",
  citation: {
    authors: ["Sun", "Guo", "Wang", "Zhang", "Yang", "Li"],
    title: "SVFit: Parameter-Efficient Fine-Tuning of Large Pre-Trained Models Using Singular Values",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2409.05926",
  },
  charBase: true,
  claim: "Training only W0's top singular values matches or beats LoRA with ~16× fewer trainable parameters.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, "LoRA r=1", `LoRA-XS r=${s.xsTinyRank}`, "SVFit (all σ)"],
  checks(r) {
    const { midRank: R, xsTinyRank: T } = r.settings;
    const sv = runsOf(r.records, "SVFit (all σ)");
    const counts = sv.map((x) => x.layers.reduce((acc, l) => acc + (l.intruders["0.5"] ?? 0), 0));
    return [
      accCheck(
        r.records,
        "SVFit (all σ)",
        `LoRA r=${R}`,
        `SVFit (${sv[0].params} params) ≥ LoRA r=${R} (${runsOf(r.records, `LoRA r=${R}`)[0].params} params)`,
        0,
        "svfit-acc-vs-params",
      ),
      accCheck(
        r.records,
        "SVFit (all σ)",
        `LoRA-XS r=${T}`,
        "SVFit competitive with LoRA-XS at equal parameters",
        0.02,
        "svfit-acc-vs-params",
      ),
      sanity(
        "SVFit's update creates no intruder dimensions (ε = 0.5, both matrices): it keeps W0's singular vectors by construction",
        tInterval(counts),
        "0 in every seed",
        counts.every((c) => c === 0),
      ),
    ];
  },
  figures: (r) => [lossFigure("svfit-loss", r.records), accVsParamsFigure("svfit-acc-vs-params", rowsOf(r))],
});
