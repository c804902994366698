// Intrinsic dimension as a view over the shared adapter benchmark: one random subspace θ_d
// shared by both hidden matrices (Fastfood + SAID), a d sweep at one learning rate for d90,
// a dense projection at the smallest d, and the mid/tiny budget variants; full FT is the
// 100% reference.
import { intrinsicMidId, intrinsicTinyId } from "../../adapters/intrinsic";
import { lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";
import { accVsDFigure, intrinsicChecks, intrinsicViewIds } from "./checks";

export const intrinsicDimension = defineAdapterView({
  id: "intrinsic-dimension",
  citation: {
    authors: ["Aghajanyan", "Zettlemoyer", "Gupta"],
    title: "Intrinsic Dimensionality Explains the Effectiveness of Language Model Fine-Tuning",
    venue: "ACL",
    year: 2021,
    arxiv: "2012.13255",
  },
  claim:
    "Fine-tuning a pretrained model in a fixed random subspace of tiny dimension d (θ = θ0 + P θ_d, Fastfood P, per-matrix SAID scalars) reaches 90% of full fine-tuning's accuracy with d far below the number of weights (Li et al. 2018's d90), and accuracy rises with d.",
  // The char base runs only the variants its preset lists (headLr 0 marks its settings):
  // there the view keeps its references and its checks and figure return nothing.
  variants: (s) => (s.headLr > 0 ? intrinsicViewIds(s.midRank) : ["full FT", `LoRA r=${s.midRank}`]),
  checks: intrinsicChecks,
  figures: (r) => [
    ...accVsDFigure(r),
    lossFigure(
      "intrinsic-dimension-loss",
      r.records.filter((x) =>
        ["full FT", `LoRA r=${r.settings.midRank}`, intrinsicMidId, intrinsicTinyId].includes(x.id),
      ),
    ),
  ],
});
