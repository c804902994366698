// Poincaré ResNet (van Spengler, Berkhout & Mettes, ICCV 2023) at toy scale: the identity
// init keeps norms through 20 Poincaré layers where Shimizu's init collapses them to the origin,
// and a Poincaré residual MLP with midpoint batch norm and a hand-written backward pass learns
// 8×8 digits; identity vs Shimizu init head to head.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import {
  chosenRuns,
  NORM_INITS,
  PoincareResNetPaperConfig,
  PoincareResNetResult,
  runPoincareResNet,
  TRAIN_INITS,
} from "./run";

const base: PoincareResNetPaperConfig = {
  seeds: [0, 1, 2],
  examples: 5000,
  testFraction: 0.2,
  valFraction: 0.2,
  width: 64,
  blocks: 4,
  c: 1,
  inputScale: 0.125,
  batchSize: 128,
  epochs: 10,
  lrGrid: [1e-3, 3e-3, 1e-2],
  calibrationRows: 1000,
  norm: { depth: 20, dim: 32, points: 64, inputNorm: 0.5 },
};

const last = (a: number[]): number => a[a.length - 1];
const normAt = (r: PoincareResNetResult, init: string, key: "ratio" | "radius") =>
  r.norms.filter((n) => n.init === init).map((n) => last(n[key]));

export const poincareResnet = definePaper<PoincareResNetPaperConfig, PoincareResNetResult>({
  id: "poincare-resnet",
  citation: {
    authors: ["Max van Spengler", "Erwin Berkhout", "Pascal Mettes"],
    title: "Poincaré ResNet",
    venue: "ICCV",
    year: 2023,
    arxiv: "2303.14027",
    code: "https://github.com/maxvanspengler/hyperbolic_learning_library",
  },
  claim:
    "A residual network that lives entirely in the Poincaré ball trains once it has an identity-based init that preserves norms across layers (existing inits collapse to the origin), midpoint batch normalisation and manual backward passes.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      examples: 600,
      epochs: 1,
      lrGrid: [3e-3],
      calibrationRows: 200,
      norm: { ...base.norm, depth: 5 },
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], examples: 10000, epochs: 30, blocks: 8 },
  },
  run: runPoincareResNet,
  checks(r, cfg) {
    const idDev = Math.max(
      ...r.norms.filter((n) => n.init === "identity").flatMap((n) => n.ratio.map((v) => Math.abs(v - 1))),
    );
    const shimizu = tInterval(normAt(r, "shimizu", "ratio"));
    const xavier = tInterval(normAt(r, "xavier", "radius"));
    const id = chosenRuns(r, "identity", cfg.seeds);
    const sh = chosenRuns(r, "shimizu", cfg.seeds);
    const acc = tInterval(id.map((x) => x.testAcc));
    const allFinite = r.runs.every((x) => x.finite && last(x.epochLoss) < x.epochLoss[0]);
    const depth = cfg.norm.depth;
    return [
      sanity(
        `Identity init is the identity map: max |‖x_l‖/‖x_0‖ − 1| over ${depth} layers, every seed (exact in algebra; float32 here)`,
        idDev,
        "below 1e-3",
        idDev < 1e-3,
        { seeds: cfg.seeds.length, figure: "poincare-resnet-norms" },
      ),
      evidence(
        `Shimizu's init collapses points towards the origin: norm ratio ‖x_${depth}‖/‖x_0‖ after ${depth} layers`,
        shimizu,
        "95% interval below 0.05",
        below(shimizu, 0.05),
        { figure: "poincare-resnet-norms" },
      ),
      evidence(
        `A Xavier-like init pushes points to the boundary: √c‖x_${depth}‖ after ${depth} layers`,
        xavier,
        "95% interval above 0.99",
        above(xavier, 0.99),
        { figure: "poincare-resnet-norms" },
      ),
      evidence(
        "The Poincaré residual MLP (identity init, midpoint batch norm, manual backward) learns the 8×8 digits: test accuracy",
        acc,
        "95% interval above 0.9",
        above(acc, 0.9),
        { figure: "poincare-resnet-accuracy" },
      ),
      pairedCheck(
        "Identity init trains the Poincaré ResNet better than Shimizu's init (test accuracy, each init with its own validation-chosen lr)",
        id.map((x) => x.testAcc),
        sh.map((x) => x.testAcc),
        "greater",
        { what: "identity − Shimizu", figure: "poincare-resnet-accuracy" },
      ),
      sanity(
        "Every training run stays finite and lowers its loss (first vs last epoch)",
        r.runs
          .map((x) => `${x.init}@${x.lr} s${x.seed}: ${x.epochLoss[0].toFixed(2)} → ${last(x.epochLoss).toFixed(2)}`)
          .join("; "),
        "finite, last < first for every run",
        allFinite,
        { seeds: cfg.seeds.length },
      ),
    ];
  },
  figures(r) {
    const norms = NORM_INITS.flatMap((init) => {
      const mine = r.norms.filter((n) => n.init === init);
      return mine[0].ratio.map((_, l) => ({
        layer: l,
        init,
        ratio: Math.max(mine.reduce((s, n) => s + n.ratio[l], 0) / mine.length, 1e-14),
      }));
    });
    const accRows = TRAIN_INITS.flatMap((init) => {
      const seeds = [...new Set(r.runs.map((x) => x.seed))];
      return chosenRuns(r, init, seeds).map((x) => ({ run: `${init}, seed ${x.seed}`, accuracy: x.testAcc, init }));
    });
    const loss = r.runs
      .filter((x) => x.lr === r.selection[x.init].best)
      .flatMap((x) => x.epochLoss.map((l, e) => ({ epoch: e + 1, loss: l, run: `${x.init}, seed ${x.seed}` })));
    return [
      {
        name: "poincare-resnet-norms",
        spec: lineChart(norms, {
          x: "layer",
          y: "ratio",
          color: "init",
          logY: true,
          title: "Mean norm ratio ‖x_l‖/‖x_0‖ through Poincaré linear layers (d = 32, ‖x_0‖ = 0.5)",
          xTitle: "layer l",
          yTitle: "‖x_l‖ / ‖x_0‖ (mean over seeds)",
        }),
      },
      {
        name: "poincare-resnet-accuracy",
        spec: barChart(accRows, {
          x: "run",
          y: "accuracy",
          color: "init",
          title: "Test accuracy of the Poincaré residual MLP on 8×8 digits (validation-chosen lr)",
          yTitle: "test accuracy",
        }),
      },
      {
        name: "poincare-resnet-loss",
        spec: lineChart(loss, {
          x: "epoch",
          y: "loss",
          color: "run",
          title: "Training loss per epoch (chosen lr)",
          yTitle: "cross-entropy (nats)",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = {
      trainExamples: r.trainExamples,
      valExamples: r.valExamples,
      testExamples: r.testExamples,
      depth: cfg.norm.depth,
    };
    for (const init of NORM_INITS) {
      out[`norm ratio after ${cfg.norm.depth} layers, ${init} (mean)`] = tInterval(normAt(r, init, "ratio")).mean;
      out[`√c‖x‖ after ${cfg.norm.depth} layers, ${init} (mean)`] = tInterval(normAt(r, init, "radius")).mean;
    }
    const shimizu7 = r.norms.filter((n) => n.init === "shimizu").map((n) => n.ratio[Math.min(7, n.ratio.length - 1)]);
    out["norm ratio after 7 layers, shimizu (mean)"] = tInterval(shimizu7).mean;
    for (const init of TRAIN_INITS) {
      const sel = r.selection[init];
      out[`${init}: lr chosen`] = sel.best;
      out[`${init}: lr grid (validation accuracy)`] = sel.tried
        .map((v, i) => `${v}: ${sel.scores[i].toFixed(3)}`)
        .join(", ");
      const acc = tInterval(chosenRuns(r, init, cfg.seeds).map((x) => x.testAcc));
      out[`${init}: test accuracy (mean)`] = acc.mean;
      out[`${init}: test accuracy per seed`] = chosenRuns(r, init, cfg.seeds)
        .map((x) => x.testAcc.toFixed(3))
        .join(", ");
    }
    return out;
  },
});
