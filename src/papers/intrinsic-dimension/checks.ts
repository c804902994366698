// Checks and the accuracy-vs-d figure of the intrinsic-dimension view. d90 is read on the
// sweep's grid (no interpolation): the smallest swept d whose 95% interval of the per-seed
// paired difference acc_B(d) − 0.9·acc_B(full FT) lies above 0, so "reaches 90% of full FT"
// is decided by the interval over seeds, not by one mean crossing a line.
import {
  INTRINSIC_DENSE_D,
  INTRINSIC_SWEEP_D,
  intrinsicDenseId,
  intrinsicMidId,
  intrinsicSweepId,
  intrinsicTinyId,
} from "../../adapters/intrinsic";
import { Interval, pairedDifference } from "../../metrics/intervals";
import { mean } from "../../metrics/stats";
import { lineChart, VegaLiteSpec } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { fmt, hasVariant, paired, runsOf } from "../adapters-compare/compare";
import { RunRecord } from "../adapters-compare/bench";
import { ViewResult } from "../adapters-compare/view";
import { Check, Figure } from "../types";

/** Adapted weights of the benchmark's MLP: 784×256 + 256×256 (the hidden matrices). */
export const ADAPTED_WEIGHTS = 784 * 256 + 256 * 256;
/** The d90 rule's bound, fixed before any run: d90 ≤ 1% of the adapted weights. */
export const D90_FRACTION = 0.01;
/** Fraction of full FT's accuracy that defines d90 (Li et al.). */
export const D90_LEVEL = 0.9;
/** Non-inferiority margin of Fastfood against the dense projection (task-B accuracy). */
export const DENSE_MARGIN = 0.02;

export const FIGURE = "intrinsic-dimension-acc-vs-d";

/** Variant ids the view reads on the MLP base. */
export function intrinsicViewIds(midRank: number): string[] {
  return [
    "full FT",
    `LoRA r=${midRank}`,
    intrinsicMidId,
    intrinsicTinyId,
    ...INTRINSIC_SWEEP_D.map(intrinsicSweepId),
    intrinsicDenseId(INTRINSIC_DENSE_D),
  ];
}

/** Per-seed paired interval of acc_B(id) − level·acc_B(full FT). */
export function toLevel(records: RunRecord[], id: string, level = D90_LEVEL): Interval {
  const ra = runsOf(records, id);
  const rf = runsOf(records, "full FT");
  const seeds = ra.map((r) => r.seed).filter((s) => rf.some((x) => x.seed === s));
  const a = seeds.map((s) => ra.find((r) => r.seed === s)!.accB);
  const b = seeds.map((s) => level * rf.find((r) => r.seed === s)!.accB);
  return pairedDifference(a, b);
}

/** d90 on the sweep grid (smallest d whose interval of acc − 0.9·full lies above 0), or null. */
export function d90(records: RunRecord[]): number | null {
  for (const d of INTRINSIC_SWEEP_D) if (above(toLevel(records, intrinsicSweepId(d)), 0)) return d;
  return null;
}

/** The trainable count in a variant id ("Intrinsic d=6208", "... d=64 (sweep)"). */
const dOf = (id: string): number => Number(/d=(\d+)/.exec(id)![1]);

export function intrinsicChecks(r: ViewResult): Check[] {
  const recs = r.records;
  // The char base runs only the variants its preset lists (none of these): nothing to check there.
  if (!hasVariant(recs, intrinsicSweepId(INTRINSIC_SWEEP_D[0]))) return [];
  const bound = D90_FRACTION * ADAPTED_WEIGHTS;
  const d = d90(recs);
  const dMin = INTRINSIC_SWEEP_D[0];
  const dMax = INTRINSIC_SWEEP_D[INTRINSIC_SWEEP_D.length - 1];
  const rising = paired(recs, intrinsicSweepId(dMax), intrinsicSweepId(dMin), (x) => x.accB);
  const ffDense = paired(recs, intrinsicSweepId(INTRINSIC_DENSE_D), intrinsicDenseId(INTRINSIC_DENSE_D), (x) => x.accB);
  const intrinsicRuns = recs.filter((x) => x.method === "intrinsic");
  const wrongCount = intrinsicRuns.filter((x) => x.params !== dOf(x.id)).length;
  const lambdaMoves = runsOf(recs, intrinsicMidId).flatMap((x) =>
    (JSON.parse(String(x.extra.saidLambdas)) as number[]).map((l) => Math.abs(l - 1)),
  );
  return [
    evidence(
      `A random ${D90_LEVEL * 100}%-solution subspace is small: d90 (the smallest swept d whose task-B accuracy reaches ${D90_LEVEL * 100}% of full FT's, decided per seed) is at most ${D90_FRACTION * 100}% of the ${ADAPTED_WEIGHTS.toLocaleString("en-US")} adapted weights`,
      d ?? "none on the grid",
      `d90 exists on the sweep grid {${INTRINSIC_SWEEP_D.join(", ")}} (95% interval of the paired difference acc_B(d) − ${D90_LEVEL}·acc_B(full FT) above 0) and d90 ≤ ${fmt(bound)}`,
      d !== null && d <= bound,
      { seeds: rising.n, figure: FIGURE },
    ),
    evidence(
      `Accuracy rises with the subspace dimension: d = ${dMax} ends above d = ${dMin} (same projection family, same lr)`,
      rising,
      `95% interval of the paired difference acc_B(d=${dMax}) − acc_B(d=${dMin}) above 0`,
      above(rising, 0),
      { figure: FIGURE },
    ),
    evidence(
      `Fastfood is no worse than a dense Gaussian projection at equal d = ${INTRINSIC_DENSE_D} (Li et al. use it as a cheap stand-in)`,
      ffDense,
      `95% interval of the paired difference acc_B(Fastfood) − acc_B(dense) above −${DENSE_MARGIN}`,
      above(ffDense, -DENSE_MARGIN),
      { figure: FIGURE },
    ),
    sanity(
      "Every intrinsic run trains exactly its budget d: one shared θ_d plus one SAID scalar per adapted matrix (runs whose count differs)",
      wrongCount,
      "0",
      wrongCount === 0,
      { seeds: r.settings.seeds.length },
    ),
    sanity(
      `SAID's per-matrix scalars train (mean |λ − 1| after training at d = ${dOf(intrinsicMidId)})`,
      mean(lambdaMoves),
      "above 0",
      mean(lambdaMoves) > 0,
      { seeds: r.settings.seeds.length },
    ),
  ];
}

type Row = Record<string, number | string>;

/** Seed-mean task-B accuracy per intrinsic variant against d. */
export function accRows(records: RunRecord[]): Row[] {
  const series = (id: string): string =>
    id.includes("dense") ? "dense, sweep lr" : id.includes("(sweep)") ? "Fastfood, sweep lr" : "Fastfood, own lr";
  return [...new Set(records.filter((x) => x.method === "intrinsic").map((x) => x.id))]
    .map((id) => ({ d: dOf(id), accB: mean(runsOf(records, id).map((x) => x.accB)), series: series(id) }))
    .sort((a, b) => a.d - b.d);
}

/** Accuracy vs d (log axis) with full FT's accuracy, the 90% line and d90 marked. */
export function accVsDFigure(r: ViewResult): Figure[] {
  const recs = r.records;
  if (!hasVariant(recs, intrinsicSweepId(INTRINSIC_SWEEP_D[0]))) return [];
  const full = mean(runsOf(recs, "full FT").map((x) => x.accB));
  const d = d90(recs);
  const points = lineChart(accRows(recs), {
    x: "d",
    y: "accB",
    color: "series",
    logX: true,
    xTitle: "trainable parameters d (θ_d + SAID scalars, log scale)",
    yTitle: "test accuracy (task B), mean over seeds",
  });
  const { $schema, config, data, mark, encoding } = points as VegaLiteSpec & Record<string, unknown>;
  const enc = encoding as { x: Record<string, unknown> };
  const xDomain = [INTRINSIC_SWEEP_D[0] / 1.5, INTRINSIC_SWEEP_D[INTRINSIC_SWEEP_D.length - 1] * 1.5];
  const lines = [
    { accB: full, label: "full FT" },
    { accB: D90_LEVEL * full, label: `${D90_LEVEL * 100}% of full FT` },
  ];
  const layer: VegaLiteSpec[] = [
    // A log axis over the swept range only (vega's nice log domain would add empty decades).
    { data, mark, encoding: { ...enc, x: { ...enc.x, scale: { type: "log", domain: xDomain, nice: false } } } },
    {
      data: { values: lines },
      mark: { type: "rule", strokeDash: [4, 3], color: "#555555" },
      encoding: { y: { field: "accB", type: "quantitative" } },
    },
    {
      data: { values: lines },
      mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#555555" },
      encoding: {
        y: { field: "accB", type: "quantitative" },
        x: { datum: INTRINSIC_SWEEP_D[0] },
        text: { field: "label" },
      },
    },
  ];
  if (d !== null) {
    const mark90 = [{ d, label: `d90 = ${d}` }];
    layer.push(
      {
        data: { values: mark90 },
        mark: { type: "rule", color: "#d62728" },
        encoding: { x: { field: "d", type: "quantitative" } },
      },
      {
        data: { values: mark90 },
        mark: { type: "text", align: "left", dx: 4, dy: 12, color: "#d62728" },
        encoding: { x: { field: "d", type: "quantitative" }, y: { datum: D90_LEVEL * full }, text: { field: "label" } },
      },
    );
  }
  return [
    {
      name: FIGURE,
      spec: {
        $schema,
        config,
        title: `Intrinsic dimension: task-B accuracy vs d (d90 on the sweep grid${d === null ? ": not reached" : ""})`,
        width: 460,
        height: 280,
        layer,
      },
    },
  ];
}
