// FLoRA (linear case) in the shared benchmark: mid tier at r₁ = r₂ = midRank (LoRA r = midRank's
// count plus the r₁r₂ core per matrix), s = 1, LoRA's lr family, seeded. After training it
// stores each adapted layer's core singular values (JSON) for the flora paper's figure.
import { AdapterBenchEntry, BenchExtras, withRunSeed } from "../benchmark";
import { FloraAdapter } from "./adapter";

export const bench: AdapterBenchEntry = {
  method: "flora",
  color: "#bcbd22",
  variants: (s) => [{ id: `FLoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank }, family: "lora" }],
  prepareConfig: withRunSeed,
  afterTrain: ({ model, layers }): BenchExtras => {
    const per = layers
      .map((l) => ({ layer: l, a: model.adapters[l] }))
      .filter((x): x is { layer: number; a: FloraAdapter } => x.a instanceof FloraAdapter);
    if (!per.length) return {};
    const spectra = per.map((x) => ({
      layer: x.layer,
      sigma: x.a.coreSingularValues().map((v) => Number(v.toPrecision(4))),
    }));
    // Effective rank of each core (exp of the entropy of σ/Σσ), averaged: how much of the r₁×r₂ core is used.
    const eff = spectra.map(({ sigma }) => {
      const tot = sigma.reduce((s, v) => s + v, 0);
      if (!(tot > 0)) return 0;
      return Math.exp(-sigma.reduce((s, v) => (v > 0 ? s + (v / tot) * Math.log(v / tot) : s), 0));
    });
    return {
      floraCoreSpectra: JSON.stringify(spectra),
      coreEffRank: eff.reduce((s, v) => s + v, 0) / eff.length,
    };
  },
};
