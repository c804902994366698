// TEEN (Wang et al., NeurIPS 2023): training-free calibration of new-class prototypes toward
// similar base prototypes lifts new-class accuracy in few-shot class-incremental learning.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { runTeenSeed, TeenConfig, TeenResult, TeenSeedRun } from "./run";

const base: TeenConfig = {
  seeds: [0, 1, 2, 3, 4],
  baseClasses: [0, 1, 2, 3, 5, 8],
  sessions: [
    [4, 6],
    [7, 9],
  ],
  pseudoNew: [2, 5],
  perClass: 1000,
  hidden: [256, 128],
  temperature: 16,
  epochs: 3,
  batchSize: 128,
  lr: 1e-3,
  shots: 5,
  draws: 10,
  alphas: [0.1, 0.25, 0.5, 0.75],
  tau: 16,
};

const col = (r: TeenResult, f: (x: TeenSeedRun) => number) => r.runs.map(f);

export const teen = definePaper<TeenConfig, TeenResult, TeenSeedRun>({
  id: "teen",
  citation: {
    authors: ["Qi-Wei Wang", "Da-Wei Zhou", "Yi-Kai Zhang", "De-Chuan Zhan", "Han-Jia Ye"],
    title: "Few-Shot Class-Incremental Learning via Training-Free Prototype Calibration",
    venue: "NeurIPS",
    year: 2023,
    arxiv: "2312.05229",
    code: "https://github.com/wangkiw/TEEN",
  },
  claim:
    "Fusing each new-class prototype with similarity-weighted base prototypes (TEEN) lifts new-class accuracy in few-shot class-incremental learning at no training cost, without hurting the base classes.",
  presets: {
    smoke: { ...base, seeds: [0], perClass: 60, epochs: 1, draws: 2, alphas: [0.25, 0.5] },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], perClass: 5000, epochs: 10, draws: 20 },
  },
  runSeed: runTeenSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const baseAcc = tInterval(col(r, (x) => x.baseOnlyAcc));
    return [
      pairedCheck(
        "TEEN lifts new-class accuracy after the last session: TEEN − plain prototypes (same shots), paired by seed",
        col(r, (x) => x.teen.novel),
        col(r, (x) => x.plain.novel),
        "greater",
        { margin: 0.03, figure: "teen-accuracy", what: "accuracy points" },
      ),
      pairedCheck(
        "TEEN costs the base classes at most 2 points: base accuracy TEEN − plain, paired by seed",
        col(r, (x) => x.teen.base),
        col(r, (x) => x.plain.base),
        "greater",
        { margin: -0.02, figure: "teen-accuracy", what: "accuracy points" },
      ),
      pairedCheck(
        "TEEN improves the harmonic mean of base and new accuracy, paired by seed",
        col(r, (x) => x.teen.hm),
        col(r, (x) => x.plain.hm),
        "greater",
        { figure: "teen-accuracy", what: "harmonic-mean points" },
      ),
      sanity(
        "The base model learns the base classes: base-session test accuracy of the cosine prototype classifier",
        baseAcc,
        "95% interval above 0.8",
        above(baseAcc, 0.8),
      ),
    ];
  },
  figures(r) {
    const rows = (["plain", "teen"] as const).flatMap((m) =>
      (["base", "novel", "hm"] as const).map((k) => {
        const v = tInterval(col(r, (x) => x[m][k]));
        return {
          bar: `${k === "hm" ? "harmonic mean" : k === "novel" ? "new classes" : "base classes"} · ${m === "teen" ? "TEEN" : "plain"}`,
          accuracy: v.mean,
          err: Number.isFinite(v.hi) ? v.hi - v.mean : 0,
        };
      }),
    );
    const sess = r.runs.flatMap((x) =>
      x.sessions.flatMap((s) => [
        { session: s.session, series: `plain, seed ${x.seed}`, accuracy: s.plain },
        { session: s.session, series: `TEEN, seed ${x.seed}`, accuracy: s.teen },
      ]),
    );
    return [
      {
        name: "teen-accuracy",
        spec: barChart(rows, {
          x: "bar",
          y: "accuracy",
          error: "err",
          title: "After the last session: accuracy on base and new classes, mean over seeds",
        }),
      },
      {
        name: "teen-sessions",
        spec: lineChart(sess, {
          x: "session",
          y: "accuracy",
          color: "series",
          title: "Accuracy on all classes seen so far, per session (mean over shot draws)",
        }),
      },
    ];
  },
  summary(r) {
    const m = (f: (x: TeenSeedRun) => number) => tInterval(col(r, f)).mean;
    return {
      seeds: r.runs.length,
      "base-session accuracy (mean)": m((x) => x.baseOnlyAcc),
      "new-class accuracy plain (mean)": m((x) => x.plain.novel),
      "new-class accuracy TEEN (mean)": m((x) => x.teen.novel),
      "base accuracy plain (mean)": m((x) => x.plain.base),
      "base accuracy TEEN (mean)": m((x) => x.teen.base),
      "harmonic mean plain (mean)": m((x) => x.plain.hm),
      "harmonic mean TEEN (mean)": m((x) => x.teen.hm),
      "α chosen per seed": r.runs.map((x) => x.alpha).join(", "),
    };
  },
});
