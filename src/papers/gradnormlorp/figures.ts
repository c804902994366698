// GradNormLoRP's figures, one set per model: training loss at matched steps, the held-out
// metric against optimizer-state size, and each method's learning-rate selection.
import { lineChart, scatterChart } from "../../plot/specs";
import { meanCurves } from "../galore/figures";
import { Figure } from "../types";
import { TaskResult } from "./experiment";

const LABEL = { mlp: "MLP on MNIST digits", char: "char transformer fine-tuned on fortunes" };

export function taskFigures(r: TaskResult, prefix: string): Figure[] {
  const loss = meanCurves(r.runs);
  const isMlp = r.task === "mlp";
  const memory = r.runs.map((x) => ({
    method: x.method,
    stateFloats: x.stateFloats,
    metric: isMlp ? x.testAcc : x.testLoss,
  }));
  const selection = r.selection.flatMap((s) =>
    s.tried.map((lr, i) => ({ method: s.method, lr, score: Number.isFinite(s.scores[i]) ? s.scores[i] : NaN })),
  );
  return [
    {
      name: `${prefix}-loss`,
      spec: lineChart(loss, {
        x: "step",
        y: "loss",
        color: "method",
        title: `${LABEL[r.task]}: training loss at matched optimizer steps (mean over seeds)`,
        yTitle: "cross-entropy (nats)",
      }),
    },
    {
      name: `${prefix}-memory`,
      spec: scatterChart(memory, {
        x: "stateFloats",
        y: "metric",
        color: "method",
        logX: true,
        title: `${LABEL[r.task]}: held-out ${isMlp ? "accuracy" : "loss"} against optimizer-state size (one point per seed)`,
        xTitle: "optimizer state (floats)",
        yTitle: isMlp ? "test accuracy" : "test cross-entropy (nats)",
      }),
    },
    {
      name: `${prefix}-selection`,
      spec: lineChart(
        selection.filter((x) => Number.isFinite(x.score)),
        {
          x: "lr",
          y: "score",
          color: "method",
          logX: true,
          title: `${LABEL[r.task]}: learning-rate selection on the validation split (first seed)`,
          xTitle: "learning rate",
          yTitle: isMlp ? "validation accuracy" : "− validation loss (nats)",
        },
      ),
    },
  ];
}
