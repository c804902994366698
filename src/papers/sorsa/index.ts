// SORSA as a view over the shared adapter benchmark: SORSA (with and without its orthonormal
// regulariser) against PiSSA and LoRA at r = midRank.
import { below, evidence } from "../checks";
import { accCheck, earlyLossChecks, earlyStepsOf, paired } from "../adapters-compare/compare";
import { forgettingFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

export const sorsa = defineAdapterView({
  id: "sorsa",
  citation: {
    authors: ["Cao"],
    title: "SORSA: Singular Values and Orthonormal Regularized Singular Vectors Adaptation of Large Language Models",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2409.00055",
  },
  charBase: true,
  claim:
    "Training the principal singular triplets with an orthonormal regulariser keeps the singular frame orthonormal, converges faster than PiSSA and LoRA, and ends better.",
  variants: (s) => [
    "full FT",
    `LoRA r=${s.midRank}`,
    `PiSSA r=${s.midRank}`,
    `SORSA r=${s.midRank}`,
    `SORSA r=${s.midRank} γ=0`,
  ],
  checks(r) {
    const R = r.settings.midRank;
    const S = `SORSA r=${R}`,
      S0 = `SORSA r=${R} γ=0`,
      P = `PiSSA r=${R}`;
    const ortho = paired(r.records, S, S0, (x) => Number(x.extra.orthoLoss));
    // forgetting(SORSA) − forgetting(PiSSA) = accA(PiSSA) − accA(SORSA), per seed.
    const forget = paired(r.records, P, S, (x) => x.accA);
    return [
      evidence(
        "The orthonormal regulariser keeps U_p, V_p closer to orthonormal than training without it (final L_o, γ > 0 vs γ = 0)",
        ortho,
        `95% interval of the paired difference L_o(${S}) − L_o(${S0}) below 0`,
        below(ortho, 0),
      ),
      evidence(
        "SORSA forgets task A no more than PiSSA (the regulariser is meant to preserve the pretrained frame)",
        forget,
        `95% interval of the paired difference forgetting(${S}) − forgetting(${P}) below 0`,
        below(forget, 0),
        { figure: "sorsa-forgetting" },
      ),
      ...earlyLossChecks(
        r.records,
        S,
        P,
        earlyStepsOf(r.settings),
        "SORSA's early test-B loss is below PiSSA's",
        "sorsa-loss",
      ),
      accCheck(r.records, S, `LoRA r=${R}`, "SORSA's final task-B accuracy ≥ LoRA's"),
    ];
  },
  figures: (r) => [lossFigure("sorsa-loss", r.records), forgettingFigure("sorsa-forgetting", rowsOf(r))],
});
