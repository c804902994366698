// The quickstart, registered like every paper: it shows the skeleton (presets with seeds,
// run → cached result, evidence and sanity checks, figures) on a task that runs in seconds.
import { tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { effRank, QuickstartConfig, QuickstartResult, QuickstartSeedRun, runQuickstartSeed } from "./run";

const base: QuickstartConfig = {
  seeds: [0, 1, 2],
  examples: 10000,
  hidden: [128, 64],
  epochs: 8,
  batchSize: 128,
  lr: 1e-3,
};

const last = <T>(xs: T[]): T => xs[xs.length - 1];
const ratioW0 = (r: QuickstartResult) => r.runs.map((x) => x.spectra[0].trained[0] / x.spectra[0].init[0]);

export const quickstart = definePaper<QuickstartConfig, QuickstartResult, QuickstartSeedRun>({
  id: "quickstart",
  citation: { authors: [], title: "initlab quickstart (no paper)", venue: "initlab", year: 2026 },
  claim: "A small MLP learns the MNIST digits, and training changes the singular-value spectra of its weights.",
  presets: {
    smoke: { ...base, seeds: [0], examples: 1500, hidden: [64, 32], epochs: 2 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], hidden: [256, 128], epochs: 20 },
  },
  // Seeds are independent runs: runPaper can spread them over workers and cache each one.
  runSeed: runQuickstartSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const acc = tInterval(r.runs.map((x) => last(x.history).testAcc));
    const ratio = tInterval(ratioW0(r));
    const lossDown = r.runs.every((x) => last(x.history).loss < x.history[0].loss);
    return [
      evidence(
        "Test accuracy well above chance (0.1): the MLP learns the digits",
        acc,
        "95% interval above 0.8",
        above(acc, 0.8),
        { figure: "quickstart-accuracy" },
      ),
      evidence(
        "Training grows outlier singular values in the first layer: σ₁(trained) / σ₁(init)",
        ratio,
        "95% interval above 1.2",
        above(ratio, 1.2),
        { figure: "quickstart-spectra" },
      ),
      sanity(
        "Training lowers the loss (first vs last epoch, every seed)",
        r.runs.map((x) => `${x.history[0].loss.toFixed(3)} → ${last(x.history).loss.toFixed(3)}`).join("; "),
        "last < first for every seed",
        lossDown,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const first = r.runs[0];
    const loss = r.runs.flatMap((x) =>
      x.history.map((h) => ({ epoch: h.epoch, seed: `seed ${x.seed}`, loss: h.loss })),
    );
    const acc = r.runs.flatMap((x) =>
      x.history.flatMap((h) => [
        { epoch: h.epoch, series: `train, seed ${x.seed}`, accuracy: h.trainAcc },
        { epoch: h.epoch, series: `test, seed ${x.seed}`, accuracy: h.testAcc },
      ]),
    );
    const spectra = first.spectra.flatMap((s) =>
      (["init", "trained"] as const).flatMap((when) =>
        s[when].map((v, k) => ({ series: `${s.layer} ${when}`, index: k + 1, sigma: v })),
      ),
    );
    return [
      {
        name: "quickstart-spectra",
        spec: lineChart(spectra, {
          x: "index",
          y: "sigma",
          color: "series",
          logY: true,
          title: `Singular values of each weight matrix, before and after training (seed ${first.seed})`,
          xTitle: "index k (descending)",
          yTitle: "σ_k",
        }),
      },
      {
        name: "quickstart-accuracy",
        spec: lineChart(acc, {
          x: "epoch",
          y: "accuracy",
          color: "series",
          title: "Accuracy per epoch",
          yTitle: "accuracy (fraction)",
        }),
      },
      {
        name: "quickstart-loss",
        spec: lineChart(loss, {
          x: "epoch",
          y: "loss",
          color: "seed",
          title: "Training loss",
          xTitle: "epoch",
          yTitle: "cross-entropy (nats)",
        }),
      },
    ];
  },
  summary(r) {
    const first = r.runs[0];
    const w0 = first.spectra[0];
    const acc = tInterval(r.runs.map((x) => last(x.history).testAcc));
    return {
      seeds: r.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "final test accuracy (mean)": acc.mean,
      "final test accuracy (95% interval)": `${acc.lo.toFixed(3)} – ${acc.hi.toFixed(3)}`,
      "W0 shape": w0.shape,
      "σ₁(W0) init → trained (first seed)": `${w0.init[0].toFixed(2)} → ${w0.trained[0].toFixed(2)}`,
      "σ₁ ratio W0 (mean over seeds)": tInterval(ratioW0(r)).mean,
      "effective rank W0 init (first seed)": effRank(w0.init),
      "effective rank W0 trained (first seed)": effRank(w0.trained),
    };
  },
});
