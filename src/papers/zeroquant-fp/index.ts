// ZeroQuant-FP (Wu, Yao, He 2023): FP4/FP8 post-training quantization with power-of-two scale
// constraints and LoRC, measured on a small MNIST MLP.
import { QuantFormatName, ScaleMode } from "../../compress";
import { Interval, pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { findRow, QuantRow, runZeroQuantSeed, ZeroQuantConfig, ZeroQuantSeedRun } from "./run";
import { findCharRow } from "./char";

export interface ZeroQuantResult {
  runs: ZeroQuantSeedRun[];
}

const base: ZeroQuantConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [256, 256],
  epochs: 6,
  batchSize: 128,
  lr: 1e-3,
  groupSize: 64,
  lorcRank: 8,
  weightFormats: ["int8", "e4m3", "e5m2", "int4", "e2m1"],
  scaleModes: ["real", "pow2", "rowpow2"],
  actFormats: ["int8", "e4m3", "e5m2"],
  char: {
    parts: 5,
    evalWindows: 140,
    groupSize: 32,
    lorcRank: 4,
    weightFormats: ["int8", "e4m3", "int4", "e2m1"],
    scaleModes: ["real", "pow2", "rowpow2"],
  },
};

const NAMES: Record<string, string> = {
  float: "float",
  int8: "INT8",
  int4: "INT4",
  e4m3: "FP8 E4M3",
  e5m2: "FP8 E5M2",
  e2m1: "FP4 E2M1",
};
const SCALE: Record<string, string> = {
  real: "real scale",
  pow2: "M1 (2^⌈log₂s⌉)",
  rowpow2: "M2 (row × 2^−j)",
  none: "",
};

const col = (
  r: ZeroQuantResult,
  pick: (x: ZeroQuantSeedRun) => QuantRow,
  key: "lossIncrease" | "acc" | "weightRelErr",
) => r.runs.map((x) => pick(x)[key]);
const inc = (
  r: ZeroQuantResult,
  w: QuantRow["weights"],
  s: QuantRow["scale"],
  l: boolean,
  a: QuantRow["act"] = "float",
) => col(r, (x) => findRow(x, w, s, l, a), "lossIncrease");
const half = (iv: Interval) => (iv.hi - iv.lo) / 2;

export const zeroquantFp = definePaper<ZeroQuantConfig, ZeroQuantResult, ZeroQuantSeedRun>({
  id: "zeroquant-fp",
  citation: {
    authors: ["Xiaoxia Wu", "Zhewei Yao", "Yuxiong He"],
    title: "ZeroQuant-FP: A Leap Forward in LLMs Post-Training W4A8 Quantization Using Floating-Point Formats",
    venue: "arXiv",
    year: 2023,
    arxiv: "2307.09782",
  },
  claim:
    "FP4 (E2M1) weights quantize at least as well as INT4, FP8 (E4M3) activations beat INT8, power-of-two scale " +
    "constraints cost almost nothing, and LoRC (a rank-k correction of the quantization error) recovers part of the 4-bit loss.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      examples: 800,
      hidden: [64, 64],
      epochs: 1,
      weightFormats: ["int4", "e2m1"],
      scaleModes: ["real", "pow2", "rowpow2"],
      actFormats: ["int8", "e4m3"],
      char: { ...base.char, evalWindows: 20, weightFormats: ["int4", "e2m1"] },
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], examples: 9000, epochs: 10 },
  },
  runSeed: runZeroQuantSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const fpNo = inc(r, "e2m1", "rowpow2", false);
    const fpL = inc(r, "e2m1", "rowpow2", true);
    const lorcGain = pairedDifference(fpNo, fpL);
    const fpVsInt = pairedDifference(inc(r, "int4", "real", false), inc(r, "e2m1", "real", false));
    const accReal = col(r, (x) => findRow(x, "e2m1", "real", false), "acc");
    const accM2 = col(r, (x) => findRow(x, "e2m1", "rowpow2", false), "acc");
    const constraintCost = pairedDifference(accReal, accM2);
    const m2VsM1 = pairedDifference(inc(r, "e2m1", "pow2", false), inc(r, "e2m1", "rowpow2", false));
    const actGain = pairedDifference(inc(r, "float", "none", false, "int8"), inc(r, "float", "none", false, "e4m3"));
    const floatAcc = tInterval(r.runs.map((x) => x.floatAcc));
    const first = r.runs[0];
    const formats = [...new Set(first.rows.filter((x) => x.weights !== "float").map((x) => x.weights))];
    const modes = [...new Set(first.rows.filter((x) => x.scale !== "none").map((x) => x.scale))];
    let lorcLower = 0;
    let lorcTotal = 0;
    for (const x of r.runs)
      for (const f of formats)
        for (const m of modes) {
          lorcTotal++;
          if (findRow(x, f, m, true).weightRelErr < findRow(x, f, m, false).weightRelErr) lorcLower++;
        }
    const e4 = r.runs.every((x) =>
      modes.every(
        (m) =>
          !formats.includes("e4m3") ||
          findRow(x, "e4m3", m, false).weightRelErr < findRow(x, "e2m1", m, false).weightRelErr,
      ),
    );
    const cInc = (w: QuantFormatName, sc: ScaleMode, l: boolean) =>
      r.runs.map((x) => findCharRow(x.char, w, sc, l).lossIncrease);
    const charLorc = pairedDifference(cInc("e2m1", "rowpow2", false), cInc("e2m1", "rowpow2", true));
    const charFpVsInt = pairedDifference(cInc("int4", "real", false), cInc("e2m1", "real", false));
    return [
      evidence(
        "Char transformer: LoRC (INT8 factors) lowers the held-out loss increase of FP4 E2M1 weights with M2 scales",
        charLorc,
        "95% interval of the paired difference (increase without LoRC − with LoRC, nats) above 0",
        above(charLorc, 0),
        { figure: "zeroquant-fp-char-loss-increase" },
      ),
      evidence(
        "Char transformer: FP4 E2M1 weights cost less held-out loss than INT4 weights (same groups, real scales, no LoRC)",
        charFpVsInt,
        "95% interval of the paired difference (INT4 increase − E2M1 increase, nats) above 0",
        above(charFpVsInt, 0),
        { figure: "zeroquant-fp-char-loss-increase" },
      ),
      evidence(
        "LoRC (rank k, INT8 factors) lowers the test-loss increase of FP4 E2M1 weights with M2 scales",
        lorcGain,
        "95% interval of the paired difference (increase without LoRC − with LoRC, nats) above 0",
        above(lorcGain, 0),
        { figure: "zeroquant-fp-loss-increase" },
      ),
      evidence(
        "FP4 E2M1 weights cost less test loss than INT4 weights (same groups, real scales, no LoRC)",
        fpVsInt,
        "95% interval of the paired difference (INT4 increase − E2M1 increase, nats) above 0",
        above(fpVsInt, 0),
        { figure: "zeroquant-fp-loss-increase" },
      ),
      evidence(
        "The power-of-two scale constraint (M2) costs almost nothing: FP4 E2M1 accuracy with real vs M2 scales",
        constraintCost,
        "95% interval of the paired accuracy difference (real − M2) below 0.01",
        below(constraintCost, 0.01),
        { figure: "zeroquant-fp-weight-error" },
      ),
      evidence(
        "M2 (real row scale × power-of-two group factor) loses less than M1 (every group scale rounded up to 2^k), FP4 E2M1",
        m2VsM1,
        "95% interval of the paired difference (M1 increase − M2 increase, nats) above 0",
        above(m2VsM1, 0),
        { figure: "zeroquant-fp-weight-error" },
      ),
      evidence(
        "FP8 E4M3 layer inputs cost less test loss than INT8 layer inputs (per-tensor scales, float weights)",
        actGain,
        "95% interval of the paired difference (INT8 increase − E4M3 increase, nats) above 0",
        above(actGain, 0),
        { figure: "zeroquant-fp-activations" },
      ),
      sanity(
        "The float base model learns the digits",
        floatAcc,
        "95% interval of test accuracy above 0.9",
        above(floatAcc, 0.9),
      ),
      sanity(
        "LoRC lowers the weight error in every (format, scale, seed) (Eckart–Young, up to INT8 factor rounding)",
        `${lorcLower} of ${lorcTotal}`,
        "all",
        lorcLower === lorcTotal,
        { seeds: r.runs.length },
      ),
      sanity(
        "More mantissa/exponent bits, less weight error: FP8 E4M3 below FP4 E2M1 for every scale mode and seed",
        e4 ? "yes" : "no",
        "yes",
        e4,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const first = r.runs[0];
    const bars = (
      filter: (x: QuantRow) => boolean,
      label: (x: QuantRow) => string,
      key: "lossIncrease" | "weightRelErr",
    ) =>
      first.rows.filter(filter).map((row) => {
        const iv = tInterval(col(r, (x) => findRow(x, row.weights, row.scale, row.lorc, row.act), key));
        return { config: label(row), LoRC: row.lorc ? "with LoRC" : "without", value: iv.mean, half: half(iv) };
      });
    const weightRows = (x: QuantRow) => x.act === "float" && x.weights !== "float";
    const charBars = first.char.rows.map((row) => {
      const iv = tInterval(r.runs.map((x) => findCharRow(x.char, row.weights, row.scale, row.lorc).lossIncrease));
      return {
        config: `${NAMES[row.weights]} ${SCALE[row.scale]}${row.lorc ? " + LoRC" : ""}`,
        LoRC: row.lorc ? "with LoRC" : "without",
        value: iv.mean,
        half: half(iv),
      };
    });
    return [
      {
        name: "zeroquant-fp-char-loss-increase",
        spec: barChart(charBars, {
          x: "config",
          y: "value",
          error: "half",
          color: "LoRC",
          title: `Char transformer: held-out loss increase by weight format, scale mode and LoRC, mean ± 95% interval over ${r.runs.length} text parts`,
          yTitle: "Δ held-out cross-entropy (nats)",
        }),
      },
      {
        name: "zeroquant-fp-loss-increase",
        spec: barChart(
          bars(
            (x) => weightRows(x) && x.scale === "rowpow2",
            (x) => `${NAMES[x.weights]}${x.lorc ? " + LoRC" : ""}`,
            "lossIncrease",
          ),
          {
            x: "config",
            y: "value",
            error: "half",
            color: "LoRC",
            title: `Test-loss increase over the float MLP by weight format (M2 scales), mean ± 95% interval, ${r.runs.length} seeds`,
            yTitle: "Δ test cross-entropy (nats)",
          },
        ),
      },
      {
        name: "zeroquant-fp-weight-error",
        spec: barChart(
          bars(weightRows, (x) => `${NAMES[x.weights]} ${SCALE[x.scale]}${x.lorc ? " + LoRC" : ""}`, "weightRelErr"),
          {
            x: "config",
            y: "value",
            error: "half",
            color: "LoRC",
            title: "Relative weight error ‖W − Q(W)‖/‖W‖ by format, scale mode and LoRC",
            yTitle: "relative Frobenius error",
          },
        ),
      },
      {
        name: "zeroquant-fp-activations",
        spec: barChart(
          bars(
            (x) => x.act !== "float",
            (x) =>
              x.weights === "float" ? `A: ${NAMES[x.act]}` : `W4A8: ${NAMES[x.weights]} + LoRC, ${NAMES[x.act]} inputs`,
            "lossIncrease",
          ),
          {
            x: "config",
            y: "value",
            error: "half",
            title: "Test-loss increase with quantized layer inputs (per-tensor scale)",
            yTitle: "Δ test cross-entropy (nats)",
          },
        ),
      },
    ];
  },
  summary(r) {
    const m = (xs: number[]) => tInterval(xs).mean;
    const fpNo = inc(r, "e2m1", "rowpow2", false);
    const fpL = inc(r, "e2m1", "rowpow2", true);
    const acc = (w: QuantRow["weights"], s: QuantRow["scale"], l: boolean, a: QuantRow["act"] = "float") =>
      m(col(r, (x) => findRow(x, w, s, l, a), "acc"));
    const err = (w: QuantRow["weights"], s: QuantRow["scale"], l: boolean) =>
      m(col(r, (x) => findRow(x, w, s, l), "weightRelErr"));
    const first = r.runs[0];
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "float test accuracy (mean)": m(r.runs.map((x) => x.floatAcc)),
      "float test loss (mean)": m(r.runs.map((x) => x.floatLoss)),
      "E2M1 M2 loss increase (mean)": m(fpNo),
      "E2M1 M2 + LoRC loss increase (mean)": m(fpL),
      "E2M1 M2 LoRC share of the loss increase recovered (mean)": m(fpNo.map((v, i) => 1 - fpL[i] / v)),
      "INT4 real loss increase (mean)": m(inc(r, "int4", "real", false)),
      "E2M1 real loss increase (mean)": m(inc(r, "e2m1", "real", false)),
      "E2M1 M1 loss increase (mean)": m(inc(r, "e2m1", "pow2", false)),
      "E2M1 real accuracy (mean)": acc("e2m1", "real", false),
      "E2M1 M2 accuracy (mean)": acc("e2m1", "rowpow2", false),
      "INT4 real accuracy (mean)": acc("int4", "real", false),
      "E2M1 M2 weight error (mean)": err("e2m1", "rowpow2", false),
      "E2M1 M2 + LoRC weight error (mean)": err("e2m1", "rowpow2", true),
      "INT4 real weight error (mean)": err("int4", "real", false),
      "E2M1 real weight error (mean)": err("e2m1", "real", false),
      "INT8 inputs loss increase (mean)": m(inc(r, "float", "none", false, "int8")),
      "E4M3 inputs loss increase (mean)": m(inc(r, "float", "none", false, "e4m3")),
    };
    const cm = (w: QuantFormatName, sc: ScaleMode, l: boolean, k: "lossIncrease" | "weightRelErr" | "acc") =>
      m(r.runs.map((x) => findCharRow(x.char, w, sc, l)[k]));
    out["char held-out predictions per seed"] = first.char.evalPredictions;
    out["char base held-out loss (mean)"] = m(r.runs.map((x) => x.char.baseLoss));
    out["char base held-out accuracy (mean)"] = m(r.runs.map((x) => x.char.baseAcc));
    for (const row of first.char.rows) {
      const label = `char ${NAMES[row.weights]} ${row.scale}${row.lorc ? " + LoRC" : ""}`;
      out[`${label} loss increase (mean)`] = cm(row.weights, row.scale, row.lorc, "lossIncrease");
      out[`${label} weight error (mean)`] = cm(row.weights, row.scale, row.lorc, "weightRelErr");
    }
    const w4a8 = first.rows.some((x) => x.act === "e4m3" && x.weights === "e2m1");
    if (w4a8) {
      out["W4A8 FP (E2M1 M2 + LoRC, E4M3 inputs) accuracy (mean)"] = acc("e2m1", "rowpow2", true, "e4m3");
      out["W4A8 INT (INT4 + LoRC, INT8 inputs) accuracy (mean)"] = acc("int4", "real", true, "int8");
    }
    return out;
  },
});
export type { QuantFormatName, ScaleMode };
