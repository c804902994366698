// DyLoRA in the shared benchmark: r_max = midRank (the mid budget, every rank b ≤ r_max from
// one run), α = 2·r_max as LoRA's mid variant (so s = 2 at b = r_max), LoRA's lr family. The
// mid variant is the official GLUE script's "frozen" mode; an ablation trains every active
// component at each step. After training it measures task-B accuracy on the validation split
// and on the test set at every inference rank b = 1..r_max of the same trained adapters.
import { mean } from "../../metrics/stats";
import { lineChart } from "../../plot/specs";
import { AdapterBenchEntry, BenchExtras, BenchModelContext, RunRecord, withRunSeed } from "../benchmark";
import { DyLoraAdapter } from "./adapter";

/** Extra keys of the per-rank accuracies (b = 1..r_max). */
export const dyloraAccKey = (split: "test" | "val", b: number): string =>
  split === "test" ? `dyloraTestAccB${b}` : `dyloraValAccB${b}`;

/** Mid-tier and ablation variant ids at r_max. */
export const dyloraIds = (rMax: number): { frozen: string; unfrozen: string } => ({
  frozen: `DyLoRA r_max=${rMax}`,
  unfrozen: `DyLoRA r_max=${rMax} unfrozen`,
});

/** Task-B validation and test accuracy at every inference rank; the rank is back at r_max afterwards. */
export function accuracyPerRank(ctx: BenchModelContext): BenchExtras {
  const ads = ctx.model.adapters.filter((a): a is DyLoraAdapter => a instanceof DyLoraAdapter);
  if (!ads.length) return {};
  const rMax = ads[0].r;
  const out: BenchExtras = {};
  try {
    for (let b = 1; b <= rMax; b++) {
      ads.forEach((a) => a.setRank(b));
      out[dyloraAccKey("val", b)] = ctx.evaluate("val").acc;
      out[dyloraAccKey("test", b)] = ctx.evaluate("test").acc;
    }
  } finally {
    ads.forEach((a) => a.setRank(a.r));
  }
  return out;
}

/** Seed-mean test accuracy per inference rank for each DyLoRA variant in the records. */
export function rankCurveRows(records: RunRecord[]): Array<{ id: string; b: number; testAccB: number }> {
  const rows: Array<{ id: string; b: number; testAccB: number }> = [];
  for (const id of new Set(records.filter((r) => r.method === "dylora").map((r) => r.id))) {
    const rs = records.filter((r) => r.id === id);
    for (let b = 1; rs.every((r) => typeof r.extra[dyloraAccKey("test", b)] === "number"); b++)
      rows.push({ id, b, testAccB: mean(rs.map((r) => Number(r.extra[dyloraAccKey("test", b)]))) });
  }
  return rows;
}

export const bench: AdapterBenchEntry = {
  method: "dylora",
  color: "#9467bd",
  variants: (s) => {
    const ids = dyloraIds(s.midRank);
    const config = { r: s.midRank, alpha: 2 * s.midRank };
    return [
      { id: ids.frozen, tier: "mid", config: { ...config, frozen: true }, family: "lora" },
      { id: ids.unfrozen, tier: "ablation", config: { ...config, frozen: false }, family: "lora" },
    ];
  },
  prepareConfig: withRunSeed,
  afterTrain: accuracyPerRank,
  figures(records) {
    const rows = rankCurveRows(records);
    if (!rows.length) return [];
    return [
      {
        name: "dylora-ranks",
        spec: lineChart(rows, {
          x: "b",
          y: "testAccB",
          color: "id",
          title: "DyLoRA: task-B test accuracy at each inference rank b of one trained run (mean over seeds)",
          xTitle: "inference rank b",
          yTitle: "test accuracy (task B)",
        }),
      },
    ];
  },
};
