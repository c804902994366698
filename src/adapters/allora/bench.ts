// ALLoRA in the shared benchmark: mid tier at r = midRank (same shapes and count as LoRA r = midRank,
// s = 1, no dropout), LoRA's lr family, seeded; an ablation with the per-row coefficient off
// (plain LoRA at s = 1) separates the adaptive rate from the dropped α/r. After training it
// stores the per-layer coefficient trace (JSON) for the allora paper's figure.
import { AdapterBenchEntry, BenchExtras, withRunSeed } from "../benchmark";
import { AlloraAdapter } from "./adapter";

/** Steps between trace points (plus step 1). */
export const ALLORA_TRACE_EVERY = 40;

const sig = (v: number) => Number(v.toPrecision(3));

export const bench: AdapterBenchEntry = {
  method: "allora",
  color: "#17becf",
  variants: (s) => [
    { id: `ALLoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank }, family: "lora" },
    { id: `ALLoRA r=${s.midRank} c≡1`, tier: "ablation", config: { r: s.midRank, adaptive: false }, family: "lora" },
  ],
  prepareConfig: (config, ctx) => ({ ...withRunSeed(config, ctx), traceEvery: ALLORA_TRACE_EVERY }),
  afterTrain: ({ model, layers }): BenchExtras => {
    const per = layers
      .map((l) => ({ layer: l, a: model.adapters[l] }))
      .filter((x): x is { layer: number; a: AlloraAdapter } => x.a instanceof AlloraAdapter);
    if (!per.length) return {};
    const last = per.map((x) => x.a.trace[x.a.trace.length - 1]).filter((p) => p !== undefined);
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
    return {
      // Compact (it lands in the benchmark's table): per layer, the steps and the mean A and B coefficients.
      alloraTrace: JSON.stringify(
        per.map((x) => ({
          layer: x.layer,
          step: x.a.trace.map((p) => p.step),
          coefA: x.a.trace.map((p) => sig(p.coefA)),
          coefB: x.a.trace.map((p) => sig(p.coefB)),
        })),
      ),
      finalCoefB: mean(last.map((p) => p.coefB)),
      finalNormB: mean(last.map((p) => p.normB)),
    };
  },
};
