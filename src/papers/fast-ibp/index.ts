// Shi, Wang, Zhang, Yi & Hsieh, "Fast Certified Robust Training with Short Warmup" (NeurIPS'21).
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { sanity, evidence } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { FastIbpConfig, FastIbpResult, Method, MethodRun, runFastIbp } from "./run";

const base: FastIbpConfig = {
  seeds: [0, 1, 2],
  growthWidth: 256,
  growthDepth: 3,
  growthEps: 0.1,
  growthPoints: 200,
  examples: 3000,
  testFraction: 0.2,
  valFraction: 0.2,
  width: 128,
  depth: 3,
  eps: 0.1,
  rampStart: 1 / 6,
  rampEnd: 4 / 6,
  epochs: 6,
  batchSize: 100,
  lrGrid: [1e-3, 3e-3],
  regLambda: 0.5,
  tau: 0.5,
  gradClip: 10,
};

const get = (r: FastIbpResult, m: Method): MethodRun[] => r.seeds.map((s) => s.runs.find((x) => x.method === m)!);
/** Growth of the mean radius from one hidden pre-activation to the next, all layer pairs and seeds. */
const growths = (r: FastIbpResult, init: "he" | "ibp") =>
  r.seeds.flatMap((s) => s.radii[init].slice(1).map((v, i) => v / s.radii[init][i]));

export const fastIbp = definePaper<FastIbpConfig, FastIbpResult>({
  id: "fast-ibp",
  citation: {
    authors: ["Zhouxing Shi", "Yihan Wang", "Huan Zhang", "Jinfeng Yi", "Cho-Jui Hsieh"],
    title: "Fast Certified Robust Training with Short Warmup",
    venue: "NeurIPS",
    year: 2021,
    arxiv: "2103.17268",
    code: "https://github.com/shizhouxing/Fast-Certified-Robust-Training",
  },
  claim:
    "Standard initialisations make IBP bounds explode with depth; the IBP initialisation, BatchNorm and two warm-up regularisers keep them stable, so a short warm-up schedule reaches lower verified error than vanilla IBP training.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      growthWidth: 64,
      growthPoints: 20,
      examples: 600,
      width: 32,
      epochs: 1,
      lrGrid: [1e-3],
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], examples: 10000, width: 256, epochs: 20 },
  },
  run: runFastIbp,
  checks(r, cfg) {
    const he = growths(r, "he");
    const ibp = growths(r, "ibp");
    const theory = Math.sqrt(cfg.growthWidth / Math.PI);
    const heOk = he.every((g) => Math.abs(g / theory - 1) <= 0.15);
    const ibpOk = ibp.every((g) => g >= 0.8 && g <= 1.25);
    const fmt = (xs: number[]) => `${Math.min(...xs).toFixed(2)} – ${Math.max(...xs).toFixed(2)}`;
    const certOk = r.seeds.every((s) => s.runs.every((x) => x.certified <= x.clean));
    return [
      evidence(
        `At init the IBP radius grows by √(n/π) = ${theory.toFixed(2)} per ReLU layer under He init (n = ${cfg.growthWidth}): growth between hidden layers`,
        fmt(he),
        `every growth within 15% of ${theory.toFixed(2)}`,
        heOk,
        { seeds: r.seeds.length, figure: "fast-ibp-growth" },
      ),
      evidence(
        "At init the IBP initialisation keeps the radius constant per ReLU layer: growth between hidden layers",
        fmt(ibp),
        "every growth in [0.8, 1.25]",
        ibpOk,
        { seeds: r.seeds.length, figure: "fast-ibp-growth" },
      ),
      pairedCheck(
        `With a short warm-up, the fast recipe (IBP init + BN + regularisers) certifies more at ε = ${cfg.eps} than vanilla IBP: certified test accuracy, fast − vanilla (verified error ≥ 3 points lower)`,
        get(r, "fast").map((x) => x.certified),
        get(r, "vanilla").map((x) => x.certified),
        "greater",
        { margin: 0.03, figure: "fast-ibp-accuracy", what: "certified accuracy, fast − vanilla" },
      ),
      sanity(
        "Certified accuracy never exceeds clean accuracy (every run)",
        r.seeds
          .flatMap((s) => s.runs.map((x) => `${x.method} ${x.certified.toFixed(3)} ≤ ${x.clean.toFixed(3)}`))
          .join("; "),
        "certified ≤ clean",
        certOk,
        { seeds: r.seeds.length },
      ),
    ];
  },
  figures(r) {
    const growth = r.seeds.flatMap((s) =>
      (["he", "ibp"] as const).flatMap((init) =>
        s.radii[init].map((v, l) => ({ layer: l + 1, radius: v, series: `${init} init, seed ${s.seed}` })),
      ),
    );
    const track = r.seeds.flatMap((s) =>
      s.runs.flatMap((x) =>
        x.track.map((t) => ({ step: t.step, certified: t.certified, series: `${x.method}, seed ${s.seed}` })),
      ),
    );
    const acc = (["vanilla", "fast"] as Method[]).flatMap((m) =>
      (["clean", "certified"] as const).map((k) => {
        const iv = tInterval(get(r, m).map((x) => x[k]));
        return { run: `${m} ${k}`, accuracy: iv.mean, ci: r.seeds.length > 1 ? (iv.hi - iv.lo) / 2 : 0 };
      }),
    );
    return [
      {
        name: "fast-ibp-growth",
        spec: lineChart(growth, {
          x: "layer",
          y: "radius",
          color: "series",
          logY: true,
          title: "Mean IBP radius of each hidden pre-activation at init",
          xTitle: "hidden layer",
          yTitle: "mean radius",
        }),
      },
      {
        name: "fast-ibp-training",
        spec: lineChart(track, {
          x: "step",
          y: "certified",
          color: "series",
          title: "Certified test accuracy during training",
          xTitle: "optimizer step",
          yTitle: "certified accuracy",
        }),
      },
      {
        name: "fast-ibp-accuracy",
        spec: barChart(acc, {
          x: "run",
          y: "accuracy",
          error: "ci",
          title: "Clean and certified test accuracy, mean ± 95% CI",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const mean = (m: Method, k: "clean" | "certified") => tInterval(get(r, m).map((x) => x[k])).mean;
    const g = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      seeds: r.seeds.length,
      trainExamples: r.trainExamples,
      testExamples: r.testExamples,
      "lr vanilla": r.selection.vanilla.best,
      "lr fast": r.selection.fast.best,
      "radius growth he (mean)": g(growths(r, "he")),
      "radius growth ibp (mean)": g(growths(r, "ibp")),
      "radius growth theory he": Math.sqrt(cfg.growthWidth / Math.PI),
      "clean accuracy vanilla (mean)": mean("vanilla", "clean"),
      "certified accuracy vanilla (mean)": mean("vanilla", "certified"),
      "clean accuracy fast (mean)": mean("fast", "clean"),
      "certified accuracy fast (mean)": mean("fast", "certified"),
      "verified error vanilla (mean)": 1 - mean("vanilla", "certified"),
      "verified error fast (mean)": 1 - mean("fast", "certified"),
    };
  },
});
