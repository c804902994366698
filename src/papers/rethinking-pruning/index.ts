// Rethinking the Value of Network Pruning (Liu et al., ICLR 2019): structured (unit) pruning
// of an MLP on Fashion-MNIST, fine-tuned vs trained from scratch. See README.md.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { METHODS, Method, RethinkConfig, RethinkResult, runRethink } from "./run";

const base: RethinkConfig = {
  seeds: [0, 1, 2, 3, 4],
  trainExamples: 6000,
  valExamples: 1000,
  testExamples: 2000,
  hidden: [256, 256],
  keep: 0.25,
  epochs: 8,
  fineTuneEpochs: 3,
  scratchBCap: 3,
  batchSize: 128,
  lrs: [3e-4, 1e-3, 3e-3],
  fineTuneLrs: [3e-5, 1e-4, 3e-4],
};

const LABEL: Record<Method, string> = {
  baseline: "unpruned baseline",
  fineTune: "pruned + fine-tuned",
  scratchE: "Scratch-E",
  scratchB: "Scratch-B",
};
const accs = (r: RethinkResult, m: Method) => r.runs.map((x) => x.acc[m]);

export const rethinkingPruning = definePaper<RethinkConfig, RethinkResult>({
  id: "rethinking-pruning",
  citation: {
    authors: ["Zhuang Liu", "Mingjie Sun", "Tinghui Zhou", "Gao Huang", "Trevor Darrell"],
    title: "Rethinking the Value of Network Pruning",
    venue: "ICLR",
    year: 2019,
    arxiv: "1810.05270",
    code: "https://github.com/Eric-mingjie/rethinking-network-pruning",
  },
  claim:
    "For structured pruning, training the pruned architecture from a random init matches or beats fine-tuning the inherited weights, at equal epochs (Scratch-E) and at equal compute (Scratch-B): the architecture carries the value, not the weights.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      trainExamples: 500,
      valExamples: 200,
      testExamples: 300,
      hidden: [64, 64],
      epochs: 1,
      fineTuneEpochs: 1,
      lrs: [1e-3],
      fineTuneLrs: [1e-4],
    },
    default: base,
    full: { ...base, trainExamples: 20000, valExamples: 2000, testExamples: 10000, hidden: [512, 512], epochs: 10 },
  },
  run: runRethink,
  checks(r) {
    const dB = pairedDifference(accs(r, "scratchB"), accs(r, "fineTune"));
    const dE = pairedDifference(accs(r, "scratchE"), accs(r, "fineTune"));
    const base = tInterval(accs(r, "baseline"));
    const drop = pairedDifference(
      accs(r, "baseline"),
      r.runs.map((x) => x.prunedNoTrain),
    );
    return [
      evidence(
        "Scratch-B (pruned architecture, fresh init, same compute as the baseline up to a 3× epoch cap) is no worse than fine-tuning: test accuracy (Scratch-B − fine-tuned), paired by seed",
        dB,
        "95% interval of the paired difference above −0.003",
        above(dB, -0.003),
        { figure: "rethinking-pruning-accuracy" },
      ),
      evidence(
        "Scratch-E (same epochs as the baseline) is on par with fine-tuning: test accuracy (Scratch-E − fine-tuned), paired by seed",
        dE,
        "95% interval of the paired difference inside [−0.007, 0.007]",
        dE.n >= 2 && dE.lo > -0.007 && dE.hi < 0.007,
        { figure: "rethinking-pruning-accuracy" },
      ),
      sanity(
        "The unpruned MLP learns Fashion-MNIST: baseline test accuracy",
        base,
        "95% interval above 0.8",
        above(base, 0.8),
      ),
      sanity(
        "Removing 75% of the hidden units costs accuracy before any retraining (baseline − pruned, no training)",
        drop,
        "95% interval of the paired difference above 0",
        above(drop, 0),
      ),
    ];
  },
  figures(r) {
    const rows = METHODS.flatMap((m) => {
      const iv = tInterval(accs(r, m));
      return [{ method: LABEL[m], accuracy: iv.mean }];
    });
    return [
      {
        name: "rethinking-pruning-accuracy",
        spec: barChart(rows, {
          x: "method",
          y: "accuracy",
          title: `Test accuracy (mean of ${r.runs.length} seeds); pruned widths ${r.prunedSizes.join("-")}`,
          yTitle: "test accuracy",
        }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: r.trainExamples,
      valExamples: r.valExamples,
      testExamples: r.testExamples,
      "pruned architecture": r.prunedSizes.join("-"),
      "FLOP ratio (unpruned / pruned)": r.flopRatio,
      "Scratch-B epochs": r.scratchBEpochs,
      "pruned, not retrained: test accuracy (mean)": tInterval(r.runs.map((x) => x.prunedNoTrain)).mean,
    };
    for (const m of METHODS) {
      out[`${LABEL[m]} test accuracy (mean)`] = tInterval(accs(r, m)).mean;
      out[`${LABEL[m]} learning rate`] = r.selection[m].best;
    }
    out["Scratch-B − fine-tuned (mean)"] = pairedDifference(accs(r, "scratchB"), accs(r, "fineTune")).mean;
    out["Scratch-E − fine-tuned (mean)"] = pairedDifference(accs(r, "scratchE"), accs(r, "fineTune")).mean;
    out["Scratch-B − baseline (mean)"] = pairedDifference(accs(r, "scratchB"), accs(r, "baseline")).mean;
    return out;
  },
});
