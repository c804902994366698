// DoRA in the shared benchmark: mid tier at r = midRank, α = 2r (magnitude and direction), LoRA's lr family, seeded.
import { AdapterBenchEntry, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "dora",
  color: "#7f7f7f",
  variants: (s) => [
    { id: `DoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
};
