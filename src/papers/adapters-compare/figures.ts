// Figures of the benchmark (and the series the per-paper views plot): seed-mean test-loss
// curves, accuracy against parameters and forgetting, ΔW spectra, intruder counts, and the
// figures the method entries contribute.
import { benchEntries, BenchRow } from "../../adapters";
import { mean } from "../../metrics/stats";
import { barChart, lineChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { RunRecord } from "./bench";
import { rowsOf } from "./checks";
import { AdaptersCompareResult } from "./run";
import { sweepFigure } from "./sweep";

type Point = Record<string, number | string>;

/** Seed-mean curves per variant (task-B loss and accuracy, task-A accuracy through head A). */
export function meanCurves(records: RunRecord[]): Point[] {
  const out: Point[] = [];
  for (const id of new Set(records.map((r) => r.id))) {
    const rs = records.filter((r) => r.id === id);
    rs[0].curve.forEach((p, i) =>
      out.push({
        id,
        tier: rs[0].tier,
        step: p.step,
        testLossB: mean(rs.map((r) => r.curve[i].testLossB)),
        testAccB: mean(rs.map((r) => r.curve[i].testAccB)),
        testAccA: mean(rs.map((r) => r.curve[i].testAccA)),
      }),
    );
  }
  return out;
}

/** Task-B test loss (mean over seeds) of these variants. */
export function lossFigure(
  name: string,
  records: RunRecord[],
  title = "Task-B test loss during fine-tuning (mean over seeds)",
): Figure {
  return {
    name,
    spec: lineChart(meanCurves(records), {
      x: "step",
      y: "testLossB",
      color: "id",
      logY: true,
      title,
      xTitle: "step",
      yTitle: "test loss (task B)",
    }),
  };
}

/** Final task-B accuracy against trainable parameters. */
export function accVsParamsFigure(name: string, rows: BenchRow[]): Figure {
  const pts = rows.map((r) => ({ id: r.id, params: r.params, accB: r.accB }));
  return {
    name,
    spec: scatterChart(pts, {
      x: "params",
      y: "accB",
      color: "id",
      logX: true,
      title: "Final task-B accuracy against trainable parameters",
      xTitle: "trainable parameters (log)",
      yTitle: "task-B accuracy",
    }),
  };
}

/** Final task-B accuracy per variant (mean ± sd over seeds). */
export function accuracyFigure(name: string, rows: BenchRow[]): Figure {
  const bars = rows.map((r) => ({ id: r.id as string, accB: r.accB as number, sd: r.accBsd as number }));
  return {
    name,
    spec: barChart(bars, {
      x: "id",
      y: "accB",
      error: "sd",
      title: "Final task-B accuracy (mean ± sd over seeds)",
      xTitle: "method",
      yTitle: "task-B accuracy",
    }),
  };
}

/** Forgetting of task A per variant. */
export function forgettingFigure(name: string, rows: BenchRow[]): Figure {
  const bars = rows.map((r) => ({ id: r.id as string, forgetting: r.forgetting as number }));
  return {
    name,
    spec: barChart(bars, {
      x: "id",
      y: "forgetting",
      title: "Forgetting of task A (base acc − acc after fine-tuning, head A)",
      xTitle: "method",
      yTitle: "task-A accuracy lost",
    }),
  };
}

export function compareFigures(r: AdaptersCompareResult): Figure[] {
  const rows = rowsOf(r);
  const { records } = r;
  const midIds = new Set(rows.filter((x) => x.tier === "mid" || x.tier === "ref").map((x) => x.id));
  const tinyIds = new Set(rows.filter((x) => x.tier === "tiny" || x.tier === "ref").map((x) => x.id));
  const first = (id: string) => records.find((q) => q.id === id) as RunRecord;
  const spectra = rows.flatMap((row) =>
    first(row.id as string)
      .layers.flatMap((l) => l.sigma.map((sigma, i) => ({ id: row.id, layer: `Δ${l.layer}`, index: i + 1, sigma })))
      .filter((x) => x.sigma > 0),
  );
  const intruders = rows.flatMap((row) =>
    r.settings.epsilons.map((e) => ({ id: row.id, epsilon: e, intruders: row[`intruders@${e}`] as number })),
  );
  const tradeoff = rows.map((x) => ({ id: x.id, forgetting: x.forgetting, accB: x.accB }));
  const figs: Figure[] = [
    lossFigure(
      "adapters-compare-loss-mid",
      records.filter((q) => midIds.has(q.id)),
      "Task-B test loss, full FT and mid-tier adapters (mean over seeds)",
    ),
    lossFigure(
      "adapters-compare-loss-tiny",
      records.filter((q) => tinyIds.has(q.id)),
      "Task-B test loss, full FT and tiny-tier adapters (mean over seeds)",
    ),
    accVsParamsFigure("adapters-compare-acc-vs-params", rows),
    {
      name: "adapters-compare-forgetting",
      spec: scatterChart(tradeoff, {
        x: "forgetting",
        y: "accB",
        color: "id",
        title: "Task-B accuracy against forgetting of task A",
        xTitle: "task-A accuracy lost",
        yTitle: "task-B accuracy",
      }),
    },
    {
      name: "adapters-compare-delta-spectra",
      spec: lineChart(spectra, {
        x: "index",
        y: "sigma",
        color: "id",
        facet: "layer",
        logY: true,
        title: "Singular values of ΔW (first seed)",
        xTitle: "index (descending)",
        yTitle: "σ(ΔW)",
      }),
    },
    {
      name: "adapters-compare-intruders",
      spec: lineChart(intruders, {
        x: "epsilon",
        y: "intruders",
        color: "id",
        title: "Intruder dimensions (k = 10, both hidden matrices, mean over seeds)",
        xTitle: "ε",
        yTitle: "intruder count",
      }),
    },
  ];
  figs.push(...sweepFigure("adapters-compare-rank-sweep", records, r.settings));
  for (const e of benchEntries())
    for (const f of e.figures?.(records.filter((q) => q.method === e.method)) ?? [])
      figs.push({ name: f.name, spec: f.spec });
  return figs;
}
