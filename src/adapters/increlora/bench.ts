// IncreLoRA in the shared benchmark: every matrix starts at rank 1 and the pair grows to an
// average rank of midRank (1 → 4 at midRank 4: a final total equal to LoRA r=4's rank count),
// α = 2·midRank so the final s = α/ranknum = 2 as LoRA's α = 2r, LoRA's lr family. The official
// settings scaled to the run: incre_rank_num = targetR/2 (the official rank table: 4 → 2),
// top_h = 1 of the 2 matrices (the official scripts grow 9 of 72), and init_warmup =
// incre_interval = steps/10 (40 at 400 steps), so the 3 growth events end at 40% of training,
// as the official RTE script's 14 rounds of 100 in ≈ 3,900 steps; new parameters warm up over
// the run's own warm-up length; orthogonality weight 0.1. Each matrix preallocates
// 1 + (n·(midRank − 1)) + incre_rank_num slots, so that one matrix could take all the growth.
// prepareConfig makes one IncreloraAllocator per run, shared through the config object.
import * as tf from "@tensorflow/tfjs";
import { adapterSeed, AdapterBenchEntry, BenchExtras, BenchRunContext } from "../benchmark";
import { rankAllocationSpec } from "../adalora/figure";
import { IncreloraAdapter } from "./adapter";
import { IncreloraAllocator } from "./allocator";

export function increloraPrepare(config: Record<string, unknown>, ctx: BenchRunContext): Record<string, unknown> {
  const every = Math.max(1, Math.round(ctx.steps / 10));
  return {
    ...config,
    initWarmup: every,
    interval: every,
    newWarmup: ctx.warmup,
    seed: adapterSeed(ctx.seed),
    allocator: new IncreloraAllocator(),
  };
}

export const bench: AdapterBenchEntry = {
  method: "increlora",
  color: "#e377c2",
  variants: (s) => {
    const n = s.hidden.length;
    const inc = Math.max(1, Math.floor(s.midRank / 2));
    return [
      {
        id: `IncreLoRA r=1→${s.midRank}`,
        tier: "mid",
        config: {
          r: 1 + n * (s.midRank - 1) + inc,
          startR: 1,
          targetR: s.midRank,
          alpha: 2 * s.midRank,
          topH: 1,
          incrementRank: inc,
          orthWeight: 0.1,
        },
        family: "lora",
      },
    ];
  },
  prepareConfig: increloraPrepare,
  afterTrain: ({ model }): BenchExtras => {
    const ads = model.adapters.filter((a): a is IncreloraAdapter => a instanceof IncreloraAdapter);
    if (!ads.length) return {};
    const alloc = ads[0].allocator;
    const ortho = ads.map((a) => tf.tidy(() => a.orthoLoss().arraySync() as number));
    return {
      increloraRanks: ads.map((a) => a.activeRank()).join("/"),
      activeParams: ads.reduce((t, a) => t + a.activeParameterCount(), 0),
      allocatedParams: ads.reduce((t, a) => t + a.parameterCount(), 0),
      // [step, rank of each matrix after the growth] at every growth event.
      increloraGrowth: JSON.stringify(alloc.history.map((h) => [h.step, ...h.ranks])),
      targetReached: alloc.finished && alloc.totalRank() === alloc.targetTotal() ? 1 : 0,
      orthoLoss: ortho.reduce((x, y) => x + y, 0) / ortho.length,
    };
  },
  figures(records) {
    const rs = records.filter((r) => r.method === "increlora" && typeof r.extra.increloraRanks === "string");
    if (!rs.length) return [];
    return [
      {
        name: "increlora-ranks",
        spec: rankAllocationSpec(rs, "increloraRanks", "IncreLoRA: final rank per matrix (top-h growth)"),
      },
    ];
  },
};
