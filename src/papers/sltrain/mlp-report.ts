// What the SLTrain and SST reproductions report alike about their MLP part: the test-loss
// bars with intervals, the first seed's training curves, and the sanity check that the lr
// search bracketed every method's optimum. Typed by shape, since each has its own method list.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { sanity } from "../checks";
import { Selection } from "../protocol";
import { Check, Figure } from "../types";

/** The part of an SLTrain or SST result the shared report reads. */
export interface MlpRunsLike<M extends string> {
  selection: Record<M, Selection>;
  seeds: Array<{ seed: number; runs: Array<{ method: string; curve: Array<{ step: number; loss: number }> }> }>;
}

/** `${prefix}-test-loss` (mean and 95% interval per method) and `${prefix}-train-loss` (seed 0's curves). */
export function mlpFigures<M extends string>(
  r: MlpRunsLike<M>,
  methods: readonly M[],
  testLoss: (m: M) => number[],
  prefix: string,
): Figure[] {
  const s0 = r.seeds[0];
  const curves = s0.runs.flatMap((x) => x.curve.map((p) => ({ step: p.step, method: x.method, loss: p.loss })));
  const bars = methods.map((m) => {
    const iv = tInterval(testLoss(m));
    return { method: m, loss: iv.mean, error: Number.isFinite(iv.hi) ? iv.hi - iv.mean : 0 };
  });
  return [
    {
      name: `${prefix}-test-loss`,
      spec: barChart(bars, {
        x: "method",
        y: "loss",
        error: "error",
        title: "Test cross-entropy at matched steps (mean and 95% interval over seeds)",
        yTitle: "test loss (nats)",
      }),
    },
    {
      name: `${prefix}-train-loss`,
      spec: lineChart(curves, {
        x: "step",
        y: "loss",
        color: "method",
        title: `Training loss, seed ${s0.seed}, each method at its selected learning rate`,
        yTitle: "cross-entropy (nats)",
      }),
    },
  ];
}

/** Sanity: every method's selected lr lies strictly inside the grid it tried. */
export function lrInteriorCheck<M extends string>(selection: Record<M, Selection>, methods: readonly M[]): Check {
  const interior = methods.every((m) => {
    const t = selection[m].tried;
    return selection[m].best > Math.min(...t) && selection[m].best < Math.max(...t);
  });
  return sanity(
    "Each method's selected learning rate lies inside the tried grid (the search bracketed its optimum)",
    methods.map((m) => `${m}: ${selection[m].best}`).join("; "),
    "winner strictly between the smallest and largest value tried, for every method",
    interior,
  );
}
