// SoRA in the shared benchmark: r_max = 2·midRank gated components with α = 2·r_max (s = 2, as
// LoRA's mid variant), LoRA's lr family, and the staged ξ schedule over the run's steps. ξ's
// final value is fixed a priori (SORA_BENCH_XI, see the paper view's README: chosen from
// development runs' gate counts only, so that the surviving rank ends near midRank; no
// accuracy was looked at). After training it records the non-zero gates per matrix, their
// history over the schedule (a JSON string), and exports each matrix's pruned plain LoRA,
// recording its rank and how far its ΔW is from the gated adapter's.
import * as tf from "@tensorflow/tfjs";
import { lineChart } from "../../plot/specs";
import { AdapterBenchEntry, BenchExtras, BenchModelContext, BenchRunContext, withRunSeed } from "../benchmark";
import { SoraAdapter } from "./adapter";

/** The final proximal threshold ξ of the benchmark's SoRA variant. */
export const SORA_BENCH_XI = 5e-3;
/** Stages of the ξ schedule (the official script's lambda_num). */
export const SORA_BENCH_STAGES = 7;

export const soraId = (rMax: number): string => `SoRA r_max=${rMax}`;

function prepare(config: Record<string, unknown>, ctx: BenchRunContext): Record<string, unknown> {
  return { ...withRunSeed(config, ctx), totalSteps: ctx.steps };
}

/** Per-matrix gates, their history, and the exported LoRA's rank and ΔW error. */
export function soraExtras(ctx: BenchModelContext): BenchExtras {
  const ads = ctx.model.adapters.filter((a): a is SoraAdapter => a instanceof SoraAdapter);
  if (!ads.length) return {};
  const out: BenchExtras = {};
  let maxErr = 0,
    maxRel = 0;
  const ranks: number[] = [];
  ads.forEach((a, k) => {
    out[`soraGatesW${k + 1}`] = a.nonZeroGates();
    const lora = a.toLora();
    ranks.push(lora ? lora.r : 0);
    const [err, scale] = tf.tidy(() => {
      const d = a.deltaW();
      const e = lora ? lora.deltaW() : tf.zerosLike(d);
      return [tf.max(tf.abs(tf.sub(d, e))).dataSync()[0], tf.max(tf.abs(d)).dataSync()[0]];
    });
    lora?.dispose();
    maxErr = Math.max(maxErr, err);
    maxRel = Math.max(maxRel, scale > 0 ? err / scale : err);
  });
  out.soraMeanRank = ranks.reduce((s, v) => s + v, 0) / ranks.length;
  out.soraExportRanks = ranks.join("/");
  out.soraExportMaxErr = maxErr;
  out.soraExportRelErr = maxRel;
  // Gate counts over the schedule: [step, non-zero per matrix...] (every matrix records the same steps).
  const hist = ads[0].history.map(([step], i) => [step, ...ads.map((a) => a.history[i][1])]);
  out.soraHistory = JSON.stringify(hist);
  out.soraFinalXi = ads[0].currentXi;
  return out;
}

export const bench: AdapterBenchEntry = {
  method: "sora",
  color: "#e377c2",
  variants: (s) => [
    {
      id: soraId(2 * s.midRank),
      tier: "mid",
      config: { r: 2 * s.midRank, alpha: 4 * s.midRank, xi: SORA_BENCH_XI, stages: SORA_BENCH_STAGES, recordEvery: 20 },
      family: "lora",
    },
  ],
  prepareConfig: prepare,
  afterTrain: soraExtras,
  figures(records) {
    const rs = records.filter((r) => r.method === "sora" && typeof r.extra.soraHistory === "string");
    if (!rs.length) return [];
    const rows: Array<{ id: string; step: number; meanRank: number }> = [];
    for (const id of new Set(rs.map((r) => r.id))) {
      const hs = rs.filter((r) => r.id === id).map((r) => JSON.parse(String(r.extra.soraHistory)) as number[][]);
      hs[0].forEach((row, i) => {
        const perSeed = hs.map((h) => h[i].slice(1).reduce((s, v) => s + v, 0) / (h[i].length - 1));
        rows.push({ id, step: row[0], meanRank: perSeed.reduce((s, v) => s + v, 0) / perSeed.length });
      });
    }
    return [
      {
        name: "sora-sparsity",
        spec: lineChart(rows, {
          x: "step",
          y: "meanRank",
          color: "id",
          title: "SoRA: non-zero gates per matrix over the ξ schedule (mean over matrices and seeds)",
          xTitle: "step",
          yTitle: "surviving rank",
        }),
      },
    ];
  },
};
