// Figures: intruder count against ε, forgetting against intruders, the spectra of the merged
// hidden matrices and of the update ΔW, and the scaling intervention. One fixed colour per
// method (the shared theme gives every "LoRA …" series the same colour, so this sets its own).
import { lineChart, scatterChart, VegaLiteSpec } from "../../plot/specs";
import { Figure } from "../types";
import { LoraVsFullFtConfig, LoraVsFullFtResult } from "./run";

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
  const palette: Record<string, string> = { base: "#bab0ac" };
  r.results.forEach((x, i) => {
    palette[x.method as string] = PALETTE[i % PALETTE.length];
  });
  const c = (spec: VegaLiteSpec) => recolor(spec, palette);
  const pts = r.results.map((x) => ({
    method: x.method,
    intruders: x.intrudersAtScaleEps as number,
    forgetting: x.forgetting as number,
  }));
  const sc = [
    ...r.results.map((x) => ({
      method: x.method as string,
      lambda: 1,
      accA: x.accA as number,
      accB: x.accB as number,
    })),
    ...r.scaling.map((x) => ({
      method: x.method as string,
      lambda: x.lambda as number,
      accA: x.accA as number,
      accB: x.accB as number,
    })),
  ].sort((a, b) => a.lambda - b.lambda);
  const scLong = sc.flatMap((x) => [
    { method: x.method, lambda: x.lambda, task: "task A (head A)", accuracy: x.accA },
    { method: x.method, lambda: x.lambda, task: "task B (head B)", accuracy: x.accB },
  ]);
  const figs: Figure[] = [
    {
      name: "lora-vs-full-ft-intruders",
      spec: c(
        lineChart(r.curve, {
          x: "epsilon",
          y: "intruders",
          color: "method",
          title: `Intruder dimensions (k = ${cfg.k}, both hidden matrices)`,
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
          title: `Forgetting of task A vs intruders at ε = ${cfg.scaleEpsilon}`,
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
          title: `Accuracy after scaling the intruders (ε = ${cfg.scaleEpsilon}) by λ; λ = 1 is the fine-tuned model`,
          xTitle: "λ (scale on the intruders' singular values)",
          yTitle: "test accuracy",
        }),
      ),
    },
    {
      name: "lora-vs-full-ft-spectra",
      spec: c(
        lineChart(r.spectra, {
          x: "index",
          y: "sigma",
          color: "method",
          facet: "layer",
          logY: true,
          title: "Singular values of the hidden matrices (base and fine-tuned)",
          xTitle: "index (descending)",
          yTitle: "σ",
        }),
      ),
    },
  ];
  if (r.deltaSpectra.length) {
    figs.push({
      name: "lora-vs-full-ft-delta-spectra",
      spec: c(
        scatterChart(r.deltaSpectra, {
          x: "index",
          y: "sigma",
          color: "method",
          facet: "layer",
          logY: true,
          title: "Singular values of the update ΔW (values under 1e-4·σ₁ left out)",
          xTitle: "index (descending)",
          yTitle: "σ(ΔW)",
        }),
      ),
    });
  }
  return figs;
}
