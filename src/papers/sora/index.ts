// SoRA as a view over the shared adapter benchmark: SoRA (r_max = 2·midRank gated components,
// the staged ξ schedule pruning them during training) against LoRA at the mid rank, the rank
// its pruned adapters end near, and full FT; its figure is the rank sparsity over the schedule.
import { soraId } from "../../adapters/sora";
import { lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";
import { soraChecks, sparsityFigure } from "./checks";

export const sora = defineAdapterView({
  id: "sora",
  citation: {
    authors: ["Ding", "Lv", "Wang", "Chen", "Zhou", "Liu", "Sun"],
    title: "Sparse Low-rank Adaptation of Pre-trained Language Models",
    venue: "EMNLP",
    year: 2023,
    arxiv: "2311.11696",
    code: "https://github.com/TsinghuaC3I/SoRA",
  },
  claim:
    "Gating LoRA's components and pushing the gates to zero with a proximal L1 step (threshold raised in stages) prunes the rank during training, and the pruned plain LoRA is at least as accurate as LoRA of that rank.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, soraId(2 * s.midRank)],
  checks: soraChecks,
  figures: (r) => [sparsityFigure("sora-sparsity", r), lossFigure("sora-loss", r.records)],
});
