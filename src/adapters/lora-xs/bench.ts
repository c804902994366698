// LoRA-XS in the shared benchmark: r² trainable parameters per matrix, at the ranks that
// match the mid and tiny budgets; its own lr family ("xs"); seeded random R.
import { AdapterBenchEntry, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "lora-xs",
  color: "#72b7b2",
  variants: (s) => [
    { id: `LoRA-XS r=${s.xsMidRank}`, tier: "mid", config: { r: s.xsMidRank }, family: "xs" },
    { id: `LoRA-XS r=${s.xsTinyRank}`, tier: "tiny", config: { r: s.xsTinyRank }, family: "xs" },
  ],
  prepareConfig: withRunSeed,
};
