// When Layers Play the Lottery, all Tickets Win at Initialization (Jordao et al., 2023):
// residual blocks scored at θ0 and removed before training. See README.md.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { Criterion, CRITERIA, LayerLotteryConfig, LayerLotteryResult, runLayerLottery } from "./run";

const base: LayerLotteryConfig = {
  seeds: [0, 1, 2, 3, 4],
  trainExamples: 4000,
  valExamples: 1000,
  testExamples: 2000,
  width: 96,
  blocks: 12,
  removals: [3, 6],
  epochs: 3,
  batchSize: 128,
  scoreBatch: 512,
  lrs: [3e-4, 1e-3, 3e-3],
};

const NAME: Record<Criterion, string> = { grasp: "GraSP", snip: "SNIP", random: "random" };
const accOf = (r: LayerLotteryResult, c: Criterion, p: number) =>
  r.runs.map((x) => (x.pruned.find((y) => y.criterion === c && y.p === p) as { testAcc: number }).testAcc);
const dense = (r: LayerLotteryResult) => r.runs.map((x) => x.denseAcc);
const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
const fmt = (iv: { mean: number; lo: number; hi: number }) =>
  `${(100 * iv.mean).toFixed(2)} pp [${(100 * iv.lo).toFixed(2)}, ${(100 * iv.hi).toFixed(2)}]`;

export const layerLottery = definePaper<LayerLotteryConfig, LayerLotteryResult>({
  id: "layer-lottery",
  citation: {
    authors: ["Artur Jordao", "George Correa de Araujo", "Helena de Almeida Maia", "Helio Pedrini"],
    title: "When Layers Play the Lottery, all Tickets Win at Initialization",
    venue: "ICCV Workshops",
    year: 2023,
    arxiv: "2301.10835",
  },
  claim:
    "Removing whole residual blocks chosen at initialisation by a pruning criterion (GraSP) gives shallower networks that, trained from the inherited initial weights, reach the dense network's accuracy (winning tickets) at a fraction of the training cost.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      trainExamples: 400,
      valExamples: 200,
      testExamples: 300,
      width: 32,
      blocks: 4,
      removals: [1, 2],
      epochs: 1,
      scoreBatch: 128,
      lrs: [1e-3],
    },
    default: base,
    full: { ...base, trainExamples: 20000, valExamples: 2000, testExamples: 10000, width: 128, epochs: 5 },
  },
  run: runLayerLottery,
  checks(r, cfg) {
    const [pLo, pHi] = [Math.min(...cfg.removals), Math.max(...cfg.removals)];
    const hi = pairedDifference(accOf(r, "grasp", pHi), dense(r));
    const lo = pairedDifference(accOf(r, "grasp", pLo), dense(r));
    const ratio = r.flops.byP[`p=${pHi}`] / r.flops.dense;
    const d = tInterval(dense(r));
    return [
      evidence(
        `Removing ${pHi} of ${cfg.blocks} blocks by GraSP at θ0 gives a winning ticket: test accuracy (pruned − dense), paired by seed`,
        hi,
        "95% interval of the paired difference above −0.005 (ξ = half a point)",
        above(hi, -0.005),
        { figure: "layer-lottery-accuracy" },
      ),
      evidence(
        `Removing ${pLo} of ${cfg.blocks} blocks by GraSP at θ0 gives a winning ticket: test accuracy (pruned − dense), paired by seed`,
        lo,
        "95% interval of the paired difference above −0.005 (ξ = half a point)",
        above(lo, -0.005),
        { figure: "layer-lottery-accuracy" },
      ),
      sanity(
        `Cost per epoch of the net without ${pHi} blocks, as a fraction of dense (multiply-adds per example)`,
        ratio,
        "at most 0.65",
        ratio <= 0.65,
        { seeds: 1 },
      ),
      sanity(
        "The dense residual MLP learns Fashion-MNIST: dense test accuracy",
        d,
        "95% interval above 0.75",
        above(d, 0.75),
      ),
    ];
  },
  figures(r, cfg) {
    const rows = [
      { method: "dense", accuracy: tInterval(dense(r)).mean, sd: sd(dense(r)) },
      ...cfg.removals.flatMap((p) =>
        CRITERIA.map((c) => ({
          method: `${NAME[c]}, −${p} blocks`,
          accuracy: tInterval(accOf(r, c, p)).mean,
          sd: sd(accOf(r, c, p)),
        })),
      ),
    ];
    const first = r.runs[0];
    const norm = (xs: number[]) => {
      const m = Math.max(...xs.map(Math.abs));
      return xs.map((x) => x / m);
    };
    const scoreRows = (["grasp", "snip"] as const).flatMap((c) =>
      norm(first.scores[c]).map((v, b) => ({ block: b + 1, criterion: NAME[c], score: v })),
    );
    return [
      {
        name: "layer-lottery-accuracy",
        spec: barChart(rows, {
          x: "method",
          y: "accuracy",
          error: "sd",
          title: `Test accuracy, mean ± sd over ${r.runs.length} seeds`,
          yTitle: "test accuracy",
        }),
      },
      {
        name: "layer-lottery-scores",
        spec: lineChart(scoreRows, {
          x: "block",
          y: "score",
          color: "criterion",
          title: `Block importance at θ0 (first seed, scaled to max |score| = 1); the lowest are removed`,
          xTitle: "residual block (input side first)",
          yTitle: "importance (scaled)",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: r.trainExamples,
      valExamples: r.valExamples,
      testExamples: r.testExamples,
      "dense test accuracy (mean)": tInterval(dense(r)).mean,
      "dense test accuracy, sd over seeds": sd(dense(r)),
      "dense learning rate": r.selection.dense.best,
      "dense epoch seconds (mean)": tInterval(r.runs.map((x) => x.denseEpochSeconds)).mean,
    };
    for (const p of cfg.removals) {
      out[`learning rate, ${p} blocks removed`] = r.selection[`p=${p}`].best;
      out[`FLOP fraction, ${p} blocks removed`] = r.flops.byP[`p=${p}`] / r.flops.dense;
      for (const c of CRITERIA) {
        out[`${NAME[c]} −${p} test accuracy (mean)`] = tInterval(accOf(r, c, p)).mean;
        out[`${NAME[c]} −${p} minus dense (mean)`] = pairedDifference(accOf(r, c, p), dense(r)).mean;
      }
      out[`GraSP − random at −${p} (paired, 95% interval)`] = fmt(
        pairedDifference(accOf(r, "grasp", p), accOf(r, "random", p)),
      );
      out[`SNIP − dense at −${p} (paired, 95% interval)`] = fmt(pairedDifference(accOf(r, "snip", p), dense(r)));
      out[`GraSP −${p} epoch seconds (mean)`] = tInterval(
        r.runs.map(
          (x) => (x.pruned.find((y) => y.criterion === "grasp" && y.p === p) as { epochSeconds: number }).epochSeconds,
        ),
      ).mean;
      out[`GraSP −${p} blocks removed (first seed)`] = (
        r.runs[0].pruned.find((y) => y.criterion === "grasp" && y.p === p) as { removed: number[] }
      ).removed
        .map((b) => b + 1)
        .join(", ");
    }
    return out;
  },
});
