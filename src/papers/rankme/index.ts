// RankMe (Garrido, Balestriero, Najman & LeCun, ICML 2023), registered as a paper: presets
// naming their seeds, run → cached result, checks, figures and summary. See README.md for the
// toy setting and every pass rule.
import { Interval, tInterval } from "../../metrics/intervals";
import { lineChart, scatterChart } from "../../plot/specs";
import { evidence } from "../checks";
import { definePaper } from "../registry";
import { RankMeConfig, RankMeResult, runRankMe } from "./run";

const base: RankMeConfig = {
  seeds: [0],
  trainExamples: 8000,
  testExamples: 1500,
  encoder: [784, 256, 32],
  projector: [128, 64],
  steps: 150,
  batchSize: 128,
  lr: 1e-3,
  inv: 25,
  covWeights: [0, 0.1, 1, 4],
  varWeights: [25, 0],
  augment: { shift: 3, dropout: 0.2, noise: 0.1 },
  probeEvery: 15,
  probeSamples: 512,
  ridgeLambda: 1e-2,
};

/** The interval lies at or above t (one seed: its value does). */
const atLeast = (iv: Interval, t: number) => (iv.n < 2 ? iv.mean >= t : iv.lo >= t);
/** The interval lies at or below t (one seed: its value does). */
const atMost = (iv: Interval, t: number) => (iv.n < 2 ? iv.mean <= t : iv.hi <= t);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lostAll = (r: RankMeResult) => r.seeds.map((s) => s.selection[s.selection.length - 1].lost);

export const rankme = definePaper<RankMeConfig, RankMeResult>({
  id: "rankme",
  citation: {
    authors: ["Quentin Garrido", "Randall Balestriero", "Laurent Najman", "Yann LeCun"],
    title: "RankMe: Assessing the Downstream Performance of Pretrained Self-Supervised Representations by Their Rank",
    venue: "ICML",
    year: 2023,
    arxiv: "2210.02885",
  },
  claim:
    "The effective rank of the embeddings (RankMe, no labels) tracks the linear-probe accuracy of the representations across the hyperparameters of one method, so picking the run with maximal RankMe loses little accuracy against label-based selection.",
  presets: {
    smoke: {
      ...base,
      trainExamples: 2000,
      testExamples: 500,
      steps: 60,
      covWeights: [0, 1, 4],
      varWeights: [25],
      probeEvery: 20,
      probeSamples: 256,
    },
    default: base,
    full: {
      ...base,
      encoder: [784, 512, 64],
      projector: [256, 128],
      batchSize: 256,
      steps: 600,
      covWeights: [0, 0.01, 0.1, 1, 4, 16],
      varWeights: [25, 5, 0],
    },
  },
  run: runRankMe,
  checks(r) {
    const n = r.seeds.length;
    const one = n === 1 ? " (1 seed)" : "";
    const rhos = r.seeds.map((s) => s.spearmanMainSweep);
    const hasMain = rhos.every(Number.isFinite);
    const rho = hasMain ? tInterval(rhos) : "no ν-sweep of ≥ 3 runs at μ=25";
    const lost = tInterval(lostAll(r));
    return [
      evidence(
        `RankMe of the embeddings tracks probe accuracy over the ν-sweep at μ=25: Spearman(RankMe, probe accuracy)${one}`,
        rho,
        n < 2 ? "≥ 0.8" : "95% interval ≥ 0.8",
        typeof rho !== "string" && atLeast(rho, 0.8),
        { seeds: n, figure: "rankme-scatter" },
      ),
      evidence(
        `Picking the run with max RankMe loses little probe accuracy against the label-based oracle (all runs): accuracy(oracle) − accuracy(max-RankMe pick)${one}`,
        lost,
        n < 2 ? "≤ 0.01" : "95% interval ≤ 0.01",
        atMost(lost, 0.01),
        { figure: "rankme-scatter" },
      ),
    ];
  },
  figures(r) {
    const s = r.seeds[0];
    const note = r.seeds.length > 1 ? ` (seed ${s.seed})` : "";
    const runs = s.runs.map((x) => ({
      run: `μ=${x.mu} ν=${x.nu}`,
      sweep: x.sweep,
      rankMe: x.rankMe,
      probeAcc: x.probeAcc,
    }));
    return [
      {
        name: "rankme-scatter",
        spec: scatterChart(runs, {
          x: "rankMe",
          y: "probeAcc",
          color: "sweep",
          logX: true,
          title: `RankMe of the embeddings vs linear-probe accuracy${note}`,
          xTitle: "RankMe (embeddings, no labels; log scale)",
          yTitle: "ridge-probe accuracy (held-out digits)",
        }),
      },
      {
        name: "rankme-training",
        spec: lineChart(s.trajectory, {
          x: "step",
          y: "rankMe",
          color: "run",
          facet: "target",
          title: `RankMe during VICReg training (fixed un-augmented digits)${note}`,
          xTitle: "step",
          yTitle: "RankMe",
        }),
      },
    ];
  },
  summary(r) {
    const seeds = r.seeds;
    const first = seeds[0];
    const all = seeds.flatMap((s) => s.runs);
    const trainSec = all.reduce((a, x) => a + x.trainSeconds, 0);
    const probeSec = all.reduce((a, x) => a + x.probeSeconds, 0);
    const out: Record<string, number | string> = {
      seeds: seeds.length,
      runs: first.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "Spearman, ν-sweep at μ=25": mean(seeds.map((s) => s.spearmanMainSweep)),
      "Spearman, all runs (embedding RankMe)": mean(seeds.map((s) => s.spearmanAllRuns)),
      "Spearman, all runs (representation RankMe)": mean(seeds.map((s) => s.spearmanAllRunsRepresentationRank)),
      "best probe accuracy": mean(seeds.map((s) => Math.max(...s.runs.map((x) => x.probeAcc)))),
      "accuracy lost by max-RankMe selection (all runs)": mean(lostAll(r)),
    };
    for (const sel of first.selection) {
      out[`${sel.pool}: RankMe pick`] = `${sel.rankMePick} (accuracy ${sel.rankMeAcc.toFixed(3)})`;
      out[`${sel.pool}: oracle pick`] = `${sel.oraclePick} (accuracy ${sel.oracleAcc.toFixed(3)})`;
      out[`${sel.pool}: accuracy lost`] = sel.lost;
    }
    // Per run (first seed): the table the reading quotes.
    for (const x of first.runs) {
      const k = `μ=${x.mu} ν=${x.nu}`;
      out[`${k}: RankMe (embedding)`] = x.rankMe;
      out[`${k}: RankMe (representation)`] = x.rankMeRep;
      out[`${k}: probe accuracy`] = x.probeAcc;
      out[`${k}: embedding std`] = x.embStd;
      out[`${k}: final loss`] = x.finalLoss;
    }
    out["training seconds"] = trainSec;
    out["probe seconds"] = probeSec;
    out["probe overhead (fraction of training time)"] = probeSec / trainSec;
    return out;
  },
});
