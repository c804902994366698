// Emami & Martínez-Muñoz (IEEE Access 2023): a hidden layer built by gradient boosting (one
// J-unit stage per round on pseudo-residuals) is competitive with an MLP of the same width,
// and its last-trained units can be dropped at test time at little cost.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { GbnnConfig, GbnnPaperResult, GbnnSeedRun, runGbnnSeed } from "./run";

const base: GbnnConfig = {
  seeds: [0, 1, 2],
  train: 1500,
  valFraction: 0.2,
  test: 2000,
  stages: 100,
  unitsPerStage: 1,
  stepsPerStage: 60,
  subsample: 0.5,
  lrGrid: [0.03, 0.1, 0.3],
  keep: 25,
};

const col = (r: GbnnPaperResult, f: (x: GbnnSeedRun) => number) => r.runs.map(f);

export const gradientBoostingNets = definePaper<GbnnConfig, GbnnPaperResult, GbnnSeedRun>({
  id: "gradient-boosting-nets",
  citation: {
    authors: ["Seyedsaman Emami", "Gonzalo Martínez-Muñoz"],
    title: "Sequential Training of Neural Networks With Gradient Boosting",
    venue: "IEEE Access",
    year: 2023,
    arxiv: "2010.01285",
    code: "https://github.com/GAA-UAM/GBNN",
  },
  claim:
    "A one-hidden-layer network built by gradient boosting (each stage fits new units to the pseudo-residuals, then all stages are assembled) is competitive with a jointly trained MLP of the same width, and dropping its last-trained units costs little accuracy, unlike dropping units of an MLP.",
  presets: {
    smoke: { ...base, seeds: [0], train: 300, test: 300, stages: 6, stepsPerStage: 10, lrGrid: [0.1], keep: 3 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], train: 3000, stages: 200, stepsPerStage: 150, keep: 50 },
  },
  runSeed: runGbnnSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const vsMlp = pairedDifference(
      col(r, (x) => x.gbnnAcc),
      col(r, (x) => x.mlpAcc),
    );
    const gbnnCost = pairedDifference(
      col(r, (x) => x.gbnnAcc),
      col(r, (x) => x.gbnnTruncAcc),
    );
    const mlpCost = pairedDifference(
      col(r, (x) => x.mlpAcc),
      col(r, (x) => x.mlpTruncAcc),
    );
    const width = cfg.stages * cfg.unitsPerStage;
    const monotone = r.runs.every((x) => x.trainLoss.every((l, t) => t === 0 || l <= x.trainLoss[t - 1] + 1e-12));
    return [
      evidence(
        `GBNN is competitive with an MLP of the same width (${width} units, same Adam steps): paired difference of test accuracy (GBNN − MLP)`,
        vsMlp,
        "95% interval above −0.02 (at most 2 points worse)",
        above(vsMlp, -0.02),
        { figure: "gradient-boosting-nets-truncation" },
      ),
      evidence(
        `Keeping only GBNN's first ${cfg.keep} units costs little: paired difference of test accuracy (all − first ${cfg.keep})`,
        gbnnCost,
        "95% interval below 0.05",
        below(gbnnCost, 0.05),
        { figure: "gradient-boosting-nets-truncation" },
      ),
      evidence(
        `Keeping ${cfg.keep} random units of the MLP costs a lot: paired difference of test accuracy (all − ${cfg.keep} random)`,
        mlpCost,
        "95% interval above 0.10",
        above(mlpCost, 0.1),
        { figure: "gradient-boosting-nets-truncation" },
      ),
      sanity(
        "The staged training cross-entropy never increases from one stage to the next (every seed)",
        r.runs
          .map((x) => `${x.trainLoss[0].toFixed(3)} → ${x.trainLoss[x.trainLoss.length - 1].toFixed(3)}`)
          .join("; "),
        "non-increasing at every stage",
        monotone,
        { seeds: r.runs.length, figure: "gradient-boosting-nets-train-loss" },
      ),
    ];
  },
  figures(r, cfg) {
    const J = cfg.unitsPerStage;
    const rows = r.runs.flatMap((x) => [
      ...x.gbnnStagedAcc.map((acc, t) => ({ units: (t + 1) * J, series: `GBNN first units, seed ${x.seed}`, acc })),
      ...x.mlpRandomUnitsAcc.map((p) => ({ units: p.units, series: `MLP random units, seed ${x.seed}`, acc: p.acc })),
    ]);
    const loss = r.runs.flatMap((x) => x.trainLoss.map((l, t) => ({ stage: t, seed: `seed ${x.seed}`, loss: l })));
    return [
      {
        name: "gradient-boosting-nets-truncation",
        spec: lineChart(rows, {
          x: "units",
          y: "acc",
          color: "series",
          title: "Test accuracy keeping k hidden units: GBNN's first k vs k random units of the MLP",
          xTitle: "hidden units kept k",
          yTitle: "test accuracy (fraction)",
        }),
      },
      {
        name: "gradient-boosting-nets-train-loss",
        spec: lineChart(loss, {
          x: "stage",
          y: "loss",
          color: "seed",
          title: "GBNN training cross-entropy after each boosting stage",
          xTitle: "stage t",
          yTitle: "cross-entropy (nats)",
        }),
      },
    ];
  },
  summary(r) {
    const mean = (f: (x: GbnnSeedRun) => number) => tInterval(col(r, f)).mean;
    return {
      seeds: r.runs.length,
      "GBNN test accuracy (mean)": mean((x) => x.gbnnAcc),
      "MLP test accuracy (mean)": mean((x) => x.mlpAcc),
      "GBNN first-units test accuracy (mean)": mean((x) => x.gbnnTruncAcc),
      "MLP random-units test accuracy (mean)": mean((x) => x.mlpTruncAcc),
      "GBNN selected lr (per seed)": r.runs.map((x) => x.gbnnSelection.best).join(", "),
      "MLP selected lr (per seed)": r.runs.map((x) => x.mlpSelection.best).join(", "),
      "GBNN final training CE (mean)": mean((x) => x.trainLoss[x.trainLoss.length - 1]),
    };
  },
});
