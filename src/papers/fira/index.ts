// Fira (Chen et al.): GaLore plus the φ-scaled residual outside the subspace, against GaLore
// and full-rank Adam at rank 8 on the official quick-start shape (an MLP 784-128-10 on MNIST).
import { tInterval } from "../../metrics/intervals";
import { galoreStateFloats } from "../../optim";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { lossFallsCheck, metricOf, methodRows, stateOfMethod } from "../galore/experiment";
import { lowrankFigures } from "../galore/figures";
import { charGaloreState, charMetric, charPreset, charRunOf } from "../galore/char-harness";
import { charFigures, charLossFalls } from "../galore/char-report";
import {
  charSummaryWithMargin,
  datasetRows,
  LowrankCharConfig,
  LowrankCharResult,
  lowrankSmoke,
  runLowrankChar,
} from "../galore/lowrank-char";

export type FiraConfig = LowrankCharConfig;
export type FiraResult = LowrankCharResult;

/** Held-out loss margin (nats) for "close to full-rank Adam" on the char transformer. */
const CHAR_MARGIN = 0.05;

const ADAM = "Adam";
const GALORE = "GaLore r=8";
const FIRA = "Fira r=8";
const FIRA_PAPER = "Fira r=8 (paper residual)";

const base: FiraConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [128],
  steps: 400,
  batchSize: 64,
  updateGap: 50,
  scale: 0.25,
  logEvery: 20,
  maxExtensions: 2,
  methods: [
    { name: ADAM, kind: "adam", grid: [3e-4, 1e-3, 3e-3] },
    { name: GALORE, kind: "galore", rank: 8, grid: [3e-3, 1e-2, 3e-2] },
    { name: FIRA, kind: "fira", rank: 8, grid: [3e-3, 1e-2, 3e-2] },
    { name: FIRA_PAPER, kind: "fira", rank: 8, residual: "paper", grid: [3e-3, 1e-2, 3e-2] },
  ],
  char: charPreset([
    { name: ADAM, kind: "adam", grid: [1e-3, 3e-3, 1e-2] },
    { name: GALORE, kind: "galore", rank: 8, grid: [3e-3, 1e-2, 3e-2] },
    { name: FIRA, kind: "fira", rank: 8, grid: [3e-3, 1e-2, 3e-2] },
  ]),
};

export const fira = definePaper<FiraConfig, FiraResult>({
  id: "fira",
  citation: {
    authors: ["Xi Chen", "Kaituo Feng", "Changsheng Li", "Xunhao Lai", "Xiangyu Yue", "Ye Yuan", "Guoren Wang"],
    title: "Fira: Can We Achieve Full-rank Training of LLMs Under Low-rank Constraint?",
    venue: "NeurIPS",
    year: 2025,
    arxiv: "2410.01623",
    code: "https://github.com/xichen-fy/Fira",
  },
  claim:
    "Adding the gradient's residual outside GaLore's subspace, scaled by the norm ratio Adam applies inside it and held back by a norm-growth limiter, trains close to full-rank Adam at the memory of GaLore and clearly better than GaLore at low rank.",
  presets: {
    smoke: lowrankSmoke(base, 10),
    default: base,
    full: { ...base, examples: 9000, steps: 1500, updateGap: 200, hidden: [256, 256] },
  },
  run: runLowrankChar,
  checks(r, cfg) {
    const acc = (m: string) => metricOf(r, m, "testAcc");
    const sizes = [784, ...cfg.hidden, 10];
    // Projected: matrices whose min side exceeds r = 8 (all here); each adds one norm in Fira.
    let galoreState = 0;
    let projected = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [m, n] = [sizes[l], sizes[l + 1]];
      const p = Math.min(m, n) > 8;
      projected += p ? 1 : 0;
      galoreState += (p ? galoreStateFloats(m, n, 8) : 2 * m * n) + 2 * n;
    }
    return [
      pairedCheck("Fira r=8 beats GaLore r=8 in test accuracy at matched steps", acc(FIRA), acc(GALORE), "greater", {
        figure: "fira-memory",
        what: "Fira − GaLore, test accuracy",
      }),
      pairedCheck(
        "Fira r=8 stays within 0.5 points of full-rank Adam's test accuracy",
        acc(FIRA),
        acc(ADAM),
        "greater",
        { margin: -0.005, figure: "fira-memory", what: "Fira − Adam, test accuracy" },
      ),
      sanity(
        "Fira's state is GaLore's plus one float per projected matrix",
        `${stateOfMethod(r, FIRA)} (Fira) vs ${stateOfMethod(r, GALORE)} (GaLore)`,
        `${galoreState + projected} and ${galoreState}`,
        stateOfMethod(r, FIRA) === galoreState + projected && stateOfMethod(r, GALORE) === galoreState,
      ),
      lossFallsCheck(r, cfg.seeds.length),
      pairedCheck(
        "Char transformer from scratch: Fira r=8 reaches a lower held-out loss than GaLore r=8 at matched steps (the same rank, the same projected matrices)",
        charMetric(r.char, GALORE, "testLoss"),
        charMetric(r.char, FIRA, "testLoss"),
        "greater",
        { figure: "fira-char-memory", what: "GaLore − Fira, held-out loss in nats" },
      ),
      pairedCheck(
        `Char transformer from scratch: Fira r=8 reaches a held-out loss within ${CHAR_MARGIN} nats of full-rank Adam at matched steps`,
        charMetric(r.char, FIRA, "testLoss"),
        charMetric(r.char, ADAM, "testLoss"),
        "less",
        { margin: -CHAR_MARGIN, figure: "fira-char-memory", what: "Fira − Adam, held-out loss in nats" },
      ),
      sanity(
        "Char transformer: Fira's state is GaLore's closed form plus one float per projected matrix (12 attention and MLP matrices)",
        `${charRunOf(r.char, FIRA).stateFloats} (Fira) vs ${charRunOf(r.char, GALORE).stateFloats} (GaLore)`,
        `${charGaloreState(8) + 12} and ${charGaloreState(8)}`,
        charRunOf(r.char, FIRA).stateFloats === charGaloreState(8) + 12 &&
          charRunOf(r.char, GALORE).stateFloats === charGaloreState(8),
      ),
      charLossFalls(r.char),
    ];
  },
  figures: (r) => [...lowrankFigures(r, "fira"), ...charFigures(r.char, "fira", "memory")],
  summary(r) {
    const out: Record<string, number | string> = { ...datasetRows(r), "margin to Adam (accuracy)": 0.005 };
    for (const m of [ADAM, GALORE, FIRA, FIRA_PAPER]) {
      methodRows(r, m, out);
      out[`${m}: state / Adam's`] = stateOfMethod(r, m) / stateOfMethod(r, ADAM);
    }
    const d = tInterval(metricOf(r, FIRA_PAPER, "testAcc").map((x, i) => x - metricOf(r, FIRA, "testAcc")[i]));
    out["paper − code residual: test accuracy difference (mean)"] = d.mean;
    charSummaryWithMargin(r.char, CHAR_MARGIN, out);
    for (const m of [GALORE, FIRA])
      out[`char ${m}: state / Adam's`] = charRunOf(r.char, m).stateFloats / charRunOf(r.char, ADAM).stateFloats;
    return out;
  },
});
