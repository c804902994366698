// LoRA-GA in the shared benchmark: mid tier at r = midRank, α = 2r (init from the SVD of the calibration gradient), LoRA's lr family, seeded.
import { AdapterBenchEntry, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "lora-ga",
  color: "#9d755d",
  variants: (s) => [
    { id: `LoRA-GA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
};
