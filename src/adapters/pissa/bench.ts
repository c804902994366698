// PiSSA in the shared benchmark: mid tier at r = midRank, α = 2r (principal singular part of W0 as the init), LoRA's lr family, seeded.
import { AdapterBenchEntry, withRunSeed } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "pissa",
  color: "#b279a2",
  variants: (s) => [
    { id: `PiSSA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: 2 * s.midRank }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
};
