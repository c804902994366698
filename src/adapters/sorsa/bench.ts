// SORSA in the shared benchmark: mid tier at r = midRank, plus an ablation without the
// orthonormal regulariser (γ = 0). Its regulariser is scaled by γ/lr, so the run's lr is
// passed in; after training it records the unweighted orthonormality error L_o (mean over
// the adapted layers).
import * as tf from "@tensorflow/tfjs";
import { AdapterBenchEntry, BenchExtras } from "../benchmark";
import { SorsaAdapter } from "./adapter";

export const bench: AdapterBenchEntry = {
  method: "sorsa",
  color: "#8c6d31",
  variants: (s) => [
    { id: `SORSA r=${s.midRank}`, tier: "mid", config: { r: s.midRank }, family: "lora" },
    { id: `SORSA r=${s.midRank} γ=0`, tier: "ablation", config: { r: s.midRank, gamma: 0 }, family: "lora" },
  ],
  prepareConfig: (config, ctx) => (config.lr === undefined ? { ...config, lr: ctx.lr } : config),
  afterTrain: ({ model }): BenchExtras => {
    const ads = model.adapters.filter((a): a is SorsaAdapter => a instanceof SorsaAdapter);
    if (!ads.length) return {};
    const vals = ads.map((a) => tf.tidy(() => a.orthoLoss().arraySync() as number));
    return { orthoLoss: vals.reduce((x, y) => x + y, 0) / vals.length };
  },
};
