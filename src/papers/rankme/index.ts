// RankMe (Garrido, Balestriero, Najman & LeCun, ICML 2023), registered as a paper: presets
// naming their seeds, run → cached result, checks, figures and summary. See README.md for the
// toy setting and every pass rule.
import { Interval, tInterval } from "../../metrics/intervals";
import { lineChart, scatterChart } from "../../plot/specs";
import { evidence } from "../checks";
import { definePaper } from "../registry";
import { RankMeConfig, RankMeResult, RankMeSeedRun, runRankMeSeed } from "./run";

const base: RankMeConfig = {
  seeds: [0, 1],
  trainExamples: 8000,
  testExamples: 1500,
  encoder: [784, 256, 32],
  projector: [128, 64],
  steps: 150,
  batchSize: 128,
  lr: 1e-3,
  inv: 25,
  covWeights: [0, 0.1, 0.3, 1, 4, 16],
  varWeights: [0, 1, 5, 10, 25, 50],
  mainVar: 25,
  mainCov: 1,
  augment: { shift: 3, dropout: 0.2, noise: 0.1 },
  probeEvery: 15,
  probeSamples: 512,
  ridgeLambda: 1e-2,
};

const SWEEPS = ["ν-sweep", "μ-sweep"] as const;
// One-sided 5% critical value of Spearman's ρ for 6 points (exact null distribution): a sweep's
// ρ at or above it is a monotone relation that chance would give less than one time in 20.
const RHO_CRIT_6 = 0.829;
/** The interval lies at or below t (one seed: its value does). */
const atMost = (iv: Interval, t: number) => (iv.n < 2 ? iv.mean <= t : iv.hi <= t);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lostIn = (r: RankMeResult, pool: string) =>
  r.seeds.map((s) => s.selection.find((x) => x.pool === pool)?.lost ?? NaN);
const label = (x: { mu: number; nu: number }) => `μ=${x.mu} ν=${x.nu}`;

export const rankme = definePaper<RankMeConfig, RankMeResult, RankMeSeedRun>({
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
      seeds: [0, 1, 2],
    },
  },
  runSeed: runRankMeSeed,
  combine: (seeds) => ({ seeds }),
  checks(r, cfg) {
    const n = r.seeds.length;
    const out = [];
    // The paper's use: RankMe picks within one sweep of one hyperparameter.
    const lostWithin = SWEEPS.flatMap((p) => lostIn(r, p)).filter(Number.isFinite);
    const within = tInterval(lostWithin);
    out.push(
      evidence(
        `Within each one-hyperparameter sweep, picking the max-RankMe run loses little probe accuracy against the label-based oracle: accuracy(oracle) − accuracy(pick), over ${SWEEPS.join(" and ")} × ${n} seeds`,
        within,
        "95% interval ≤ 0.01",
        atMost(within, 0.01),
        { seeds: n, figure: "rankme-scatter" },
      ),
    );
    for (const p of SWEEPS) {
      const rhos = r.seeds.map((s) => s.spearman[p]).filter(Number.isFinite);
      if (rhos.length === 0) continue;
      const values = p === "ν-sweep" ? cfg.covWeights : cfg.varWeights;
      const crit = values.length === 6 ? RHO_CRIT_6 : 0.8;
      out.push(
        evidence(
          `RankMe tracks probe accuracy within the ${p} (${values.length} values): Spearman(RankMe, probe accuracy) of every seed`,
          tInterval(rhos),
          `every seed ≥ ${crit}${values.length === 6 ? " (one-sided 5% critical value for 6 runs)" : ""}`,
          rhos.length === n && Math.min(...rhos) >= crit,
          { seeds: n, figure: "rankme-scatter" },
        ),
      );
    }
    const pooled = tInterval(lostIn(r, "all runs"));
    out.push(
      evidence(
        "Second check, pooled rule: picking the max-RankMe run over both sweeps together loses little probe accuracy against the oracle",
        pooled,
        "95% interval ≤ 0.01",
        atMost(pooled, 0.01),
        { seeds: n, figure: "rankme-norm" },
      ),
    );
    return out;
  },
  figures(r) {
    const all = r.seeds.flatMap((s) =>
      s.runs.flatMap((x) =>
        x.sweeps.map((sweep) => ({
          run: label(x),
          seed: `seed ${s.seed}`,
          sweep,
          rankMe: x.rankMe,
          rankMeCentred: x.rankMeCentred,
          embNorm: x.embNorm,
          probeAcc: x.probeAcc,
        })),
      ),
    );
    const s0 = r.seeds[0];
    const note = r.seeds.length > 1 ? ` (seed ${s0.seed})` : "";
    return [
      {
        name: "rankme-scatter",
        spec: scatterChart(all, {
          x: "rankMe",
          y: "probeAcc",
          color: "sweep",
          facet: "seed",
          logX: true,
          title: "RankMe of the embeddings vs linear-probe accuracy, per sweep and seed",
          xTitle: "RankMe (embeddings, no labels; log scale)",
          yTitle: "ridge-probe accuracy (held-out digits)",
        }),
      },
      {
        name: "rankme-norm",
        spec: scatterChart(all, {
          x: "embNorm",
          y: "rankMe",
          color: "sweep",
          facet: "seed",
          logX: true,
          title: "RankMe against the mean embedding norm: collapsed runs sit at tiny norms",
          xTitle: "mean ‖embedding‖ (log scale)",
          yTitle: "RankMe (embeddings)",
        }),
      },
      {
        name: "rankme-training",
        spec: lineChart(s0.trajectory, {
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
      "runs per seed": first.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "best probe accuracy (mean over seeds)": mean(seeds.map((s) => Math.max(...s.runs.map((x) => x.probeAcc)))),
      "Spearman, all runs pooled (embedding RankMe, mean over seeds)": mean(seeds.map((s) => s.spearmanAllRuns)),
      "Spearman, all runs pooled (representation RankMe, mean over seeds)": mean(
        seeds.map((s) => s.spearmanAllRunsRepresentationRank),
      ),
    };
    for (const p of [...SWEEPS, "all runs"]) {
      if (p !== "all runs") out[`${p}: Spearman (mean over seeds)`] = mean(seeds.map((s) => s.spearman[p]));
      out[`${p}: accuracy lost (mean over seeds)`] = mean(lostIn(r, p));
    }
    for (const s of seeds) {
      for (const p of SWEEPS) out[`seed ${s.seed}, ${p}: Spearman`] = s.spearman[p];
      for (const sel of s.selection) {
        out[`seed ${s.seed}, ${sel.pool}: RankMe pick`] = `${sel.rankMePick} (accuracy ${sel.rankMeAcc.toFixed(3)})`;
        out[`seed ${s.seed}, ${sel.pool}: oracle pick`] = `${sel.oraclePick} (accuracy ${sel.oracleAcc.toFixed(3)})`;
        out[`seed ${s.seed}, ${sel.pool}: accuracy lost`] = sel.lost;
      }
      // Per run: the table the reading quotes (centred RankMe and the norms beside RankMe).
      for (const x of s.runs) {
        const k = `seed ${s.seed}, ${label(x)}`;
        out[`${k}: RankMe`] = x.rankMe;
        out[`${k}: centred RankMe`] = x.rankMeCentred;
        out[`${k}: mean embedding norm`] = x.embNorm;
        out[`${k}: norm of the mean embedding`] = x.meanNorm;
        out[`${k}: embedding std`] = x.embStd;
        out[`${k}: RankMe (representation)`] = x.rankMeRep;
        out[`${k}: probe accuracy`] = x.probeAcc;
      }
    }
    out["training seconds"] = trainSec;
    out["probe seconds"] = probeSec;
    out["probe overhead (fraction of training time)"] = probeSec / trainSec;
    return out;
  },
});
