// AdaLoRA in the shared benchmark: init rank 1.5× the mid rank pruned to the mid rank
// (6 → 4 at midRank 4, the card's budget: the final global budget equals LoRA r=4's rank
// count over the adapted matrices), α = 2·initR so s = α/r = 2 as LoRA's α = 2r, LoRA's lr family.
// The schedule scales with the run's steps as the official GLUE scripts do (tinit ≈ 15%,
// tfinal ≈ 45% of the steps; ΔT = steps/40, 10 at 400 steps), orthogonality weight 0.1 (the
// official scripts' usual reg_orth_coef). prepareConfig makes one AdaloraAllocator per run,
// shared by both matrices through the config object, so the top-b(t) is global.
// After training it records the final rank per matrix, the active and allocated parameter
// counts, the masking events (global budget b(t) and live slots) and the orthogonality error.
import * as tf from "@tensorflow/tfjs";
import { adapterSeed, AdapterBenchEntry, BenchExtras, BenchRunContext } from "../benchmark";
import { AdaloraAdapter } from "./adapter";
import { AdaloraAllocator } from "./allocator";
import { rankAllocationSpec } from "./figure";

/** The schedule of a run of `steps` steps. */
export function adaloraBenchSchedule(steps: number): { tInit: number; tFinal: number; deltaT: number } {
  return {
    tInit: Math.round(0.15 * steps),
    tFinal: Math.round(0.45 * steps),
    deltaT: Math.max(1, Math.round(steps / 40)),
  };
}

export function adaloraPrepare(config: Record<string, unknown>, ctx: BenchRunContext): Record<string, unknown> {
  return {
    ...config,
    ...adaloraBenchSchedule(ctx.steps),
    totalSteps: ctx.steps,
    seed: adapterSeed(ctx.seed),
    allocator: new AdaloraAllocator(),
  };
}

export const bench: AdapterBenchEntry = {
  method: "adalora",
  color: "#9467bd",
  variants: (s) => {
    const init = Math.round(1.5 * s.midRank);
    return [
      {
        id: `AdaLoRA r=${init}→${s.midRank}`,
        tier: "mid",
        config: { r: init, targetR: s.midRank, alpha: 2 * init, orthWeight: 0.1 },
        family: "lora",
      },
    ];
  },
  prepareConfig: adaloraPrepare,
  afterTrain: ({ model }): BenchExtras => {
    const ads = model.adapters.filter((a): a is AdaloraAdapter => a instanceof AdaloraAdapter);
    if (!ads.length) return {};
    const alloc = ads[0].allocator;
    const ortho = ads.map((a) => tf.tidy(() => a.orthoLoss().arraySync() as number));
    return {
      adaloraRanks: ads.map((a) => a.activeRank()).join("/"),
      activeParams: ads.reduce((t, a) => t + a.activeParameterCount(), 0),
      allocatedParams: ads.reduce((t, a) => t + a.parameterCount(), 0),
      // [step, global budget b(t), live slots after masking] at every masking event.
      adaloraBudget: JSON.stringify(alloc.history.map((h) => [h.step, h.budget, h.active])),
      budgetMismatches: alloc.history.filter((h) => h.active !== h.budget).length,
      orthoLoss: ortho.reduce((x, y) => x + y, 0) / ortho.length,
    };
  },
  figures(records) {
    const rs = records.filter((r) => r.method === "adalora" && typeof r.extra.adaloraRanks === "string");
    if (!rs.length) return [];
    return [
      {
        name: "adalora-ranks",
        spec: rankAllocationSpec(rs, "adaloraRanks", "AdaLoRA: final rank per matrix (global top-b budget)"),
      },
    ];
  },
};
