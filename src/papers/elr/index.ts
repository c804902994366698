// Liu, Niles-Weed, Razavian & Fernandez-Granda, "Early-Learning Regularization Prevents
// Memorization of Noisy Labels" (NeurIPS'20).
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { ElrConfig, ElrResult, Method, METHODS, MethodRun, runElr } from "./run";

const base: ElrConfig = {
  seeds: [0, 1, 2],
  examples: 4000,
  testFraction: 0.2,
  valFraction: 0.2,
  noise: 0.6,
  hidden: [128, 128],
  epochs: 20,
  batchSize: 64,
  weightDecay: 5e-4,
  beta: 0.7,
  lambda: 3,
  lrGrid: [0.01, 0.03],
};

const get = (r: ElrResult, m: Method): MethodRun[] => r.seeds.map((s) => s.runs.find((x) => x.method === m)!);

export const elr = definePaper<ElrConfig, ElrResult>({
  id: "elr",
  citation: {
    authors: ["Sheng Liu", "Jonathan Niles-Weed", "Narges Razavian", "Carlos Fernandez-Granda"],
    title: "Early-Learning Regularization Prevents Memorization of Noisy Labels",
    venue: "NeurIPS",
    year: 2020,
    arxiv: "2007.00151",
    code: "https://github.com/shengliu66/ELR",
  },
  claim:
    "Networks fit clean labels first and memorise noisy ones later; pulling predictions toward temporal-ensemble targets from the early phase (ELR) prevents the memorisation and beats cross-entropy under heavy label noise.",
  presets: {
    smoke: { ...base, seeds: [0], examples: 600, hidden: [32, 32], epochs: 2, lrGrid: [0.03] },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], examples: 10000, hidden: [512, 512], epochs: 40 },
  },
  run: runElr,
  checks(r, cfg) {
    const acc = (m: Method) => get(r, m).map((x) => x.testAcc);
    const mem = (m: Method) => get(r, m).map((x) => x.memorized);
    const noiseOk = r.seeds.every((s) => Math.abs(s.noisyFraction - cfg.noise) < 1e-3);
    return [
      pairedCheck(
        `Under ${cfg.noise * 100}% symmetric noise ELR beats cross-entropy on clean test accuracy by at least 5 points: ELR − CE`,
        acc("elr"),
        acc("cross-entropy"),
        "greater",
        { margin: 0.05, figure: "elr-test-accuracy", what: "test accuracy, ELR − CE" },
      ),
      pairedCheck(
        "ELR memorises less than half as many mislabelled training points as cross-entropy: ½·memorised(CE) − memorised(ELR)",
        mem("cross-entropy").map((v) => v / 2),
        mem("elr"),
        "greater",
        { figure: "elr-memorized", what: "½·CE − ELR, fraction of noisy points fitted" },
      ),
      sanity(
        "The noisy fraction of the training labels is the configured one, every seed (by construction)",
        r.seeds.map((s) => s.noisyFraction.toFixed(3)).join(", "),
        `each within 0.001 of ${cfg.noise}`,
        noiseOk,
        { seeds: r.seeds.length },
      ),
    ];
  },
  figures(r) {
    const hist = (key: "testAcc" | "memorized") =>
      r.seeds.flatMap((s) =>
        s.runs.flatMap((x) =>
          x.history.map((h) => ({ epoch: h.epoch, value: h[key], series: `${x.method}, seed ${s.seed}` })),
        ),
      );
    const bars = METHODS.flatMap((m) =>
      (["testAcc", "memorized"] as const).map((k) => {
        const iv = tInterval(get(r, m).map((x) => x[k]));
        return {
          run: `${m} ${k === "testAcc" ? "test accuracy" : "memorised"}`,
          value: iv.mean,
          ci: r.seeds.length > 1 ? (iv.hi - iv.lo) / 2 : 0,
        };
      }),
    );
    return [
      {
        name: "elr-test-accuracy",
        spec: lineChart(hist("testAcc"), {
          x: "epoch",
          y: "value",
          color: "series",
          title: "Clean test accuracy per epoch",
          yTitle: "test accuracy",
        }),
      },
      {
        name: "elr-memorized",
        spec: lineChart(hist("memorized"), {
          x: "epoch",
          y: "value",
          color: "series",
          title: "Mislabelled training points predicted as their noisy label",
          yTitle: "fraction memorised",
        }),
      },
      {
        name: "elr-final",
        spec: barChart(bars, { x: "run", y: "value", error: "ci", title: "Final values, mean ± 95% CI" }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      trainExamples: r.trainExamples,
      testExamples: r.testExamples,
    };
    for (const m of METHODS) {
      const runs = get(r, m);
      out[`lr ${m}`] = r.selection[m].best;
      out[`test accuracy ${m} (mean)`] = tInterval(runs.map((x) => x.testAcc)).mean;
      out[`memorised ${m} (mean)`] = tInterval(runs.map((x) => x.memorized)).mean;
      out[`best-epoch test accuracy ${m} (mean)`] = tInterval(
        runs.map((x) => Math.max(...x.history.map((h) => h.testAcc))),
      ).mean;
    }
    return out;
  },
});
