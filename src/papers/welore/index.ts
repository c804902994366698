// WeLore (Jaiswal et al., ICML 2025): non-uniform rank cuts from one normalised-spectrum
// threshold, measured on a deep MNIST MLP, and the gradient stable rank as their predictor.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart, scatterChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { runWeloreSeed, WeloreConfig, WeloreSeedRun } from "./run";

export interface WeloreResult {
  runs: WeloreSeedRun[];
}

const base: WeloreConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [256, 256, 256, 256],
  epochs: 6,
  batchSize: 128,
  lr: 1e-3,
  target: 0.5,
  minRatio: 0,
  gradBatch: 512,
  char: { target: 0.5, minRatio: 0, parts: 5, evalWindows: 140, gradWindows: 128 },
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const welore = definePaper<WeloreConfig, WeloreResult, WeloreSeedRun>({
  id: "welore",
  citation: {
    authors: ["Ajay Jaiswal", "Lu Yin", "Zhenyu Zhang", "Shiwei Liu", "Jiawei Zhao", "Yuandong Tian", "Zhangyang Wang"],
    title: "From GaLore to WeLore: How Low-Rank Weights Non-uniformly Emerge from Low-Rank Gradients",
    venue: "ICML",
    year: 2025,
    arxiv: "2407.11239",
    code: "https://github.com/VITA-Group/WeLore",
  },
  claim:
    "Low-rank structure emerges non-uniformly across layers, where the gradient is low-rank; so a single threshold on " +
    "normalised singular values (non-uniform rank cuts) loses less than a uniform cut of the same size, and a low gradient " +
    "stable rank predicts which layers can be cut most.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      examples: 800,
      hidden: [64, 64, 64],
      epochs: 2,
      gradBatch: 128,
      char: { ...base.char, evalWindows: 20, gradWindows: 16 },
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], examples: 9000, epochs: 12 },
  },
  runSeed: runWeloreSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const gain = pairedDifference(
      r.runs.map((x) => x.uniformLoss),
      r.runs.map((x) => x.weloreLoss),
    );
    const rho = tInterval(r.runs.map((x) => x.spearmanGradSR));
    const floatAcc = tInterval(r.runs.map((x) => x.floatAcc));
    const target = r.runs[0].target;
    const budgetOk = r.runs.every((x) => x.uniformReduction >= x.reduction - 1e-12);
    const spread = r.runs.map((x) => {
      const f = x.layers.map((l) => 1 - l.weloreKeep / l.rank);
      return Math.max(...f) - Math.min(...f);
    });
    const charGain = pairedDifference(
      r.runs.map((x) => x.char.uniformLoss),
      r.runs.map((x) => x.char.weloreLoss),
    );
    const charRho = tInterval(r.runs.map((x) => x.char.spearmanGradSR));
    return [
      evidence(
        "Char transformer: at the same factored budget, WeLore's non-uniform cut of the 12 attention/MLP matrices raises the held-out loss less than a uniform cut",
        charGain,
        "95% interval of the paired difference (uniform − WeLore held-out loss, nats) above 0",
        above(charGain, 0),
        { figure: "welore-char-ranks" },
      ),
      evidence(
        "Char transformer: a low gradient stable rank predicts a large WeLore cut (Spearman over the 12 matrices)",
        charRho,
        "95% interval of the per-seed Spearman correlation below 0",
        below(charRho, 0),
        { figure: "welore-char-gradient-stable-rank" },
      ),
      sanity(
        "Char transformer: bisection hits the target and the uniform cut never keeps more than WeLore's budget",
        r.runs.map((x) => `${x.char.reduction.toFixed(4)} / ${x.char.uniformReduction.toFixed(4)}`).join("; "),
        `WeLore reduction ≥ ${cfg.char.target}, uniform reduction ≥ WeLore's, every seed`,
        r.runs.every((x) => x.char.reduction >= cfg.char.target && x.char.uniformReduction >= x.char.reduction - 1e-12),
        { seeds: r.runs.length },
      ),
      evidence(
        "At the same factored budget, WeLore's non-uniform rank cut raises the test loss less than a uniform cut",
        gain,
        "95% interval of the paired difference (uniform − WeLore test loss, nats) above 0",
        above(gain, 0),
        { figure: "welore-ranks" },
      ),
      evidence(
        "A low gradient stable rank predicts a large WeLore cut: Spearman(gradient stable rank, pruned fraction) over layers",
        rho,
        "95% interval of the per-seed Spearman correlation below 0",
        below(rho, 0),
        { figure: "welore-gradient-stable-rank" },
      ),
      sanity(
        "The float base model learns the digits",
        floatAcc,
        "95% interval of test accuracy above 0.9",
        above(floatAcc, 0.9),
      ),
      sanity(
        "Bisection hits the target and the uniform cut never keeps more than WeLore's budget",
        r.runs.map((x) => `${x.reduction.toFixed(4)} / ${x.uniformReduction.toFixed(4)}`).join("; "),
        `WeLore reduction ≥ ${target}, uniform reduction ≥ WeLore's, every seed`,
        r.runs.every((x) => x.reduction >= target) && budgetOk,
        { seeds: r.runs.length },
      ),
      evidence(
        "Low-rank structure is non-uniform: the global threshold cuts layers unevenly (max − min pruned fraction over layers)",
        tInterval(spread),
        "95% interval above 0.1",
        above(tInterval(spread), 0.1),
        { figure: "welore-ranks" },
      ),
    ];
  },
  figures(r) {
    const first = r.runs[0];
    const ranks = first.layers.flatMap((l) => [
      { layer: `${l.layer} WeLore`, cut: "WeLore", "kept fraction": l.weloreKeep / l.rank },
      { layer: `${l.layer} uniform`, cut: "uniform", "kept fraction": l.uniformKeep / l.rank },
    ]);
    const pts = r.runs.flatMap((x) =>
      x.layers.map((l) => ({
        "gradient stable rank": l.gradStableRank,
        "pruned fraction": 1 - l.weloreKeep / l.rank,
        layer: l.layer,
      })),
    );
    const spectra = first.layers.flatMap((l) =>
      l.normSpectrum.map((v, k) => ({ layer: l.layer, "index / rank": (k + 1) / l.rank, "normalised σ": v })),
    );
    const charRanks = first.char.matrices.flatMap((l) => [
      { matrix: `${l.name} WeLore`, cut: "WeLore", "kept fraction": l.weloreKeep / l.rank },
      { matrix: `${l.name} uniform`, cut: "uniform", "kept fraction": l.uniformKeep / l.rank },
    ]);
    const charPts = r.runs.flatMap((x) =>
      x.char.matrices.map((l, i) => ({
        "gradient stable rank": l.gradStableRank,
        "pruned fraction": 1 - l.weloreKeep / l.rank,
        matrix: x.char.matrices[i].name,
      })),
    );
    return [
      {
        name: "welore-char-ranks",
        spec: barChart(charRanks, {
          x: "matrix",
          y: "kept fraction",
          color: "cut",
          title: `Char transformer: kept rank fraction per matrix at the same budget (τ = ${first.char.tau.toFixed(3)})`,
        }),
      },
      {
        name: "welore-char-gradient-stable-rank",
        spec: scatterChart(charPts, {
          x: "gradient stable rank",
          y: "pruned fraction",
          color: "matrix",
          title: "Char transformer: gradient stable rank (one training slice per seed) vs WeLore's pruned fraction",
        }),
      },
      {
        name: "welore-ranks",
        spec: barChart(ranks, {
          x: "layer",
          y: "kept fraction",
          color: "cut",
          title: `Kept rank fraction per layer at the same budget (seed ${first.seed}, τ = ${first.tau.toFixed(3)})`,
        }),
      },
      {
        name: "welore-gradient-stable-rank",
        spec: scatterChart(pts, {
          x: "gradient stable rank",
          y: "pruned fraction",
          color: "layer",
          title: "Gradient stable rank (second half of training) vs WeLore's pruned fraction, all seeds",
        }),
      },
      {
        name: "welore-spectra",
        spec: lineChart(spectra, {
          x: "index / rank",
          y: "normalised σ",
          color: "layer",
          title: `Normalised singular values of each trained weight (seed ${first.seed})`,
        }),
      },
    ];
  },
  summary(r) {
    const m = (f: (x: WeloreSeedRun) => number) => mean(r.runs.map(f));
    const first = r.runs[0];
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "τ (mean)": m((x) => x.tau),
      "WeLore reduction (mean)": m((x) => x.reduction),
      "uniform reduction (mean)": m((x) => x.uniformReduction),
      "float test loss (mean)": m((x) => x.floatLoss),
      "float test accuracy (mean)": m((x) => x.floatAcc),
      "WeLore test loss (mean)": m((x) => x.weloreLoss),
      "WeLore test accuracy (mean)": m((x) => x.weloreAcc),
      "uniform test loss (mean)": m((x) => x.uniformLoss),
      "uniform test accuracy (mean)": m((x) => x.uniformAcc),
      "Spearman(gradient stable rank, pruned fraction) (mean)": m((x) => x.spearmanGradSR),
      "LRC count at minRatio (first seed)": first.layers.filter((l) => l.lrc).length,
    };
    const c = (f: (x: WeloreSeedRun["char"]) => number) => m((x) => f(x.char));
    Object.assign(out, {
      "char τ": first.char.tau,
      "char WeLore reduction": first.char.reduction,
      "char uniform reduction": first.char.uniformReduction,
      "char held-out predictions per seed": first.char.evalPredictions,
      "char base held-out loss (mean)": c((x) => x.baseLoss),
      "char base held-out accuracy (mean)": c((x) => x.baseAcc),
      "char WeLore held-out loss (mean)": c((x) => x.weloreLoss),
      "char WeLore held-out accuracy (mean)": c((x) => x.weloreAcc),
      "char uniform held-out loss (mean)": c((x) => x.uniformLoss),
      "char uniform held-out accuracy (mean)": c((x) => x.uniformAcc),
      "char Spearman(gradient stable rank, pruned fraction) (mean)": c((x) => x.spearmanGradSR),
    });
    first.char.matrices.forEach((l) => {
      out[`char ${l.name} ${l.shape[0]}×${l.shape[1]} kept rank WeLore / uniform`] =
        `${l.weloreKeep} / ${l.uniformKeep}`;
    });
    first.layers.forEach((l) => {
      out[`${l.layer} ${l.shape[0]}×${l.shape[1]} kept rank WeLore / uniform (first seed)`] =
        `${l.weloreKeep} / ${l.uniformKeep}`;
      out[`${l.layer} gradient stable rank (mean)`] = m(
        (x) => x.layers.find((y) => y.layer === l.layer)!.gradStableRank,
      );
    });
    return out;
  },
});
