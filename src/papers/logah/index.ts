// LoGAH (Zhou et al., 2024), as a toy: a hypernetwork with a low-rank decoder predicts the
// initial weights of a wider MLP than it was trained on. Far from the paper's graph
// hypernetwork over ViTs and GPT-2; labelled a toy in its notebook.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { LogahArm, LogahConfig, LogahResult, runLogah } from "./run";

const base: LogahConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 7000,
  rank: 16,
  hidden: 16,
  trainWidths: [32, 64, 96, 128],
  trainDepths: [1, 2, 3],
  hyperSteps: 400,
  hyperLr: 1e-3,
  target: [784, 256, 256, 10],
  fineTuneSteps: 100,
  batchSize: 64,
  lrGrid: [3e-4, 1e-3, 3e-3],
  selectionSeed: 100,
};

const armOf = (r: LogahResult, arm: LogahArm) => r.runs.map((x) => x.arms.find((a) => a.arm === arm)!);

export const logah = definePaper<LogahConfig, LogahResult>({
  id: "logah",
  citation: {
    authors: ["Zhou", "Knyazev", "Tatro", "Chen", "Ding", "Mohammadshahi", "Lacoste-Julien", "Ravanbakhsh"],
    title: "LoGAH: Predicting 774-Million-Parameter Transformers using Graph HyperNetworks with 1/100 Parameters",
    venue: "arXiv",
    year: 2024,
    arxiv: "2405.16287",
    code: "https://github.com/Blackzxy/LoGAH",
  },
  claim:
    "A hypernetwork with a low-rank decoder, far smaller than the models it predicts, gives wider networks than it was trained on an initialisation that trains better than random initialisation (toy: MLPs on digits, not the paper's graph hypernetwork over transformers).",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      examples: 600,
      hyperSteps: 10,
      fineTuneSteps: 5,
      target: [784, 64, 64, 10],
      lrGrid: [1e-3],
    },
    default: base,
    full: { ...base, examples: 9000, hyperSteps: 2000, fineTuneSteps: 300 },
  },
  run: runLogah,
  checks(r, c) {
    const pred = armOf(r, "LoGAH init");
    const rnd = armOf(r, "random init");
    return [
      pairedCheck(
        `After ${c.fineTuneSteps} steps, the ${c.target.join("-")} MLP initialised by the hypernetwork has higher test accuracy than from He init`,
        pred.map((x) => x.acc),
        rnd.map((x) => x.acc),
        "greater",
        { what: "LoGAH init − random init test accuracy", figure: "logah-accuracy" },
      ),
      pairedCheck(
        `Before any step, the predicted weights of the unseen width-${c.target[1]} MLP classify better than He init`,
        pred.map((x) => x.accBefore),
        rnd.map((x) => x.accBefore),
        "greater",
        { what: "LoGAH init − random init test accuracy at step 0", figure: "logah-accuracy" },
      ),
      sanity(
        "The hypernetwork is much smaller than the MLP it initialises",
        `${r.params.hypernet} vs ${r.params.target} parameters`,
        "fewer than a tenth",
        r.params.hypernet * 10 < r.params.target,
      ),
      sanity(
        "The hypernetwork's training loss falls (first vs last tenth of its steps, every seed)",
        r.runs.map((x) => `${x.hyperLoss[0].toFixed(3)} → ${x.hyperLoss[1].toFixed(3)}`).join("; "),
        "last < first in every seed",
        r.runs.every((x) => x.hyperLoss[1] < x.hyperLoss[0]),
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r, c) {
    const rows = (["LoGAH init", "random init"] as const).flatMap((arm) => [
      {
        bar: `${arm}, step 0`,
        accuracy: tInterval(armOf(r, arm).map((x) => x.accBefore)).mean,
      },
      {
        bar: `${arm}, step ${c.fineTuneSteps}`,
        accuracy: tInterval(armOf(r, arm).map((x) => x.acc)).mean,
      },
    ]);
    return [
      {
        name: "logah-accuracy",
        spec: barChart(rows, {
          x: "bar",
          y: "accuracy",
          title: `Test accuracy of the ${c.target.join("-")} MLP (mean over ${r.runs.length} seeds)`,
          xTitle: "initialisation, when",
          yTitle: "test accuracy (fraction)",
        }),
      },
    ];
  },
  summary(r) {
    const pred = armOf(r, "LoGAH init");
    const rnd = armOf(r, "random init");
    return {
      seeds: r.runs.length,
      "train / validation / test examples": `${r.data.train} / ${r.data.val} / ${r.data.test}`,
      "hypernetwork parameters": r.params.hypernet,
      "target MLP parameters": r.params.target,
      "LoGAH init lr (validation)": r.selection["LoGAH init"].best,
      "random init lr (validation)": r.selection["random init"].best,
      "LoGAH init test accuracy at step 0 (mean)": tInterval(pred.map((x) => x.accBefore)).mean,
      "random init test accuracy at step 0 (mean)": tInterval(rnd.map((x) => x.accBefore)).mean,
      "LoGAH init final test accuracy (mean)": tInterval(pred.map((x) => x.acc)).mean,
      "random init final test accuracy (mean)": tInterval(rnd.map((x) => x.acc)).mean,
      "LoGAH − random final (mean)": pairedDifference(
        pred.map((x) => x.acc),
        rnd.map((x) => x.acc),
      ).mean,
      "hypernetwork loss first → last tenth (mean)": `${tInterval(r.runs.map((x) => x.hyperLoss[0])).mean.toFixed(3)} → ${tInterval(r.runs.map((x) => x.hyperLoss[1])).mean.toFixed(3)}`,
    };
  },
});
