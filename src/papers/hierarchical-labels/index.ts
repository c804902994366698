// Online continual learning on hierarchical label expansion (Lee, Jung, Choi & Chun, ICCV 2023):
// hierarchy-aware pseudo-labels and class-balanced memory (PL-FMS) beat plain reservoir replay when
// labels expand from parents to children. A "lite" re-implementation (no public code).
import { tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { HleConfig, HleResult, HleSeedRun, runHleSeed } from "./run";

const base: HleConfig = {
  seeds: [0, 1, 2, 3, 4],
  // T-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, boot →
  // tops 0, bottoms-and-dresses 1, shoes 2, bag 3.
  parentOf: [0, 1, 0, 1, 0, 2, 0, 2, 3, 2],
  childTasks: [
    [0, 2, 4, 6, 1, 3],
    [5, 7, 9, 8],
  ],
  parentRowsPerClass: 200,
  childRowsPerClass: 300,
  memory: 500,
  batchSize: 16,
  hidden: [256, 128],
  lrGrid: [3e-4, 1e-3, 3e-3],
  valRows: 1000,
  testRows: 3000,
};

const col = (r: HleResult, f: (x: HleSeedRun) => number) => r.runs.map(f);

export const hierarchicalLabels = definePaper<HleConfig, HleResult, HleSeedRun>({
  id: "hierarchical-labels",
  citation: {
    authors: ["Byung Hyun Lee", "Okchul Jung", "Jonghyun Choi", "Se Young Chun"],
    title: "Online Continual Learning on Hierarchical Label Expansion",
    venue: "ICCV",
    year: 2023,
    arxiv: "2308.14374",
  },
  claim:
    "In an online stream whose labels expand from coarse to fine, hierarchy-aware pseudo-labels and class-balanced memory (PL-FMS) beat plain reservoir experience replay on the fine labels without losing the coarse ones.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      parentRowsPerClass: 20,
      childRowsPerClass: 30,
      memory: 60,
      lrGrid: [1e-3],
      valRows: 100,
      testRows: 200,
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], parentRowsPerClass: 1000, childRowsPerClass: 1500 },
  },
  runSeed: runHleSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    return [
      pairedCheck(
        "PL-FMS-lite beats reservoir ER on the child labels at the end of the stream, paired by seed",
        col(r, (x) => x.plfms.childAcc),
        col(r, (x) => x.er.childAcc),
        "greater",
        { margin: 0.03, figure: "hierarchical-labels-accuracy", what: "child accuracy points" },
      ),
      pairedCheck(
        "PL-FMS-lite loses at most 1 point of parent accuracy against ER, paired by seed",
        col(r, (x) => x.plfms.parentAcc),
        col(r, (x) => x.er.parentAcc),
        "greater",
        { margin: -0.01, figure: "hierarchical-labels-accuracy", what: "parent accuracy points" },
      ),
      sanity(
        "Both learners learn the parents well above chance (0.25): ER parent accuracy, every seed",
        r.runs.map((x) => x.er.parentAcc.toFixed(3)).join(", "),
        "above 0.5 on every seed",
        r.runs.every((x) => x.er.parentAcc > 0.5 && x.plfms.parentAcc > 0.5),
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const rows = (["er", "plfms"] as const).flatMap((m) =>
      (["parentAcc", "childAcc"] as const).map((k) => {
        const v = tInterval(col(r, (x) => x[m][k]));
        return {
          bar: `${k === "parentAcc" ? "parent" : "child"} · ${m === "er" ? "ER" : "PL-FMS-lite"}`,
          accuracy: v.mean,
          err: Number.isFinite(v.hi) ? v.hi - v.mean : 0,
        };
      }),
    );
    return [
      {
        name: "hierarchical-labels-accuracy",
        spec: barChart(rows, {
          x: "bar",
          y: "accuracy",
          error: "err",
          title: "End-of-stream test accuracy per hierarchy level, mean over seeds",
        }),
      },
    ];
  },
  summary(r) {
    const m = (f: (x: HleSeedRun) => number) => tInterval(col(r, f)).mean;
    return {
      seeds: r.runs.length,
      "child accuracy ER (mean)": m((x) => x.er.childAcc),
      "child accuracy PL-FMS-lite (mean)": m((x) => x.plfms.childAcc),
      "parent accuracy ER (mean)": m((x) => x.er.parentAcc),
      "parent accuracy PL-FMS-lite (mean)": m((x) => x.plfms.parentAcc),
      "lr chosen ER per seed": r.runs.map((x) => x.selection.er.best).join(", "),
      "lr chosen PL-FMS-lite per seed": r.runs.map((x) => x.selection["pl-fms"].best).join(", "),
    };
  },
});
