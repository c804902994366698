// Data Diet figures (from the first seed's run; the checks pool every seed).
import { barChart, lineChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { DataDietConfig, DataDietResult } from "./run";

export function dataDietFigures(res: DataDietResult, cfg: DataDietConfig): Figure[] {
  const r = res.runs[0];
  const seedNote = res.runs.length > 1 ? ` (seed ${r.seed})` : "";
  const pruning = [
    ...r.pruning
      .filter((p) => p.method === "EL2N" || p.method === "random")
      .map((p) => ({ method: p.method, keep: p.keep, acc: p.acc })),
    ...cfg.keeps.map((keep) => ({ method: "all data", keep, acc: r.fullAcc })),
  ];
  const figs: Figure[] = [
    {
      name: "data-diet-pruning",
      spec: lineChart(pruning, {
        x: "keep",
        y: "acc",
        color: "method",
        title: `Keep the highest scores, retrain: test accuracy${seedNote}`,
        xTitle: "fraction of training set kept",
        yTitle: "test accuracy (fraction)",
      }),
    },
    {
      name: "data-diet-grand-init-vs-norm",
      spec: scatterChart(
        r.kirsch.map((k) => ({ inputNorm: k.inputNorm, grandInit: k.grandInit })),
        {
          x: "inputNorm",
          y: "grandInit",
          title: `GraNd at init vs input norm (Spearman ${r.spearmanGrandInitNorm.toFixed(3)})${seedNote}`,
          xTitle: "‖x‖₂",
          yTitle: "GraNd at init (mean over K inits)",
        },
      ),
    },
    {
      name: "data-diet-auroc",
      spec: barChart(
        r.auroc.map((a) => ({ score: a.score, auroc: a.auroc })),
        { x: "score", y: "auroc", title: `Noisy-label detection (AUROC; 0.5 is chance)${seedNote}`, yTitle: "AUROC" },
      ),
    },
    {
      name: "data-diet-noisy-scatter",
      spec: scatterChart(r.noisyScatter, {
        x: "el2n",
        y: "grandEarly",
        color: "label",
        title: `Noisy set: EL2N vs GraNd at the scoring epoch${seedNote}`,
        xTitle: "EL2N",
        yTitle: "GraNd early",
      }),
    },
    {
      name: "data-diet-noisy",
      spec: barChart(
        r.noisy.map((n) => ({ subset: n.subset, acc: n.acc })),
        {
          x: "subset",
          y: "acc",
          title: `Noisy labels: test accuracy after retraining (keep ${cfg.headlineKeep})${seedNote}`,
          yTitle: "test accuracy (clean test labels)",
        },
      ),
    },
  ];
  if (r.conv) {
    const c = r.conv;
    const kp = cfg.conv?.keep ?? NaN;
    const rows = [
      { subset: "all data", acc: c.fullAcc },
      { subset: `EL2N (keep ${kp})`, acc: c.el2nHard },
      { subset: `GraNd@init (keep ${kp})`, acc: c.grandInit },
      { subset: `random (keep ${kp})`, acc: c.random },
    ];
    figs.push({
      name: "data-diet-conv",
      spec: barChart(rows, {
        x: "subset",
        y: "acc",
        title: `Conv net: test accuracy after retraining${seedNote}`,
        yTitle: "test accuracy (fraction)",
      }),
    });
  }
  return figs;
}
