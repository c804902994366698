// Figures: the forgetting–accuracy plane of every swept model, intruder count against ε,
// forgetting against intruders, the spectra of the merged
// hidden matrices and of the update ΔW, and the scaling intervention. One fixed colour per
// method (the shared theme gives every "LoRA …" series the same colour, so this sets its own).
import { lineChart, scatterChart, VegaLiteSpec } from "../../plot/specs";
import { Figure } from "../types";
import { FtPoint, LoraSeedRun, LoraVsFullFtConfig, LoraVsFullFtResult } from "./run";

const PALETTE = ["#4c4c4c", "#f58518", "#e45756", "#b279a2", "#4c78a8", "#54a24b", "#72b7b2", "#eeca3b"];

/** Replaces the colour range of every colour scale in a spec by the method palette. */
function recolor(spec: VegaLiteSpec, palette: Record<string, string>): VegaLiteSpec {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as { color?: { scale?: { domain?: unknown; range?: unknown } } };
      if (o.color?.scale && Array.isArray(o.color.scale.domain))
        o.color.scale.range = (o.color.scale.domain as string[]).map((d) => palette[d] ?? "#999999");
      Object.values(v).forEach(walk);
    }
  };
  walk(spec);
  return spec;
}

export function loraFigures(r: LoraVsFullFtResult, cfg: LoraVsFullFtConfig): Figure[] {
  const first = r.runs[0];
  const seedNote = r.runs.length > 1 ? ` (seed ${first.seed})` : "";
  const methods = [...new Set(r.runs.flatMap((x) => x.points.map((p) => p.method)))];
  const palette: Record<string, string> = { base: "#bab0ac" };
  methods.forEach((m, i) => {
    palette[m] = PALETTE[i % PALETTE.length];
  });
  const c = (spec: VegaLiteSpec) => recolor(spec, palette);
  // Every swept model of every seed on the forgetting–accuracy plane (test numbers).
  const frontier = r.runs.flatMap((x) =>
    x.points.map((p) => ({ method: p.method, accB: p.accB, forgetting: p.forgetting, lr: p.lr, seed: x.seed })),
  );
  // Intruder curves of the matched models and the rank runs, averaged over seeds.
  const curveOf = (label: string, get: (x: LoraSeedRun) => FtPoint) =>
    cfg.epsilons.map((eps, i) => ({
      method: label,
      epsilon: eps,
      intruders: r.runs.reduce((s, x) => s + get(x).intruders[i], 0) / r.runs.length,
    }));
  const rankMethods = [...new Set(first.points.filter((p) => p.group === "rank").map((p) => p.method))];
  const curve = [
    ...curveOf("full FT (matched)", (x) => x.points[x.matched.full]),
    ...curveOf(`${first.points[first.matched.lora1].method} (matched)`, (x) => x.points[x.matched.lora1]),
    ...curveOf(`${first.points[first.lora1Best].method} (best lr)`, (x) => x.points[x.lora1Best]),
    ...rankMethods.flatMap((m) => curveOf(m, (x) => x.points.find((p) => p.method === m)!)),
  ];
  palette["full FT (matched)"] = palette["full FT"];
  palette[`${first.points[first.matched.lora1].method} (matched)`] = palette[first.points[first.matched.lora1].method];
  palette[`${first.points[first.lora1Best].method} (best lr)`] = "#9d755d";
  const e = cfg.epsilons.indexOf(cfg.scaleEpsilon);
  const pts = r.runs.flatMap((x) =>
    x.points.map((p) => ({ method: p.method, intruders: p.intruders[e], forgetting: p.forgetting })),
  );
  const sc = [
    ...first.scaling.map((x) => ({
      method: x.method as string,
      lambda: 1,
      accA: x.accAUnscaled as number,
      accB: x.accBUnscaled as number,
    })),
    ...first.scaling.map((x) => ({
      method: x.method as string,
      lambda: x.lambda as number,
      accA: x.accA as number,
      accB: x.accB as number,
    })),
  ]
    .filter((x, i, all) => all.findIndex((y) => y.method === x.method && y.lambda === x.lambda) === i)
    .sort((a, b) => a.lambda - b.lambda);
  const scLong = sc.flatMap((x) => [
    { method: x.method, lambda: x.lambda, task: "task A (head A)", accuracy: x.accA },
    { method: x.method, lambda: x.lambda, task: "task B (head B)", accuracy: x.accB },
  ]);
  const figs: Figure[] = [
    {
      name: "lora-vs-full-ft-frontier",
      spec: c(
        scatterChart(frontier, {
          x: "accB",
          y: "forgetting",
          color: "method",
          title: "Forgetting–accuracy plane: every swept learning rate, every seed (test numbers)",
          xTitle: "task-B test accuracy",
          yTitle: "task-A accuracy lost",
        }),
      ),
    },
    {
      name: "lora-vs-full-ft-intruders",
      spec: c(
        lineChart(curve, {
          x: "epsilon",
          y: "intruders",
          color: "method",
          title: `Intruder dimensions (k = ${cfg.k}, both hidden matrices; mean over ${r.runs.length} seeds)`,
          xTitle: "ε (max |cos| threshold)",
          yTitle: "intruder count",
        }),
      ),
    },
    {
      name: "lora-vs-full-ft-forgetting",
      spec: c(
        scatterChart(pts, {
          x: "intruders",
          y: "forgetting",
          color: "method",
          title: `Forgetting of task A vs intruders at ε = ${cfg.scaleEpsilon} (every run, every seed)`,
          xTitle: "intruder count",
          yTitle: "task-A accuracy lost",
        }),
      ),
    },
    {
      name: "lora-vs-full-ft-scaling",
      spec: c(
        lineChart(scLong, {
          x: "lambda",
          y: "accuracy",
          color: "method",
          facet: "task",
          title: `Accuracy after scaling the intruders (ε = ${cfg.scaleEpsilon}) by λ; λ = 1 is the fine-tuned model${seedNote}`,
          xTitle: "λ (scale on the intruders' singular values)",
          yTitle: "test accuracy",
        }),
      ),
    },
    {
      name: "lora-vs-full-ft-spectra",
      spec: c(
        lineChart(first.spectra, {
          x: "index",
          y: "sigma",
          color: "method",
          facet: "layer",
          logY: true,
          title: `Singular values of the hidden matrices (base, matched and rank runs)${seedNote}`,
          xTitle: "index (descending)",
          yTitle: "σ",
        }),
      ),
    },
  ];
  if (first.deltaSpectra.length) {
    figs.push({
      name: "lora-vs-full-ft-delta-spectra",
      spec: c(
        scatterChart(first.deltaSpectra, {
          x: "index",
          y: "sigma",
          color: "method",
          facet: "layer",
          logY: true,
          title: `Singular values of the update ΔW (values under 1e-4·σ₁ left out)${seedNote}`,
          xTitle: "index (descending)",
          yTitle: "σ(ΔW)",
        }),
      ),
    });
  }
  return figs;
}
