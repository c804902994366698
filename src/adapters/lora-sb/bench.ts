// LoRA-SB in the shared benchmark: LoRA-XS's shapes and lr family; its init approximates the
// first full-FT update, whose step η₁ is the run's lr at warm-up step 1 (lr / warmup).
import { AdapterBenchEntry } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "lora-sb",
  color: "#ff9da6",
  variants: (s) => [
    { id: `LoRA-SB r=${s.xsMidRank}`, tier: "mid", config: { r: s.xsMidRank }, family: "xs" },
    { id: `LoRA-SB r=${s.xsTinyRank}`, tier: "tiny", config: { r: s.xsTinyRank }, family: "xs" },
  ],
  prepareConfig: (config, ctx) =>
    config.eta1 === undefined ? { ...config, eta1: ctx.lr / Math.max(1, ctx.warmup) } : config,
};
