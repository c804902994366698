// Mao, Müller, Fischer & Vechev, "Understanding Certified Training with Interval Bound
// Propagation" (ICLR'24): IBP tightness at init and after standard vs IBP training.
import { fail } from "../../core/validate";
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { IbpTightnessConfig, IbpTightnessResult, Method, MethodRun, runIbpTightness } from "./run";

const base: IbpTightnessConfig = {
  seeds: [0, 1, 2, 3, 4],
  initWidths: [64, 128, 256],
  initDepths: [1, 2, 3],
  linearInput: 784,
  examples: 3000,
  testFraction: 0.2,
  valFraction: 0.2,
  depth: 2,
  width: 256,
  widthPair: [64, 256],
  eps: 0.1,
  rampStart: 1 / 6,
  rampEnd: 4 / 6,
  cleanWeight: 0.5,
  epochs: 6,
  batchSize: 100,
  lrGrid: [3e-4, 1e-3, 3e-3],
  tightnessPoints: 200,
  trackPoints: 6,
};

const get = (r: IbpTightnessResult, m: Method): MethodRun[] => r.seeds.map((s) => s.runs.find((x) => x.method === m)!);
const log10 = (v: number) => Math.log(v) / Math.LN10;
const initRatios = (r: IbpTightnessResult) => r.seeds.flatMap((s) => s.init.map((i) => i.linear / i.theory));

/** τ at init falls with width at every depth and with depth at every width (every seed). */
function monotone(r: IbpTightnessResult, key: "linear" | "relu"): boolean {
  return r.seeds.every((s) =>
    s.init.every((a) =>
      s.init.every((b) => {
        if (a.depth === b.depth && b.width > a.width) return b[key] < a[key];
        if (a.width === b.width && b.depth > a.depth) return b[key] < a[key];
        return true;
      }),
    ),
  );
}

export const ibpTightnessPaper = definePaper<IbpTightnessConfig, IbpTightnessResult>({
  id: "ibp-tightness",
  citation: {
    authors: ["Yuhao Mao", "Mark Niklas Müller", "Marc Fischer", "Martin Vechev"],
    title: "Understanding Certified Training with Interval Bound Propagation",
    venue: "ICLR",
    year: 2024,
    arxiv: "2306.10426",
    code: "https://github.com/eth-sri/ibp-propagation-tightness",
  },
  claim:
    "IBP tightness (optimal box radius over IBP box radius) shrinks with width and depth at initialisation, as (π/2n)^{L/2} for deep linear nets; IBP training raises it by orders of magnitude over standard training, and wider IBP-trained nets certify more.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      initWidths: [32, 64],
      initDepths: [1, 2],
      linearInput: 100,
      examples: 600,
      width: 32,
      widthPair: [16, 32],
      epochs: 1,
      lrGrid: [1e-3],
      tightnessPoints: 20,
      trackPoints: 2,
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], examples: 10000, widthPair: [64, 1024], width: 1024, epochs: 20 },
  },
  async run(cfg, ctx) {
    if (cfg.widthPair[1] !== cfg.width)
      fail("config.widthPair", `its large width must equal width (${cfg.width}): standard and IBP are compared there`);
    return runIbpTightness(cfg, ctx);
  },
  checks(r) {
    const ratios = initRatios(r);
    const lo = Math.min(...ratios);
    const hi = Math.max(...ratios);
    const tStd = get(r, "standard").map((x) => x.tightness);
    const tIbp = get(r, "ibp-large").map((x) => x.tightness);
    const logGain = tInterval(tIbp.map((t, i) => log10(t / tStd[i])));
    const allT = r.seeds.flatMap((s) => [
      ...s.init.flatMap((i) => [i.linear, i.relu]),
      ...s.runs.map((x) => x.tightness),
    ]);
    const certOk = r.seeds.every((s) => s.runs.every((x) => x.certified <= x.clean));
    const stdClean = tInterval(get(r, "standard").map((x) => x.clean));
    return [
      evidence(
        "At init, deep linear tightness matches the closed form (π/2n)^{L/2}: measured / theory over every width, depth and seed",
        `${lo.toFixed(3)} – ${hi.toFixed(3)} (${ratios.length} nets)`,
        "every ratio in [0.85, 1.15]",
        lo >= 0.85 && hi <= 1.15,
        { seeds: r.seeds.length, figure: "ibp-tightness-init" },
      ),
      evidence(
        "At init, tightness of He-initialised ReLU MLPs (at test digits' activation patterns) falls as width and depth grow",
        r.seeds[0].init.map((i) => `n${i.width}/L${i.depth}: ${i.relu.toExponential(2)}`).join("; "),
        "strictly decreasing in width at every depth and in depth at every width, every seed",
        monotone(r, "relu"),
        { seeds: r.seeds.length, figure: "ibp-tightness-init" },
      ),
      evidence(
        `IBP training (ε = ${r.seeds[0].runs[2].eps}) raises tightness over standard training by an order of magnitude: log10(τ_IBP / τ_std), same width`,
        logGain,
        "95% interval above 1",
        above(logGain, 1),
        { figure: "ibp-tightness-training" },
      ),
      pairedCheck(
        "Wider IBP-trained nets certify more: certified test accuracy, large width − small width",
        get(r, "ibp-large").map((x) => x.certified),
        get(r, "ibp-small").map((x) => x.certified),
        "greater",
        { figure: "ibp-tightness-accuracy", what: "certified accuracy, large − small width" },
      ),
      sanity(
        "Tightness never exceeds 1 (triangle inequality), at init and after training",
        Math.max(...allT),
        "max ≤ 1",
        Math.max(...allT) <= 1 + 1e-6,
        { seeds: r.seeds.length },
      ),
      sanity(
        "Certified accuracy never exceeds clean accuracy; standard training learns the digits",
        stdClean,
        "certified ≤ clean for every run, and the standard net's clean accuracy interval above 0.85",
        certOk && above(stdClean, 0.85),
      ),
    ];
  },
  figures(r) {
    const init = r.seeds[0].init.flatMap((i) => [
      { width: i.width, tightness: i.linear, series: `linear L=${i.depth} (measured)` },
      { width: i.width, tightness: i.theory, series: `linear L=${i.depth} (theory)` },
      { width: i.width, tightness: i.relu, series: `ReLU L=${i.depth} (measured)` },
    ]);
    const track = r.seeds.flatMap((s) =>
      s.runs.flatMap((x) =>
        x.track.map((t) => ({
          step: t.step,
          tightness: t.tightness,
          series: `${x.method} (n=${x.width}), seed ${s.seed}`,
        })),
      ),
    );
    const methods: Method[] = ["standard", "ibp-small", "ibp-large"];
    const acc = methods.flatMap((m) => {
      const runs = get(r, m);
      const label = `${m} (n=${runs[0].width})`;
      return (["clean", "certified"] as const).map((k) => {
        const iv = tInterval(runs.map((x) => x[k]));
        return { run: `${label} ${k}`, accuracy: iv.mean, ci: r.seeds.length > 1 ? (iv.hi - iv.lo) / 2 : 0 };
      });
    });
    return [
      {
        name: "ibp-tightness-init",
        spec: lineChart(init, {
          x: "width",
          y: "tightness",
          color: "series",
          logX: true,
          logY: true,
          title: `Tightness at initialisation (seed ${r.seeds[0].seed})`,
          xTitle: "hidden width n",
          yTitle: "tightness τ",
        }),
      },
      {
        name: "ibp-tightness-training",
        spec: lineChart(track, {
          x: "step",
          y: "tightness",
          color: "series",
          logY: true,
          title: "Tightness on test digits during training",
          xTitle: "optimizer step",
          yTitle: "tightness τ",
        }),
      },
      {
        name: "ibp-tightness-accuracy",
        spec: barChart(acc, {
          x: "run",
          y: "accuracy",
          error: "ci",
          title: `Clean and certified test accuracy (ε = ${r.seeds[0].runs[2].eps}), mean ± 95% CI`,
          yTitle: "accuracy",
        }),
      },
    ];
  },
  summary(r) {
    const mean = (m: Method, k: "tightness" | "clean" | "certified") => tInterval(get(r, m).map((x) => x[k])).mean;
    const d = pairedDifference(
      get(r, "ibp-large").map((x) => x.certified),
      get(r, "ibp-small").map((x) => x.certified),
    );
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      trainExamples: r.trainExamples,
      testExamples: r.testExamples,
      "lr standard": r.selection.standard.best,
      "lr ibp-small": r.selection["ibp-small"].best,
      "lr ibp-large": r.selection["ibp-large"].best,
      "tightness standard (mean)": mean("standard", "tightness"),
      "tightness ibp-large (mean)": mean("ibp-large", "tightness"),
      "tightness ibp-small (mean)": mean("ibp-small", "tightness"),
      "tightness gain ibp-large / standard (mean)": mean("ibp-large", "tightness") / mean("standard", "tightness"),
      "clean accuracy standard (mean)": mean("standard", "clean"),
      "certified accuracy standard (mean)": mean("standard", "certified"),
      "clean accuracy ibp-small (mean)": mean("ibp-small", "clean"),
      "certified accuracy ibp-small (mean)": mean("ibp-small", "certified"),
      "clean accuracy ibp-large (mean)": mean("ibp-large", "clean"),
      "certified accuracy ibp-large (mean)": mean("ibp-large", "certified"),
      "certified accuracy large − small (mean)": d.mean,
    };
    for (const i of r.seeds[0].init) {
      out[`init n${i.width} L${i.depth} linear τ`] = i.linear;
      out[`init n${i.width} L${i.depth} theory τ`] = i.theory;
      out[`init n${i.width} L${i.depth} ReLU τ`] = i.relu;
    }
    return out;
  },
});
