// rsLoRA in the shared benchmark: mid tier at r = midRank, α = 2r (rank-stabilised scaling α/√r), LoRA's lr family, seeded.
// With a rank sweep, its side of the paper's claim: α fixed, s = α/√r at every swept rank
// above the smallest, at the lr LoRA's sweep anchor selected (the two coincide at that rank).
import { AdapterBenchEntry, withRunSeed } from "../benchmark";
import { sweepAnchorId } from "../lora/bench";

export const bench: AdapterBenchEntry = {
  method: "rslora",
  color: "#eeca3b",
  variants: (s) => [
    { id: `rsLoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
    ...[...s.sweepRanks]
      .sort((a, b) => a - b)
      .slice(1)
      .map((r) => ({
        id: `rsLoRA α/√r r=${r} (sweep)`,
        tier: "ablation" as const,
        config: { r, alpha: s.sweepAlpha },
        family: "lora",
        settings: { sweep: "alpha/sqrt r", rank: r },
        lrFrom: sweepAnchorId(s),
      })),
  ],
  prepareConfig: withRunSeed,
};
