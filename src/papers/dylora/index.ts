// DyLoRA as a view over the shared adapter benchmark: one DyLoRA run (r_max = midRank, the
// official frozen mode, plus the unfrozen ablation) evaluated at every inference rank b,
// against LoRA trained at fixed ranks (r = 1 and r = midRank with α = 2r, and the rank sweep's
// α/r variants at ranks ≤ r_max, whose s = α/r is DyLoRA's α/b at the same rank).
import { accuracyPerRankRows, dyloraChecks, dyloraFigure } from "./checks";
import { dyloraIds } from "../../adapters/dylora";
import { lossFigure } from "../adapters-compare/figures";
import { defineAdapterView } from "../adapters-compare/view";

export const dylora = defineAdapterView({
  id: "dylora",
  citation: {
    authors: ["Valipour", "Rezagholizadeh", "Kobyzev", "Ghodsi"],
    title: "DyLoRA: Parameter-Efficient Tuning of Pre-trained Models using Dynamic Search-Free Low-Rank Adaptation",
    venue: "EACL",
    year: 2023,
    arxiv: "2210.07558",
    code: "https://github.com/huawei-noah/Efficient-NLP",
  },
  claim:
    "Training LoRA's components in nested order (a random rank b ≤ r_max each step) gives one adapter usable at every rank b, each about as accurate as LoRA trained at that rank alone.",
  variants: (s) => {
    const ids = dyloraIds(s.midRank);
    const sweep = s.sweepRanks.filter((r) => r <= s.midRank).map((r) => `LoRA α/r r=${r} (sweep)`);
    // The sweep's larger ranks take the r = 1 anchor's lr, so the anchor comes along.
    return ["full FT", "LoRA r=1", `LoRA r=${s.midRank}`, ids.frozen, ids.unfrozen, ...sweep];
  },
  checks: dyloraChecks,
  figures: (r) => [dyloraFigure("dylora-ranks", accuracyPerRankRows(r)), lossFigure("dylora-loss", r.records)],
});
