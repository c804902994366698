// Ge, Yang, Jin et al. (ICLR'24): MLE pretraining on m unlabelled points + ERM on n labelled
// points has excess risk Õ(√(C_Φ/m) + √(C_Ψ/n)) against Õ(√(C_{Φ∘Ψ}/n)) for supervised
// learning alone. Gaussian factor model, exact excess risk.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { PretrainConfig, PretrainResult, PretrainSeedRun, runPretrainSeed } from "./run";

const base: PretrainConfig = {
  seeds: [0, 1, 2, 3, 4],
  d: 100,
  r: 3,
  loadingStd: 0.3,
  strongLoadingStd: 1,
  labelNoise: 0.5,
  ms: [100, 1000, 10000],
  ns: [25, 50, 100, 200, 400],
  headlineN: 100,
  headlineM: 10000,
  ridgeGrid: [0.1, 1, 10, 100, 1000],
  mcPoints: 20000,
};

const pre = (x: PretrainSeedRun, m: number, n: number) =>
  (x.pretrain.find((p) => p.m === m && p.n === n) as PretrainSeedRun["pretrain"][0]).excess;
const rid = (x: PretrainSeedRun, n: number) => (x.ridge.find((p) => p.n === n) as PretrainSeedRun["ridge"][0]).excess;
const ln = Math.log;

export const pretrainingAdvantage = definePaper<PretrainConfig, PretrainResult, PretrainSeedRun>({
  id: "pretraining-advantage",
  citation: {
    authors: ["Jiawei Ge", "Shange Tang", "Jianqing Fan", "Chi Jin"],
    title: "On the Provable Advantage of Unsupervised Pretraining",
    venue: "ICLR",
    year: 2024,
    arxiv: "2303.01566",
  },
  claim:
    "Maximum-likelihood pretraining on m unlabelled points followed by ERM on n labelled points reaches excess risk Õ(√(C_Φ/m) + √(C_Ψ/n)), below supervised learning's Õ(√(C_{Φ∘Ψ}/n)) when unlabelled data are plentiful and the model is informative; on a factor model, pretraining + OLS beats tuned ridge and improves with m.",
  presets: {
    smoke: { ...base, seeds: [0], d: 20, ms: [100, 1000], ns: [25, 100], headlineM: 1000, mcPoints: 2000 },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      ms: [100, 1000, 10000, 30000],
      ns: [25, 50, 100, 200, 400, 800],
    },
  },
  runSeed: runPretrainSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const n = cfg.headlineN;
    const M = cfg.headlineM;
    const m0 = cfg.ms[0];
    const ratio = pairedDifference(
      r.runs.map((x) => ln(pre(x, M, n))),
      r.runs.map((x) => ln(rid(x, n))),
    );
    const mGain = pairedDifference(
      r.runs.map((x) => pre(x, m0, n)),
      r.runs.map((x) => pre(x, M, n)),
    );
    const strong = pairedDifference(
      r.runs.map((x) => ln(x.strong.pretrain)),
      r.runs.map((x) => ln(x.strong.ridge)),
    );
    const mcErr = Math.max(...r.runs.map((x) => Math.abs(x.mcCheck.monteCarlo / x.mcCheck.closedForm - 1)));
    return [
      evidence(
        `Pretraining (m = ${M}) + OLS beats LOOCV-tuned ridge at n = ${n}: paired difference of ln excess risk (pretrain − ridge)`,
        ratio,
        "95% interval below ln 0.3 = −1.204 (pretraining ≤ 0.3× ridge)",
        below(ratio, ln(0.3)),
        { figure: "pretraining-advantage-excess-vs-n" },
      ),
      evidence(
        `More unlabelled data helps: paired difference of excess risk at n = ${n}, m = ${m0} − m = ${M}`,
        mGain,
        "95% interval above 0",
        above(mGain, 0),
        { figure: "pretraining-advantage-excess-vs-m" },
      ),
      evidence(
        `Control, strong loadings (B ~ N(0, ${cfg.strongLoadingStd}²)): ridge nearly matches pretraining; paired difference of ln excess risk (pretrain − ridge)`,
        strong,
        "95% interval above ln 0.5 = −0.693 (advantage under 2×)",
        above(strong, ln(0.5)),
        { figure: "pretraining-advantage-excess-vs-n" },
      ),
      sanity(
        `Closed-form excess risk (w − w*)ᵀΣ(w − w*) matches a Monte Carlo estimate on ${cfg.mcPoints} fresh points (largest relative gap)`,
        mcErr,
        "below 0.05",
        mcErr < 0.05,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r, cfg) {
    const byN = cfg.ns.flatMap((n) => [
      ...cfg.ms.map((m) => ({
        n,
        method: `pretrain m = ${m} + OLS`,
        excess: Math.exp(tInterval(r.runs.map((x) => ln(pre(x, m, n)))).mean),
      })),
      { n, method: "ridge (LOOCV)", excess: Math.exp(tInterval(r.runs.map((x) => ln(rid(x, n)))).mean) },
    ]);
    const byM = cfg.ms.map((m) => ({
      m,
      series: `n = ${cfg.headlineN}`,
      excess: Math.exp(tInterval(r.runs.map((x) => ln(pre(x, m, cfg.headlineN)))).mean),
    }));
    return [
      {
        name: "pretraining-advantage-excess-vs-n",
        spec: lineChart(byN, {
          x: "n",
          y: "excess",
          color: "method",
          logX: true,
          logY: true,
          title: `Excess risk vs labelled n (geometric mean over ${r.runs.length} seeds)`,
          xTitle: "labelled examples n",
          yTitle: "excess risk over the Bayes predictor",
        }),
      },
      {
        name: "pretraining-advantage-excess-vs-m",
        spec: lineChart(byM, {
          x: "m",
          y: "excess",
          color: "series",
          logX: true,
          logY: true,
          title: "Excess risk of pretraining + OLS vs unlabelled m",
          xTitle: "unlabelled examples m",
          yTitle: "excess risk",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = { seeds: r.runs.length };
    const n = cfg.headlineN;
    for (const m of cfg.ms)
      out[`pretrain excess risk n=${n} m=${m} (mean)`] = tInterval(r.runs.map((x) => pre(x, m, n))).mean;
    for (const nn of cfg.ns) out[`ridge excess risk n=${nn} (mean)`] = tInterval(r.runs.map((x) => rid(x, nn))).mean;
    for (const nn of cfg.ns)
      out[`pretrain excess risk n=${nn} m=${cfg.headlineM} (mean)`] = tInterval(
        r.runs.map((x) => pre(x, cfg.headlineM, nn)),
      ).mean;
    out["ratio pretrain/ridge at headline (geometric mean)"] = Math.exp(
      tInterval(r.runs.map((x) => ln(pre(x, cfg.headlineM, n) / rid(x, n)))).mean,
    );
    out["strong loadings: pretrain excess (mean)"] = tInterval(r.runs.map((x) => x.strong.pretrain)).mean;
    out["strong loadings: ridge excess (mean)"] = tInterval(r.runs.map((x) => x.strong.ridge)).mean;
    out["strong loadings: ratio (geometric mean)"] = Math.exp(
      tInterval(r.runs.map((x) => ln(x.strong.pretrain / x.strong.ridge))).mean,
    );
    out[`ridge alpha at n=${n} (per seed)`] = r.runs
      .map((x) => (x.ridge.find((p) => p.n === n) as PretrainSeedRun["ridge"][0]).alpha)
      .join(", ");
    return out;
  },
});
