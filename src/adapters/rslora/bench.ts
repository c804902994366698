// rsLoRA in the shared benchmark: mid tier at r = midRank, α = 2r (rank-stabilised scaling α/√r), LoRA's lr family, seeded.
import { AdapterBenchEntry, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "rslora",
  color: "#eeca3b",
  variants: (s) => [
    { id: `rsLoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
};
