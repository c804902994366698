// SLTrain (Han et al., NeurIPS 2024): low-rank plus fixed-support sparse weights trained from
// scratch, against low-rank-only training at the same parameter count and full-rank training.
import { pairedDifference } from "../../metrics/intervals";
import { sltrainParamCount, sparseNnz } from "../../nn/sltrain";
import { below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { METHODS, perSeed, runSLTrain, SLTrainConfig, SLTrainResult } from "./run";
import { lrInteriorCheck, mlpFigures } from "./mlp-report";
import { CharConfig, CharResult, charSmoke, runChar } from "../galore/char-harness";
import { charFigures, charSummary } from "../galore/char-report";
import { charConfig, sltrainCharChecks, CHAR_COMPARABLE } from "./char";

/** The MLP experiment plus the char transformer trained from scratch. */
type Config = SLTrainConfig & { char: CharConfig };
type Result = SLTrainResult & { char: CharResult };

const base: Config = {
  seeds: [0, 1, 2, 3, 4],
  examples: 5000,
  testFraction: 0.2,
  valFraction: 0.2,
  hidden: 256,
  rank: 64,
  alpha: 16,
  delta: 0.03,
  steps: 400,
  batchSize: 64,
  lrGrid: [1e-3, 3e-3, 1e-2],
  logEvery: 20,
  char: charConfig,
};

/** Gap allowed between SLTrain's and full-rank's test loss to call them comparable (nats). */
const COMPARABLE_NATS = 0.05;

const hiddenParams = (r: SLTrainResult, m: string) => r.seeds[0].runs.find((x) => x.method === m)!.hiddenParams;

function expectedSLTrainParams(c: SLTrainConfig): number {
  return (
    sltrainParamCount(784, c.hidden, c.rank, c.delta, false) +
    sltrainParamCount(c.hidden, c.hidden, c.rank, c.delta, false)
  );
}

export const sltrain = definePaper<Config, Result>({
  id: "sltrain",
  citation: {
    authors: [
      "Andi Han",
      "Jiaxiang Li",
      "Wei Huang",
      "Mingyi Hong",
      "Akiko Takeda",
      "Pratik Jawanpuria",
      "Bamdev Mishra",
    ],
    title: "SLTrain: a sparse plus low-rank approach for parameter and memory efficient pretraining",
    venue: "NeurIPS",
    year: 2024,
    arxiv: "2406.02214",
    code: "https://github.com/andyjm3/SLTrain",
  },
  claim:
    "Training weights from scratch as a low-rank product plus a sparse matrix on a fixed random support reaches a loss comparable to full-rank training and better than low-rank-only training with the same number of parameters.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      examples: 1200,
      steps: 30,
      lrGrid: [3e-3],
      logEvery: 10,
      char: charSmoke(charConfig),
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], examples: 9900, steps: 1500 },
  },
  run: async (cfg, ctx) => ({ ...(await runSLTrain(cfg, ctx)), char: await runChar(cfg.char, ctx) }),
  checks(r, c) {
    const lossSL = perSeed(r, "SLTrain", "testLoss");
    const lossLR = perSeed(r, "low-rank", "testLoss");
    const lossFull = perSeed(r, "full-rank", "testLoss");
    const gapFull = pairedDifference(lossSL, lossFull);
    const pSL = hiddenParams(r, "SLTrain");
    const pLR = hiddenParams(r, "low-rank");
    const expected = expectedSLTrainParams(c);
    const allSL = r.seeds.map((s) => s.runs.find((x) => x.method === "SLTrain")!);
    return [
      pairedCheck(
        "SLTrain reaches a lower test loss than low-rank-only training with the same parameter count (loss(low-rank) − loss(SLTrain))",
        lossLR,
        lossSL,
        "greater",
        { figure: "sltrain-test-loss", what: "nats" },
      ),
      evidence(
        `SLTrain's test loss is comparable to full-rank training: loss(SLTrain) − loss(full-rank) under ${COMPARABLE_NATS} nats`,
        gapFull,
        `95% interval of the paired difference below ${COMPARABLE_NATS}`,
        below(gapFull, COMPARABLE_NATS),
        { figure: "sltrain-test-loss" },
      ),
      pairedCheck(
        "SLTrain's test accuracy is above low-rank-only training at equal parameters (acc(SLTrain) − acc(low-rank))",
        perSeed(r, "SLTrain", "testAcc"),
        perSeed(r, "low-rank", "testAcc"),
        "greater",
      ),
      sanity(
        "Parameter counts: SLTrain's hidden layers hold Σ r(m+n) + round(δmn) trainable weights, and the low-rank-only rank matches that budget within 1%",
        `SLTrain ${pSL} (formula ${expected}), low-rank ${pLR}, full-rank ${hiddenParams(r, "full-rank")}`,
        "SLTrain = formula; |low-rank − SLTrain| / SLTrain < 0.01",
        pSL === expected && Math.abs(pLR - pSL) / pSL < 0.01,
      ),
      sanity(
        "The sparse support never changes: after training, S is non-zero exactly on the support drawn at init (every seed, every layer)",
        r.seeds.map((s, i) => `seed ${s.seed}: support sizes ${allSL[i].supportSizes!.join("/")}`).join("; "),
        `support sizes ${sparseNnz(784, c.hidden, c.delta)}/${sparseNnz(c.hidden, c.hidden, c.delta)}, no off-support entry moved`,
        allSL.every(
          (x) =>
            x.offSupportZero === true &&
            x.supportUnchanged === true &&
            x.supportSizes![0] === sparseNnz(784, c.hidden, c.delta) &&
            x.supportSizes![1] === sparseNnz(c.hidden, c.hidden, c.delta),
        ),
        { seeds: allSL.length },
      ),
      lrInteriorCheck(r.selection, METHODS),
      ...sltrainCharChecks(r.char, c.char),
    ];
  },
  figures: (r) => [
    ...mlpFigures(r, METHODS, (m) => perSeed(r, m, "testLoss"), "sltrain"),
    ...charFigures(r.char, "sltrain", "bars"),
  ],
  summary(r) {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      trainExamples: r.sizes.train,
      valExamples: r.sizes.val,
      testExamples: r.sizes.test,
      "SLTrain rank per hidden layer": r.ranks.sltrain.join("/"),
      "low-rank rank per hidden layer (parameter-matched)": r.ranks.lowRank.join("/"),
    };
    for (const m of METHODS) {
      out[`${m} hidden-layer parameters`] = hiddenParams(r, m);
      out[`${m} selected lr`] = r.selection[m].best;
      out[`${m} test loss (mean)`] = mean(perSeed(r, m, "testLoss"));
      out[`${m} test accuracy (mean)`] = mean(perSeed(r, m, "testAcc"));
    }
    const sl = perSeed(r, "SLTrain", "testLoss");
    const lr = perSeed(r, "low-rank", "testLoss");
    out["seeds where SLTrain's test loss is below low-rank's"] = sl.filter((v, i) => v < lr[i]).length;
    out["SLTrain lr values tried"] = r.selection.SLTrain.tried.map((v) => v.toPrecision(2)).join(", ");
    out["SLTrain / full-rank parameter ratio"] = hiddenParams(r, "SLTrain") / hiddenParams(r, "full-rank");
    charSummary(r.char, out);
    out["char: comparable-to-full-rank margin (nats)"] = CHAR_COMPARABLE;
    return out;
  },
});
