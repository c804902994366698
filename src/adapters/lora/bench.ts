// LoRA in the shared benchmark: the mid-tier reference (r = midRank, α = 2r) and a tiny r = 1;
// seeded random A; records the input variance its random A captures (EVA's comparison).
// With a rank sweep, LoRA's side of rsLoRA's claim: α fixed, s = α/r at every swept rank;
// the r = 1 run is the sweep's anchor (α/r = α/√r there), whose lr is selected on
// validation and then used at every rank of both scalings.
import { AdapterBenchEntry, BenchScale, BenchVariant, capturedVarianceW1, withRunSeed } from "../benchmark";

/** Id of the rank sweep's anchor variant (LoRA at the smallest swept rank). */
export const sweepAnchorId = (s: BenchScale): string => `LoRA α/r r=${Math.min(...s.sweepRanks)} (sweep)`;

function sweepVariants(s: BenchScale): BenchVariant[] {
  if (!s.sweepRanks.length) return [];
  const anchor = sweepAnchorId(s);
  return [...s.sweepRanks]
    .sort((a, b) => a - b)
    .map((r, i) => ({
      id: `LoRA α/r r=${r} (sweep)`,
      tier: "ablation" as const,
      config: { r, alpha: s.sweepAlpha },
      family: "lora",
      settings: { sweep: "alpha/r", rank: r },
      ...(i === 0 ? {} : { lrFrom: anchor }),
    }));
}

export const bench: AdapterBenchEntry = {
  method: "lora",
  color: "#f58518",
  variants: (s) => [
    { id: `LoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
    { id: "LoRA r=1", tier: "tiny", config: { r: 1, alpha: 2 }, family: "lora" },
    ...sweepVariants(s),
  ],
  prepareConfig: withRunSeed,
  afterInit: capturedVarianceW1,
};
