// Q-GaLore (Zhang et al., 2024): GaLore with INT8 weights (stochastic rounding), INT4
// projectors and lazy subspace updates, against float GaLore and round-to-nearest INT8 on
// the MLP 784-256-256-10 at rank 64, matched steps, each variant with its own learning rate.
import { tInterval } from "../../metrics/intervals";
import { evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { LowrankResult, lossFallsCheck, metricOf, MethodSpec, methodRows } from "../galore/experiment";
import { lowrankFigures } from "../galore/figures";
import { charMetric, charPreset, charRunOf } from "../galore/char-harness";
import { charFigures, charLossFalls } from "../galore/char-report";
import {
  charSummaryWithMargin,
  datasetRows,
  LowrankCharConfig,
  LowrankCharResult,
  lowrankSmoke,
  runLowrankChar,
} from "../galore/lowrank-char";

export type QGaLoreConfig = LowrankCharConfig;
export type QGaLoreResult = LowrankCharResult;

/** Held-out loss margin (nats) for "tracks float GaLore" on the char transformer. */
const CHAR_MARGIN = 0.05;
const FP8 = "GaLore r=8 fp32";
const RTN8 = "INT8 round-to-nearest r=8";
const SR8 = "INT8 stochastic rounding r=8";

const FP = "GaLore fp32";
const RTN = "INT8 round-to-nearest";
const SR = "INT8 stochastic rounding";
const Q = "Q-GaLore (SR + INT4 P + lazy T)";
const GRID = [3e-3, 1e-2, 3e-2];

/** Float GaLore, then INT8 weights rounded to nearest and stochastically (float projectors, fixed gap). */
function int8Methods(rank: number, [fp, rtn, sr]: string[]): MethodSpec[] {
  const int8 = (name: string, weightRounding: "nearest" | "stochastic"): MethodSpec => ({
    name,
    kind: "qgalore",
    rank,
    grid: GRID,
    qgalore: { weightRounding, quantizeProjector: false, adaptiveGap: false },
  });
  return [{ name: fp, kind: "galore", rank, grid: GRID }, int8(rtn, "nearest"), int8(sr, "stochastic")];
}

const base: QGaLoreConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [256, 256],
  steps: 400,
  batchSize: 64,
  updateGap: 25,
  scale: 0.25,
  logEvery: 20,
  maxExtensions: 1,
  methods: [
    ...int8Methods(64, [FP, RTN, SR]),
    { name: Q, kind: "qgalore", rank: 64, grid: GRID, qgalore: { weightRounding: "stochastic" } },
  ],
  char: charPreset(int8Methods(8, [FP8, RTN8, SR8])),
};

const runsOf = (r: LowrankResult, m: string) => r.runs.filter((x) => x.method === m);

export const qGalore = definePaper<QGaLoreConfig, QGaLoreResult>({
  id: "q-galore",
  citation: {
    authors: ["Zhenyu Zhang", "Ajay Jaiswal", "Lu Yin", "Shiwei Liu", "Jiawei Zhao", "Yuandong Tian", "Zhangyang Wang"],
    title: "Q-GaLore: Quantized GaLore with INT4 Projection and Layer-Adaptive Low-Rank Gradients",
    venue: "arXiv",
    year: 2024,
    arxiv: "2407.08296",
    code: "https://github.com/VITA-Group/Q-GaLore",
  },
  claim:
    "GaLore still trains when the weights are kept in INT8 with stochastic rounding and the projectors in INT4 with lazily refreshed subspaces, whereas round-to-nearest INT8 weights stall because most updates are smaller than half a quantization step.",
  presets: {
    smoke: lowrankSmoke(base, 5),
    default: base,
    full: { ...base, examples: 9000, steps: 1500, updateGap: 200 },
  },
  run: runLowrankChar,
  checks(r, cfg) {
    const acc = (m: string) => metricOf(r, m, "testAcc");
    const svds = (m: string) => runsOf(r, m).map((x) => x.refreshes);
    const fixed = 2 * Math.ceil(cfg.steps / cfg.updateGap);
    return [
      pairedCheck("Stochastic rounding beats round-to-nearest for INT8 weights", acc(SR), acc(RTN), "greater", {
        figure: "q-galore-loss",
        what: "SR − RTN, test accuracy",
      }),
      pairedCheck(
        "INT8 weights with stochastic rounding track float GaLore within 1.5 points",
        acc(SR),
        acc(FP),
        "greater",
        { margin: -0.015, figure: "q-galore-memory", what: "SR − fp32 GaLore, test accuracy" },
      ),
      pairedCheck("INT4 projectors and lazy refreshes cost under 1.5 points on top of SR", acc(Q), acc(SR), "greater", {
        margin: -0.015,
        figure: "q-galore-memory",
        what: "Q-GaLore − SR, test accuracy",
      }),
      evidence(
        "Lazy subspace updates save SVDs: Q-GaLore makes fewer SVDs than the fixed gap on every seed",
        svds(Q).join(", "),
        `each below ${fixed}`,
        svds(Q).every((n) => n < fixed),
      ),
      sanity(
        "Fixed-gap runs refresh every T steps (two projected matrices)",
        svds(SR).join(", "),
        `${fixed} per run`,
        svds(SR).every((n) => n === fixed),
      ),
      lossFallsCheck(r, cfg.seeds.length),
      pairedCheck(
        "Char transformer from scratch: stochastic rounding of the INT8 attention and MLP weights reaches a lower held-out loss than round-to-nearest (the stall)",
        charMetric(r.char, RTN8, "testLoss"),
        charMetric(r.char, SR8, "testLoss"),
        "greater",
        { figure: "q-galore-char-loss", what: "RTN − SR, held-out loss in nats" },
      ),
      pairedCheck(
        `Char transformer from scratch: INT8 weights with stochastic rounding track float GaLore within ${CHAR_MARGIN} nats of held-out loss`,
        charMetric(r.char, SR8, "testLoss"),
        charMetric(r.char, FP8, "testLoss"),
        "less",
        { margin: -CHAR_MARGIN, figure: "q-galore-char-memory", what: "SR − fp32 GaLore, held-out loss in nats" },
      ),
      charLossFalls(r.char),
    ];
  },
  figures: (r) => [...lowrankFigures(r, "q-galore"), ...charFigures(r.char, "q-galore", "memory")],
  summary(r) {
    const out: Record<string, number | string> = { ...datasetRows(r, { val: false }), "margin (accuracy)": 0.015 };
    for (const m of [FP, RTN, SR, Q]) {
      const runs = runsOf(r, m);
      methodRows(r, m, out);
      out[`${m}: SVDs per run (mean)`] = tInterval(runs.map((x) => x.refreshes)).mean;
      if (runs[0].stateBytes !== undefined) {
        out[`${m}: optimizer state (bytes)`] = runs[0].stateBytes;
        out[`${m}: projected weights (bytes)`] = runs[0].weightBytes ?? NaN;
      }
    }
    charSummaryWithMargin(r.char, CHAR_MARGIN, out);
    for (const m of [RTN8, SR8]) out[`char ${m}: projected weights (bytes)`] = charRunOf(r.char, m).weightBytes ?? NaN;
    return out;
  },
});
