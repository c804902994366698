// Lottery Ticket Hypothesis (Frankle & Carbin, ICLR 2019) on LeNet-300-100 and MNIST digits.
// See README.md for the toy setting and every pass rule.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { LotteryConfig, LotteryResult, runLottery } from "./run";

const base: LotteryConfig = {
  seeds: [0, 1, 2, 3, 4],
  trainExamples: 4000,
  valExamples: 1000,
  testExamples: 2000,
  sizes: [784, 300, 100, 10],
  epochs: 4,
  batchSize: 60,
  // Two of the paper's rounds per round: 1 − 0.8² for the hidden layers, 1 − 0.9² for the output.
  rates: [0.36, 0.36, 0.19],
  rounds: 7,
  lrs: [4e-4, 1.2e-3, 3.6e-3],
};

/** The round whose overall density is closest to 7% (the paper's "winning" range). */
const TARGET = 0.07;
const roundNear = (r: LotteryResult, d: number) =>
  r.runs[0].rounds.reduce((b, x) => (Math.abs(x.density - d) < Math.abs(b.density - d) ? x : b)).round;
const lastRound = (r: LotteryResult) => r.runs[0].rounds.length - 1;
const acc = (r: LotteryResult, round: number, kind: "ticket" | "reinit") =>
  r.runs.map((x) => (kind === "ticket" ? x.rounds[round].ticket.testAcc : (x.rounds[round].reinit?.testAcc ?? NaN)));
const gap = (r: LotteryResult, round: number) => {
  const t = acc(r, round, "ticket");
  return acc(r, round, "reinit").map((v, i) => t[i] - v);
};

export const lotteryTicket = definePaper<LotteryConfig, LotteryResult>({
  id: "lottery-ticket",
  citation: {
    authors: ["Jonathan Frankle", "Michael Carbin"],
    title: "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks",
    venue: "ICLR",
    year: 2019,
    arxiv: "1803.03635",
    code: "https://github.com/google-research/lottery-ticket-hypothesis",
  },
  claim:
    "Iterative magnitude pruning with rewinding to the original initialisation finds sparse subnetworks (winning tickets) that train to the dense network's accuracy at a few percent of its weights, while the same masks with freshly drawn weights fall behind as the density drops.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      trainExamples: 600,
      valExamples: 200,
      testExamples: 300,
      epochs: 1,
      rounds: 2,
      lrs: [1.2e-3],
    },
    default: base,
    full: { ...base, trainExamples: 6000, epochs: 8, rates: [0.2, 0.2, 0.1], rounds: 15 },
  },
  run: runLottery,
  checks(r) {
    const k7 = roundNear(r, TARGET);
    const kLow = lastRound(r);
    const d7 = r.runs[0].rounds[k7].density;
    const dLow = r.runs[0].rounds[kLow].density;
    const vsDense = pairedDifference(acc(r, k7, "ticket"), acc(r, 0, "ticket"));
    const gLow = pairedDifference(acc(r, kLow, "ticket"), acc(r, kLow, "reinit"));
    const growth = pairedDifference(gap(r, kLow), gap(r, 1));
    const leaked = r.runs.reduce(
      (a, x) => a + x.rounds.reduce((b, y) => b + y.ticket.leaked + (y.reinit?.leaked ?? 0), 0),
      0,
    );
    const dense = tInterval(acc(r, 0, "ticket"));
    return [
      evidence(
        `The winning ticket at ${(100 * d7).toFixed(1)}% density matches the dense net: test accuracy (ticket − dense), paired by seed`,
        vsDense,
        "95% interval of the paired difference above −0.01 (within 1 point of dense)",
        above(vsDense, -0.01),
        { figure: "lottery-ticket-accuracy" },
      ),
      evidence(
        `At the lowest density (${(100 * dLow).toFixed(1)}%) the ticket beats the same mask with fresh weights: test accuracy (ticket − reinit), paired by seed`,
        gLow,
        "95% interval of the paired difference above 0 and its mean at least 0.005 (half a point)",
        gLow.n >= 2 && gLow.lo > 0 && gLow.mean >= 0.005,
        { figure: "lottery-ticket-gap" },
      ),
      evidence(
        `The ticket's advantage over reinit grows as the density falls: gap at ${(100 * dLow).toFixed(1)}% minus gap at ${(100 * r.runs[0].rounds[1].density).toFixed(0)}%, paired by seed`,
        growth,
        "95% interval of the paired difference above 0",
        above(growth, 0),
        { figure: "lottery-ticket-gap" },
      ),
      sanity(
        "Pruned weights stay exactly zero through training (nonzero pruned weights over every run)",
        leaked,
        "0",
        leaked === 0,
        { seeds: r.runs.length },
      ),
      sanity(
        "The dense LeNet-300-100 learns the digits: dense test accuracy",
        dense,
        "95% interval above 0.9",
        above(dense, 0.9),
      ),
    ];
  },
  figures(r) {
    const rows = r.runs[0].rounds.flatMap((x, k) => {
      const t = tInterval(acc(r, k, "ticket"));
      const out = [{ density: 100 * x.density, series: "winning ticket (rewound to θ0)", accuracy: t.mean }];
      if (k > 0)
        out.push({
          density: 100 * x.density,
          series: "random reinit (same mask)",
          accuracy: tInterval(acc(r, k, "reinit")).mean,
        });
      return out;
    });
    const gaps = r.runs.flatMap((x) =>
      x.rounds.slice(1).map((y) => ({
        density: 100 * y.density,
        seed: `seed ${x.seed}`,
        gap: 100 * (y.ticket.testAcc - (y.reinit?.testAcc ?? NaN)),
      })),
    );
    return [
      {
        name: "lottery-ticket-accuracy",
        spec: lineChart(rows, {
          x: "density",
          y: "accuracy",
          color: "series",
          logX: true,
          title: `Test accuracy vs density (mean of ${r.runs.length} seeds, at the epoch of min. validation loss)`,
          xTitle: "weights remaining (%)",
          yTitle: "test accuracy",
        }),
      },
      {
        name: "lottery-ticket-gap",
        spec: lineChart(gaps, {
          x: "density",
          y: "gap",
          color: "seed",
          logX: true,
          title: "Ticket minus random reinit, per seed",
          xTitle: "weights remaining (%)",
          yTitle: "accuracy gap (points)",
        }),
      },
    ];
  },
  summary(r) {
    const k7 = roundNear(r, TARGET);
    const kLow = lastRound(r);
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: r.trainExamples,
      valExamples: r.valExamples,
      testExamples: r.testExamples,
      "IMP learning rate (selected on validation)": r.selection.ticket.best,
      "reinit learning rates per round (selected on validation)": r.selection.reinit.map((x) => x.best).join(", "),
      "dense test accuracy (mean)": tInterval(acc(r, 0, "ticket")).mean,
      "ticket density near 7%": r.runs[0].rounds[k7].density,
      "ticket test accuracy near 7% (mean)": tInterval(acc(r, k7, "ticket")).mean,
      "lowest density": r.runs[0].rounds[kLow].density,
      "ticket test accuracy at lowest density (mean)": tInterval(acc(r, kLow, "ticket")).mean,
      "reinit test accuracy at lowest density (mean)": tInterval(acc(r, kLow, "reinit")).mean,
    };
    r.runs[0].rounds.forEach((x, k) => {
      const d = (100 * x.density).toFixed(1);
      out[`ticket − reinit gap at ${d}% (mean)`] = k > 0 ? tInterval(gap(r, k)).mean : "—";
    });
    const bestT = r.runs.flatMap((x) => x.rounds.map((y) => y.ticket.testAcc));
    out["best ticket test accuracy (any seed, any density)"] = Math.max(...bestT);
    out["dense best epoch (seed mean)"] = tInterval(r.runs.map((x) => x.rounds[0].ticket.bestEpoch)).mean;
    out["ticket best epoch near 7% (seed mean)"] = tInterval(r.runs.map((x) => x.rounds[k7].ticket.bestEpoch)).mean;
    return out;
  },
});
