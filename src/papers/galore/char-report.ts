// What the five low-rank papers share about their char-transformer part: the figures
// (training loss at matched steps, held-out loss against optimizer state or per method), the
// summary rows per method, and the pipeline-health sanity check.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart, scatterChart } from "../../plot/specs";
import { sanity } from "../checks";
import { Check, Figure } from "../types";
import { charMetric, charRunOf, CharResult } from "./char-harness";
import { meanCurves } from "./figures";

/**
 * `${prefix}-char-loss` (training loss at matched steps) and either `${prefix}-char-memory`
 * (held-out loss against optimizer-state floats, one point per seed: the optimizer papers) or
 * `${prefix}-char-test-loss` (held-out loss per method with its 95% interval: the parameterisations).
 */
export function charFigures(r: CharResult, prefix: string, second: "memory" | "bars"): Figure[] {
  const loss: Figure = {
    name: `${prefix}-char-loss`,
    spec: lineChart(meanCurves(r.runs), {
      x: "step",
      y: "loss",
      color: "method",
      title: "Char transformer from scratch: training loss at matched steps (mean over seeds)",
      yTitle: "cross-entropy (nats)",
    }),
  };
  if (second === "memory") {
    const pts = r.runs.map((x) => ({ method: x.method, stateFloats: x.stateFloats, loss: x.testLoss }));
    return [
      loss,
      {
        name: `${prefix}-char-memory`,
        spec: scatterChart(pts, {
          x: "stateFloats",
          y: "loss",
          color: "method",
          title: "Char transformer: held-out loss against optimizer-state size (one point per seed)",
          xTitle: "optimizer state (floats)",
          yTitle: "held-out cross-entropy (nats)",
        }),
      },
    ];
  }
  const methods = [...new Set(r.runs.map((x) => x.method))];
  const bars = methods.map((m) => {
    const iv = tInterval(charMetric(r, m, "testLoss"));
    return { method: m, loss: iv.mean, error: Number.isFinite(iv.hi) ? iv.hi - iv.mean : 0 };
  });
  return [
    loss,
    {
      name: `${prefix}-char-test-loss`,
      spec: barChart(bars, {
        x: "method",
        y: "loss",
        error: "error",
        title: "Char transformer: held-out loss at matched steps (mean and 95% interval over seeds)",
        yTitle: "held-out cross-entropy (nats)",
      }),
    },
  ];
}

/** Summary rows of the char part: sizes, and per method the selected lr, held-out loss/accuracy, state, parameters. */
export function charSummary(r: CharResult, out: Record<string, number | string>): void {
  out["char: seeds"] = new Set(r.runs.map((x) => x.seed)).size;
  out["char: transformer parameters"] = r.params;
  out["char: attention and MLP matrix parameters"] = r.blockParams;
  out["char: train characters"] = r.trainChars;
  out["char: validation characters"] = r.valChars;
  out["char: test characters"] = r.testChars;
  for (const s of r.selection) {
    const m = s.method;
    const run = charRunOf(r, m);
    out[`char ${m}: selected lr`] = s.best;
    out[`char ${m}: held-out loss (mean)`] = tInterval(charMetric(r, m, "testLoss")).mean;
    out[`char ${m}: held-out accuracy (mean)`] = tInterval(charMetric(r, m, "testAcc")).mean;
    out[`char ${m}: optimizer state (floats)`] = run.stateFloats;
    out[`char ${m}: trainable matrix parameters`] = run.blockParams;
  }
}

/** Sanity: every char run's training loss fell (first vs last logging window) and its held-out loss is finite. */
export function charLossFalls(r: CharResult): Check {
  const ok = r.runs.every(
    (x) => x.curve.length > 1 && x.curve[x.curve.length - 1].loss < x.curve[0].loss && Number.isFinite(x.testLoss),
  );
  return sanity(
    "Char transformer: training lowers the loss for every method and seed (first vs last logging window)",
    ok ? "all runs" : "some run did not",
    "last < first and a finite held-out loss for every run",
    ok,
    { seeds: new Set(r.runs.map((x) => x.seed)).size },
  );
}
