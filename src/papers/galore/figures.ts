// Figures shared by the low-rank optimizer papers: loss at matched steps, test accuracy
// against optimizer-state size, and the validation selection of each method's learning rate.
import { lineChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { LowrankResult } from "./experiment";

/** Mean training-loss curve per method over seeds (the low-rank papers' runs, MLP or char). */
export function meanCurves(
  all: Array<{ method: string; curve: Array<{ step: number; loss: number }> }>,
): Array<{ step: number; method: string; loss: number }> {
  const methods = [...new Set(all.map((x) => x.method))];
  const steps = [...new Set(all.flatMap((x) => x.curve.map((c) => c.step)))].sort((a, b) => a - b);
  return methods.flatMap((m) => {
    const runs = all.filter((x) => x.method === m);
    return steps.map((step) => {
      const ys = runs.map((x) => x.curve.find((c) => c.step === step)?.loss ?? NaN).filter(Number.isFinite);
      return { step, method: m, loss: ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length) };
    });
  });
}

export function lowrankFigures(r: LowrankResult, prefix: string): Figure[] {
  const loss = meanCurves(r.runs);
  const memory = r.runs.map((x) => ({ method: x.method, stateFloats: x.stateFloats, accuracy: x.testAcc }));
  const selection = r.selection.flatMap((s) =>
    s.tried.map((lr, i) => ({ method: s.method, lr, accuracy: Number.isFinite(s.scores[i]) ? s.scores[i] : 0 })),
  );
  return [
    {
      name: `${prefix}-loss`,
      spec: lineChart(loss, {
        x: "step",
        y: "loss",
        color: "method",
        logY: true,
        title: "Training loss at matched optimizer steps (mean over seeds)",
        yTitle: "cross-entropy (nats)",
      }),
    },
    {
      name: `${prefix}-memory`,
      spec: scatterChart(memory, {
        x: "stateFloats",
        y: "accuracy",
        color: "method",
        logX: true,
        title: "Test accuracy against optimizer-state size (one point per seed)",
        xTitle: "optimizer state (floats)",
        yTitle: "test accuracy",
      }),
    },
    {
      name: `${prefix}-selection`,
      spec: lineChart(selection, {
        x: "lr",
        y: "accuracy",
        color: "method",
        logX: true,
        title: "Learning-rate selection on the validation split (first seed)",
        xTitle: "learning rate",
        yTitle: "validation accuracy",
      }),
    },
  ];
}
