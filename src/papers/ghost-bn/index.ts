// Hoffer, Hubara & Soudry, "Train longer, generalize better: closing the generalization gap in
// large batch training of neural networks" (NeurIPS'17).
import { pearson } from "../../metrics/stats";
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { GhostBnConfig, GhostBnResult, Method, METHODS, MethodRun, runGhostBn, SeedRun } from "./run";

const base: GhostBnConfig = {
  seeds: [0, 1, 2, 3, 4],
  trainExamples: 6000,
  testExamples: 2000,
  valFraction: 1 / 6,
  hidden: [128, 128],
  distBatch: 64,
  distLr: 0.1,
  distSteps: 1500,
  distPoints: 40,
  distFitFrom: 50,
  smallBatch: 32,
  largeBatch: 256,
  ghostSize: 32,
  epochs: 4,
  lr0: 0.05,
  lrMultipliers: [1 / 3, 1, 3],
};

const get = (r: GhostBnResult, m: Method): MethodRun[] => r.seeds.map((s) => s.runs.find((x) => x.method === m)!);

/** R² of the least-squares fit distance ≈ a·f(t) + b over t ≥ from (the squared Pearson correlation). */
export function fitR2(d: SeedRun["distance"], from: number, f: (t: number) => number): number {
  const pts = d.filter((p) => p.step >= from);
  const c = pearson(
    pts.map((p) => f(p.step)),
    pts.map((p) => p.distance),
  );
  return c * c;
}

const r2 = (r: GhostBnResult, cfg: GhostBnConfig) => ({
  log: r.seeds.map((s) => fitR2(s.distance, cfg.distFitFrom, Math.log)),
  sqrt: r.seeds.map((s) => fitR2(s.distance, cfg.distFitFrom, Math.sqrt)),
});

export const ghostBn = definePaper<GhostBnConfig, GhostBnResult>({
  id: "ghost-bn",
  citation: {
    authors: ["Elad Hoffer", "Itay Hubara", "Daniel Soudry"],
    title: "Train longer, generalize better: closing the generalization gap in large batch training of neural networks",
    venue: "NeurIPS",
    year: 2017,
    arxiv: "1705.08741",
    code: "https://github.com/eladhoffer/bigBatch",
  },
  claim:
    "Weights move from init like a random walk on a random potential (‖w_t − w_0‖ ∝ log t), so the large-batch generalization gap comes from too few updates: √-scaled learning rates, ghost batch norm and training longer (regime adaptation) close it.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      trainExamples: 600,
      testExamples: 200,
      hidden: [32, 32],
      distSteps: 60,
      distPoints: 8,
      distFitFrom: 5,
      largeBatch: 64,
      epochs: 1,
      lrMultipliers: [1],
    },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4],
      trainExamples: 20000,
      hidden: [256, 256],
      largeBatch: 1024,
      ghostSize: 64,
      epochs: 10,
    },
  },
  run: runGhostBn,
  checks(r, cfg) {
    const { log, sqrt } = r2(r, cfg);
    const logIv = tInterval(log);
    const acc = (m: Method) => get(r, m).map((x) => x.testAcc);
    const sb = get(r, "small-batch")[0];
    const lb = get(r, "large-batch")[0];
    const ra = get(r, "large+ghost-bn+regime")[0];
    const sbAcc = tInterval(acc("small-batch"));
    return [
      evidence(
        `Weight distance from init grows like log t: R² of ‖w_t − w_0‖ ≈ a·ln t + b over t ∈ [${cfg.distFitFrom}, ${cfg.distSteps}]`,
        logIv,
        "95% interval above 0.97",
        above(logIv, 0.97),
        { figure: "ghost-bn-distance" },
      ),
      pairedCheck("The log fit beats the √t fit: R²(log) − R²(√)", log, sqrt, "greater", {
        figure: "ghost-bn-distance",
        what: "R²(ln t) − R²(√t)",
      }),
      pairedCheck(
        `Large batches (${cfg.largeBatch}, √-scaled LR, same epochs) generalize worse: test accuracy, small − large batch`,
        acc("small-batch"),
        acc("large-batch"),
        "greater",
        { margin: 0.005, figure: "ghost-bn-accuracy", what: "test accuracy, small − large" },
      ),
      pairedCheck(
        `Ghost BN (chunks of ${cfg.ghostSize}) helps the large batch: test accuracy, large+ghost-bn − large`,
        acc("large+ghost-bn"),
        acc("large-batch"),
        "greater",
        { figure: "ghost-bn-accuracy", what: "test accuracy, ghost − plain BN" },
      ),
      pairedCheck(
        "Regime adaptation (as many updates as the small batch) closes the gap: test accuracy, regime − small batch, no worse than −0.5 points",
        acc("large+ghost-bn+regime"),
        acc("small-batch"),
        "greater",
        { margin: -0.005, figure: "ghost-bn-accuracy", what: "test accuracy, regime − small" },
      ),
      sanity(
        "Update counts as designed (regime adaptation matches the small batch's steps; the large batch takes batch-ratio fewer), and the small batch learns",
        `small ${sb.steps}, large ${lb.steps}, regime ${ra.steps}`,
        "regime = small; large = small / ratio (rounded); small-batch mean test accuracy above 0.5",
        ra.steps === sb.steps &&
          Math.abs(lb.steps - sb.steps / (cfg.largeBatch / cfg.smallBatch)) <= 0.5 &&
          sbAcc.mean > 0.5,
        { seeds: r.seeds.length },
      ),
    ];
  },
  figures(r, cfg) {
    const dist = r.seeds.flatMap((s) =>
      s.distance.map((p) => ({ step: p.step, distance: p.distance, seed: `seed ${s.seed}` })),
    );
    const acc = METHODS.map((m) => {
      const iv = tInterval(get(r, m).map((x) => x.testAcc));
      return { method: m, accuracy: iv.mean, ci: r.seeds.length > 1 ? (iv.hi - iv.lo) / 2 : 0 };
    });
    return [
      {
        name: "ghost-bn-distance",
        spec: lineChart(dist, {
          x: "step",
          y: "distance",
          color: "seed",
          logX: true,
          title: `‖w_t − w_0‖ under SGD (batch ${cfg.distBatch}, lr ${cfg.distLr}); a straight line on log t is the random-walk regime`,
          xTitle: "step t (log scale)",
          yTitle: "‖w_t − w_0‖",
        }),
      },
      {
        name: "ghost-bn-accuracy",
        spec: barChart(acc, { x: "method", y: "accuracy", error: "ci", title: "Test accuracy, mean ± 95% CI" }),
      },
    ];
  },
  summary(r, cfg) {
    const { log, sqrt } = r2(r, cfg);
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      "R2 log fit (mean)": tInterval(log).mean,
      "R2 sqrt fit (mean)": tInterval(sqrt).mean,
    };
    for (const m of METHODS) {
      out[`lr ${m}`] = r.selection[m].best;
      out[`steps ${m}`] = get(r, m)[0].steps;
      out[`test accuracy ${m} (mean)`] = tInterval(get(r, m).map((x) => x.testAcc)).mean;
    }
    return out;
  },
});
