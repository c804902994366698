// EVA in the shared benchmark: mid tier at average rank r = midRank (α = 2r), LoRA's lr
// family. Its init runs PCA on each adapted layer's calibration inputs and redistributes the
// rank budget (r × layers, each layer capped at ρ·r) by explained variance, replacing the
// uniform-rank adapters by EVA adapters of ranks r_l with α_l = α·r_l/r. It records the
// ranks, the PCA batches used, the variance each layer's initial A explains, and (like
// LoRA) the first layer's captured input variance.
import { barChart } from "../../plot/specs";
import { AdapterBenchEntry, BenchExtras, BenchModelContext, capturedVarianceW1, withRunSeed } from "../benchmark";
import { EvaAdapter, evaPca, evaRankAllocation } from "./adapter";

/** EVA's rank cap factor ρ in the benchmark. */
export const EVA_BENCH_RHO = 2;

function redistribute(ctx: BenchModelContext): BenchExtras {
  const { model, layers, calibration, config } = ctx;
  const rho = Number(ctx.variant.settings?.rho ?? EVA_BENCH_RHO);
  const inputs = model.layerInputs(calibration, layers);
  const r = config.r as number;
  const alpha = (config.alpha as number | undefined) ?? r;
  const cap = Math.round(rho * r);
  const pcas = layers.map((l, k) => evaPca(inputs[k], Math.min(cap, ...model.kernel(l).shape), { tau: 0.99 }));
  inputs.flat().forEach((t) => t.dispose());
  const alloc = evaRankAllocation(
    pcas.map((p) => p.explainedVarianceRatio),
    { r, rho, alpha },
  );
  layers.forEach((l, k) => {
    model.adapters[l]?.dispose();
    const rl = alloc.ranks[k];
    if (rl === 0) {
      model.adapters[l] = null;
      return;
    }
    const ad = new EvaAdapter(model.kernel(l), { ...(config as { r: number }), r: rl, alpha: alloc.alphas[k] });
    ad.initFromPca(pcas[k]);
    model.adapters[l] = ad;
  });
  const extra: BenchExtras = {
    evaRanks: alloc.ranks.join("/"),
    evaBatchesUsed: pcas.map((p) => p.batchesUsed).join("/"),
  };
  // Input variance the initial A explains per layer (its top r_l principal directions).
  pcas.forEach((p, k) => {
    extra[`evaExplainedW${layers[k] + 1}`] = p.explainedVarianceRatio
      .slice(0, alloc.ranks[k])
      .reduce((s, v) => s + v, 0);
  });
  return extra;
}

export const bench: AdapterBenchEntry = {
  method: "eva",
  color: "#17becf",
  variants: (s) => [
    {
      id: `EVA r=${s.midRank}`,
      tier: "mid",
      config: { r: s.midRank, alpha: 2 * s.midRank },
      family: "lora",
      settings: { rho: EVA_BENCH_RHO },
    },
  ],
  prepareConfig: withRunSeed,
  init: redistribute,
  afterInit: capturedVarianceW1,
  figures(records) {
    const e = records.filter((r) => r.method === "eva");
    if (!e.length) return [];
    const ranks = String(e[0].extra.evaRanks)
      .split("/")
      .map((x, l) => ({ layer: `W${l + 1}`, rank: Number(x) }));
    return [
      {
        name: "eva-ranks",
        spec: barChart(ranks, {
          x: "layer",
          y: "rank",
          title: "EVA's redistributed ranks (budget = r × layers, cap ρ·r)",
          xTitle: "layer",
          yTitle: "rank",
        }),
      },
    ];
  },
};
