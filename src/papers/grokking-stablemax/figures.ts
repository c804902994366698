// Figures: accuracy per method, softmax collapse, the NLM cosine, the precision study (SC per
// emulated float format and the onset against significand bits) and the median logit gap.
import { lineChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { GrokkingConfig, GrokkingResult } from "./run";

export function grokkingFigures(r: GrokkingResult, cfg: GrokkingConfig): Figure[] {
  const h = Object.values(r.runs).flat();
  const ep = (x: Record<string, number | string>) => x.epoch as number;
  const acc = h.flatMap((x) => [
    { method: x.method, epoch: ep(x), split: "train", accuracy: x.trainAcc as number },
    { method: x.method, epoch: ep(x), split: "test", accuracy: x.testAcc as number },
  ]);
  const sc = h
    .map((x) => ({ method: x.method, epoch: ep(x), fraction: x.collapse as number }))
    .concat(
      r.runs.StableMax.map((x) => ({
        method: "StableMax-run logits under softmax",
        epoch: ep(x),
        fraction: x.softmaxCollapse as number,
      })),
    );
  const fmtName = (x: Record<string, number | string>) => `${x.bits} bits (${x.precision})`;
  const figs: Figure[] = [
    {
      name: "grokking-accuracy",
      spec: lineChart(acc, {
        x: "epoch",
        y: "accuracy",
        color: "split",
        facet: "method",
        title: "Accuracy on modular addition",
        yTitle: "accuracy",
      }),
    },
    {
      name: "grokking-collapse",
      spec: lineChart(sc, {
        x: "epoch",
        y: "fraction",
        color: "method",
        title: "Softmax collapse: train samples with Σ exp(z − max) = 1 (float32; StableMax: its own normaliser)",
        yTitle: "SC fraction",
      }),
    },
    {
      name: "grokking-nlm-cosine",
      spec: lineChart(
        h.map((x) => ({ method: x.method, epoch: ep(x), cosine: x.cosine as number })),
        {
          x: "epoch",
          y: "cosine",
          color: "method",
          title: "Naive loss minimisation: cos(−∇L, θ)",
          yTitle: "cos(−∇L, θ)",
        },
      ),
    },
    {
      name: "grokking-precision",
      spec: lineChart(
        r.precision.map((x) => ({ format: fmtName(x), epoch: ep(x), collapse: x.collapse as number })),
        {
          x: "epoch",
          y: "collapse",
          color: "format",
          title: `SC fraction per float format (${r.precisionRun} run)`,
          yTitle: "SC fraction",
        },
      ),
    },
  ];
  const reached = r.onsets.filter((o) => Number.isFinite(o.onsetEpoch as number));
  if (reached.length > 0) {
    figs.push({
      name: "grokking-onset",
      spec: scatterChart(
        reached.map((o) => ({ format: fmtName(o), bits: o.bits as number, onsetEpoch: o.onsetEpoch as number })),
        {
          x: "bits",
          y: "onsetEpoch",
          color: "format",
          title: "Collapse onset against precision",
          xTitle: "significand bits",
          yTitle: `first epoch with SC ≥ ${cfg.onsetFraction}`,
        },
      ),
    });
  }
  figs.push({
    name: "grokking-gap",
    spec: lineChart(
      h.map((x) => ({ method: x.method, epoch: ep(x), gap: x.medianGap as number })),
      { x: "epoch", y: "gap", color: "method", title: "Median train logit gap", yTitle: "z_y − max_{j≠y} z_j" },
    ),
  });
  return figs;
}
