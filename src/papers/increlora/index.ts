// IncreLoRA as a view over the shared adapter benchmark: full FT, LoRA r = midRank, AdaLoRA
// and IncreLoRA growing from rank 1 to an average of midRank (same final rank budget); the
// method-specific figures are the final rank per matrix and the ranks over steps.
import { benchEntry } from "../../adapters/benchmark";
import { rowsOf } from "../adapters-compare/checks";
import { accuracyFigure, lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";
import { Figure } from "../types";
import { adaloraId } from "../adalora/checks";
import { growthFigure, increloraChecks, increloraId } from "./checks";

export const increlora = defineAdapterView({
  id: "increlora",
  citation: {
    authors: ["Zhang", "Yuan", "Lu", "Huang"],
    title: "IncreLoRA: Incremental Parameter Allocation Method for Parameter-Efficient Fine-tuning",
    venue: "arXiv preprint",
    year: 2023,
    arxiv: "2308.12043",
    code: "https://github.com/FeiyuZhang98/IncreLoRA",
  },
  claim:
    "Growing each update's rank from 1, adding components (trained ahead as reserves) to the matrices with the highest smoothed sensitivity until an average target rank, is more parameter-efficient than LoRA and than pruning from a larger rank (AdaLoRA) at the same final budget.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, adaloraId(s), increloraId(s)],
  checks: increloraChecks,
  figures(r): Figure[] {
    const ranks = benchEntry("increlora").figures?.(r.records.filter((x) => x.method === "increlora")) ?? [];
    return [
      ...ranks.map((f) => ({ name: f.name, spec: f.spec })),
      growthFigure(r),
      accuracyFigure("increlora-accuracy", rowsOf(r)),
      lossFigure("increlora-loss", r.records),
    ];
  },
});
