// Figures of the instruction-dynamics analog: per-ability learning curves (mean over seeds) at
// both widths, and each ability's width gain against its data gain.
import { ABILITIES } from "../../data/abilities";
import { barChart, lineChart } from "../../plot/specs";
import { Figure } from "../types";
import { InstructionDynamicsConfig, InstructionDynamicsSeedRun } from "./run";

export function dynamicsFigures(runs: InstructionDynamicsSeedRun[], cfg: InstructionDynamicsConfig): Figure[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const curves = cfg.widths.flatMap((width) =>
    cfg.volumes.flatMap((volume) =>
      ABILITIES.map((a, t) => ({
        width: `width ${width}`,
        ability: a,
        volume,
        accuracy: mean(runs.map((r) => r.points.find((p) => p.width === width && p.volume === volume)?.acc[t] ?? 0)),
      })),
    ),
  );
  const [narrow, wide] = cfg.widths;
  const v = cfg.volumes[cfg.volumes.length - 2];
  const vNext = cfg.volumes[cfg.volumes.length - 1];
  const at = (r: InstructionDynamicsSeedRun, w: number, vol: number, t: number) =>
    r.points.find((p) => p.width === w && p.volume === vol)?.acc[t] ?? 0;
  const gains = ABILITIES.flatMap((a, t) => [
    { bar: `${a}: width ×4`, gain: mean(runs.map((r) => at(r, wide, v, t) - at(r, narrow, v, t))), kind: "width ×4" },
    {
      bar: `${a}: data ×4`,
      gain: mean(runs.map((r) => at(r, narrow, vNext, t) - at(r, narrow, v, t))),
      kind: "data ×4",
    },
  ]);
  return [
    {
      name: "instruction-dynamics-curves",
      spec: lineChart(curves, {
        x: "volume",
        y: "accuracy",
        color: "ability",
        facet: "width",
        logX: true,
        title: `Exact-match test accuracy per ability vs training examples per ability (mean over ${runs.length} seeds, ${cfg.steps} steps each)`,
        xTitle: "training examples per ability",
        yTitle: "exact-match accuracy",
      }),
    },
    {
      name: "instruction-dynamics-width-vs-data",
      spec: barChart(gains, {
        x: "bar",
        y: "gain",
        color: "kind",
        title: `Accuracy gain from ${narrow}→${wide} hidden units at ${v} per ability vs from ${v}→${vNext} per ability at width ${narrow}`,
        xTitle: "ability: change",
        yTitle: "accuracy gain (mean over seeds)",
      }),
    },
  ];
}
