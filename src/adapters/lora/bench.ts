// LoRA in the shared benchmark: the mid-tier reference (r = midRank, α = 2r) and a tiny r = 1;
// seeded random A; records the input variance its random A captures (EVA's comparison).
import { AdapterBenchEntry, capturedVarianceW1, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "lora",
  color: "#f58518",
  variants: (s) => [
    { id: `LoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
    { id: "LoRA r=1", tier: "tiny", config: { r: 1, alpha: 2 }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
  afterInit: capturedVarianceW1,
};
