// Figures: accuracy and the NLM cosine of the method comparison for every seed; for the first
// seed softmax collapse, the precision study (SC per emulated float format and the onset against
// significand bits) and the median logit gap; the long runs of every seed.
import { lineChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { COMPARISON, GrokkingConfig, GrokkingResult, Row } from "./run";

export function grokkingFigures(r: GrokkingResult, cfg: GrokkingConfig): Figure[] {
  const h = Object.values(r.runs).flat();
  const ep = (x: Record<string, number | string>) => x.epoch as number;
  // The method comparison of every seed (what the checks' intervals pool), one panel per seed × method.
  const comp: Array<{ run: string; seed: string; x: Row }> = r.comparison.flatMap((c) =>
    COMPARISON.flatMap((m) => c.runs[m].map((x) => ({ run: `seed ${c.seed} · ${m}`, seed: `seed ${c.seed}`, x }))),
  );
  const acc = comp.flatMap(({ run, x }) => [
    { run, epoch: ep(x), split: "train", accuracy: x.trainAcc as number },
    { run, epoch: ep(x), split: "test", accuracy: x.testAcc as number },
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
        facet: "run",
        title: "Accuracy on modular addition, method comparison (every seed)",
        yTitle: "accuracy",
      }),
    },
    {
      name: "grokking-collapse",
      spec: lineChart(sc, {
        x: "epoch",
        y: "fraction",
        color: "method",
        title: `Softmax collapse: train samples with Σ exp(z − max) = 1 (float32; StableMax: its own normaliser), seed ${cfg.seeds[0]}`,
        yTitle: "SC fraction",
      }),
    },
    {
      name: "grokking-nlm-cosine",
      spec: lineChart(
        comp.map(({ seed, x }) => ({ method: x.method, seed, epoch: ep(x), cosine: x.cosine as number })),
        {
          x: "epoch",
          y: "cosine",
          color: "method",
          facet: "seed",
          title: "Naive loss minimisation: cos(−∇L, θ), method comparison (every seed)",
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
  if (r.long.length > 0) {
    const mech = r.long.flatMap((x) =>
      x.softmax.flatMap((y) => [
        {
          seed: `seed ${x.seed}`,
          epoch: ep(y),
          series: "SC (float32 emulation)",
          fraction: y.softmaxCollapse as number,
        },
        {
          seed: `seed ${x.seed}`,
          epoch: ep(y),
          series: "zero gradient (tf backward)",
          fraction: y.zeroGradTarget as number,
        },
      ]),
    );
    figs.push({
      name: "grokking-mechanism",
      spec: lineChart(mech, {
        x: "epoch",
        y: "fraction",
        color: "series",
        facet: "seed",
        title: "Long log-softmax runs: samples with an exactly zero correct-class gradient vs softmax collapse",
        yTitle: "fraction of train samples",
      }),
    });
    const loss = r.long.flatMap((x) =>
      (["softmax", "log1p"] as const).flatMap((k) =>
        x[k].map((y) => ({
          seed: `seed ${x.seed}`,
          epoch: ep(y),
          loss: k === "softmax" ? "log-softmax CE (float32)" : "log1p CE (float64)",
          value: Math.max(y.loss64 as number, 1e-30),
        })),
      ),
    );
    figs.push({
      name: "grokking-stall",
      spec: lineChart(loss, {
        x: "epoch",
        y: "value",
        color: "loss",
        facet: "seed",
        logY: true,
        title: "Float64 train loss of the long runs: log-softmax stalls under collapse, log1p does not",
        yTitle: "train loss, float64 log1p form (log scale)",
      }),
    });
  }
  figs.push({
    name: "grokking-gap",
    spec: lineChart(
      h.map((x) => ({ method: x.method, epoch: ep(x), gap: x.medianGap as number })),
      {
        x: "epoch",
        y: "gap",
        color: "method",
        title: `Median train logit gap, seed ${cfg.seeds[0]}`,
        yTitle: "z_y − max_{j≠y} z_j",
      },
    ),
  });
  return figs;
}
