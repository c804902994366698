// Hao, Gong & Liu (ICLR'24): BO-REP (normalised-momentum upper updates, initialisation
// refinement and periodic lower-level updates) on data hyper-cleaning with closed-form
// second-order terms; a stress test scales the upper loss ×100.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { BoRepConfig, BoRepResult, BoRepSeedRun, MethodRun, runBoRepSeed } from "./run";

const base: BoRepConfig = {
  seeds: [0, 1, 2],
  train: 2000,
  upper: 400,
  select: 200,
  test: 2000,
  noise: 0.4,
  steps: 500,
  period: 2,
  innerSteps: 5,
  warmStart: 200,
  batch: 128,
  innerLr: 0.5,
  mu: 1e-3,
  nu: 0.05,
  beta: 0.9,
  etaGridBoRep: [0.1, 0.3, 1],
  etaGridSgd: [30, 100, 300],
  stressScale: 100,
  every: 25,
};

type Method = "erm" | "boRep" | "sgd" | "boRepStress" | "sgdStress";
const LABELS: Record<Method, string> = {
  erm: "noisy ERM (λ frozen)",
  boRep: "BO-REP",
  sgd: "plain SGD on λ",
  boRepStress: "BO-REP, upper loss ×100",
  sgdStress: "plain SGD, upper loss ×100",
};
const METHODS = Object.keys(LABELS) as Method[];
const col = (r: BoRepResult, m: Method, f: (x: MethodRun) => number) => r.runs.map((run) => f(run[m]));
const acc = (x: MethodRun) => x.testAcc;

export const boRep = definePaper<BoRepConfig, BoRepResult, BoRepSeedRun>({
  id: "bo-rep",
  citation: {
    authors: ["Jie Hao", "Xiaochuan Gong", "Mingrui Liu"],
    title: "Bilevel Optimization under Unbounded Smoothness: A New Algorithm and Convergence Analysis",
    venue: "ICLR",
    year: 2024,
    arxiv: "2401.09587",
    code: "https://github.com/MingruiLiu-ML-Lab/Bilevel-Optimization-under-Unbounded-Smoothness",
  },
  claim:
    "BO-REP (normalised momentum on the upper variable, a refined lower-level initialisation and periodic lower-level updates) solves data hyper-cleaning: its learned example weights separate clean from corrupted labels and its model beats ERM on the noisy data, and its normalised update stays stable when the upper loss is scaled up.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      train: 300,
      upper: 100,
      select: 100,
      test: 300,
      steps: 40,
      warmStart: 20,
      etaGridBoRep: [0.3],
      etaGridSgd: [100],
      every: 10,
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], train: 4000, upper: 800, test: 3000, steps: 1500 },
  },
  runSeed: runBoRepSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const auc = tInterval(col(r, "boRep", (x) => x.auc));
    const gain = pairedDifference(col(r, "boRep", acc), col(r, "erm", acc));
    const stress = pairedDifference(col(r, "boRepStress", acc), col(r, "sgdStress", acc));
    const maxGap = Math.max(...r.runs.map((x) => x.boRepScaleGap));
    const noNaN = r.runs.every((x) => !x.boRep.diverged && !x.boRepStress.diverged);
    const lossDown = r.runs.every(
      (x) => x.boRep.upperLoss[x.boRep.upperLoss.length - 1].loss < x.boRep.upperLoss[0].loss,
    );
    return [
      evidence(
        "BO-REP's weights σ(λ) rank clean above corrupted training examples (AUC)",
        auc,
        "95% interval above 0.85",
        above(auc, 0.85),
        { figure: "bo-rep-test-accuracy" },
      ),
      evidence(
        "BO-REP's model beats ERM on the noisy labels: paired difference of test accuracy (BO-REP − noisy ERM)",
        gain,
        "95% interval above 0.05 (5 points)",
        above(gain, 0.05),
        { figure: "bo-rep-test-accuracy" },
      ),
      evidence(
        `Stress test, upper loss ×${cfg.stressScale} at each method's chosen step: paired difference of test accuracy (BO-REP − plain SGD)`,
        stress,
        "95% interval above 0",
        above(stress, 0),
        { figure: "bo-rep-upper-loss" },
      ),
      sanity(
        `BO-REP's update is scale-free: max |λ(×${cfg.stressScale}) − λ(×1)| over examples and seeds`,
        maxGap,
        "below 1e-6 (only the ε in m/(‖m‖+ε) differs)",
        maxGap < 1e-6,
        { seeds: r.runs.length },
      ),
      sanity(
        "BO-REP never produced a NaN or overflow (×1 and stressed, every seed)",
        noNaN ? "all finite" : "some run overflowed",
        "all finite",
        noNaN,
        { seeds: r.runs.length },
      ),
      sanity(
        "BO-REP lowers the clean upper loss (first vs last recorded, every seed)",
        r.runs
          .map(
            (x) =>
              `${x.boRep.upperLoss[0].loss.toFixed(3)} → ${x.boRep.upperLoss[x.boRep.upperLoss.length - 1].loss.toFixed(3)}`,
          )
          .join("; "),
        "last < first for every seed",
        lossDown,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const bars = METHODS.map((m) => {
      const iv = tInterval(col(r, m, acc));
      return { method: LABELS[m], "test accuracy": iv.mean, half: r.runs.length > 1 ? iv.hi - iv.mean : 0 };
    });
    const first = r.runs[0];
    const curves = (["boRep", "sgd", "boRepStress", "sgdStress"] as Method[]).flatMap((m) => {
      const scale = m.endsWith("Stress") ? 100 : 1;
      return first[m].upperLoss.map((u) => ({ step: u.step, method: LABELS[m], "clean CE": u.loss / scale }));
    });
    return [
      {
        name: "bo-rep-test-accuracy",
        spec: barChart(bars, {
          x: "method",
          y: "test accuracy",
          error: "half",
          title: `Test accuracy, mean and 95% interval over ${r.runs.length} seeds`,
          yTitle: "test accuracy (fraction)",
        }),
      },
      {
        name: "bo-rep-upper-loss",
        spec: lineChart(curves, {
          x: "step",
          y: "clean CE",
          color: "method",
          title: `Upper-level loss (clean cross-entropy, unscaled) along training (seed ${first.seed})`,
          xTitle: "upper step t",
          yTitle: "cross-entropy on the upper-level clean set (nats)",
        }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      "corrupted training labels (first seed)": r.runs[0].corrupted,
    };
    for (const m of METHODS) {
      out[`${m} test accuracy (mean)`] = tInterval(col(r, m, acc)).mean;
      if (m !== "erm") out[`${m} AUC clean vs corrupted (mean)`] = tInterval(col(r, m, (x) => x.auc)).mean;
    }
    out["BO-REP selected eta (per seed)"] = r.runs.map((x) => x.boRep.eta).join(", ");
    out["SGD selected eta (per seed)"] = r.runs.map((x) => x.sgd.eta).join(", ");
    out["BO-REP minus SGD test accuracy at x1 (mean)"] = tInterval(
      r.runs.map((x) => x.boRep.testAcc - x.sgd.testAcc),
    ).mean;
    return out;
  },
});
