// The rank-allocation figure shared by AdaLoRA's and IncreLoRA's benchmark entries and paper
// views: each run's final rank per adapted matrix (bars per seed, coloured by matrix), read
// from the "W1/W2/…" string the entry stores in record.extra.
import { barChart, VegaLiteSpec } from "../../plot/specs";
import type { RunRecord } from "../benchmark";

/** Final ranks per matrix of one run, parsed from extra[key] ("5/3" → [5, 3]); [] when absent. */
export function ranksOf(r: Pick<RunRecord, "extra">, key: string): number[] {
  const v = r.extra[key];
  if (typeof v !== "string" || !v) return [];
  return v.split("/").map(Number);
}

/** Bars of the final rank per matrix and seed for the records of one variant. */
export function rankAllocationSpec(records: RunRecord[], key: string, title: string): VegaLiteSpec {
  const rows = records
    .slice()
    .sort((a, b) => a.seed - b.seed)
    .flatMap((r) =>
      ranksOf(r, key).map((rank, l) => ({ run: `seed ${r.seed} · W${l + 1}`, matrix: `W${l + 1}`, rank })),
    );
  return barChart(rows, { x: "run", y: "rank", color: "matrix", title, xTitle: "seed · matrix", yTitle: "final rank" });
}
