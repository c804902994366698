// LoRA-SB as a view over the shared adapter benchmark: LoRA-SB against LoRA-XS at the same
// ranks (mid and tiny budgets), and against LoRA at r = midRank.
import { accCheck, earlyLossChecks, earlyStepsOf, runsOf } from "../adapters-compare/compare";
import { accVsParamsFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

export const loraSb = defineAdapterView({
  id: "lora-sb",
  citation: {
    authors: ["Ponkshe", "Singhal", "Gorbunov", "Tumanov", "Horvath", "Vepakomma"],
    title: "Initialization using Update Approximation is a Silver Bullet for Extreme Efficient Low-Rank Fine-Tuning",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2411.19557",
  },
  charBase: true,
  claim:
    "LoRA-XS's architecture initialised from the truncated first full-FT update (LoRA-SB) beats LoRA-XS at equal rank and LoRA with many times fewer parameters.",
  variants: (s) => [
    "full FT",
    `LoRA r=${s.midRank}`,
    `LoRA-XS r=${s.xsMidRank}`,
    `LoRA-SB r=${s.xsMidRank}`,
    `LoRA-XS r=${s.xsTinyRank}`,
    `LoRA-SB r=${s.xsTinyRank}`,
  ],
  checks(r) {
    const { midRank: R, xsMidRank: M, xsTinyRank: T } = r.settings;
    const p = (id: string) => runsOf(r.records, id)[0].params;
    return [
      accCheck(
        r.records,
        `LoRA-SB r=${T}`,
        `LoRA-XS r=${T}`,
        `LoRA-SB beats LoRA-XS at the same rank r=${T} (tiny tier)`,
        0,
        "lora-sb-acc-vs-params",
      ),
      accCheck(
        r.records,
        `LoRA-SB r=${M}`,
        `LoRA-XS r=${M}`,
        `LoRA-SB beats LoRA-XS at the same rank r=${M} (mid tier)`,
        0,
        "lora-sb-acc-vs-params",
      ),
      accCheck(
        r.records,
        `LoRA-SB r=${T}`,
        `LoRA r=${R}`,
        `LoRA-SB r=${T} (${p(`LoRA-SB r=${T}`)} params) ≥ LoRA r=${R} (${p(`LoRA r=${R}`)} params)`,
        0,
        "lora-sb-acc-vs-params",
      ),
      ...earlyLossChecks(
        r.records,
        `LoRA-SB r=${T}`,
        `LoRA-XS r=${T}`,
        earlyStepsOf(r.settings),
        "LoRA-SB's early test-B loss is below LoRA-XS's (its init is the first update)",
        "lora-sb-loss",
      ),
    ];
  },
  figures: (r) => [lossFigure("lora-sb-loss", r.records), accVsParamsFigure("lora-sb-acc-vs-params", rowsOf(r))],
});
