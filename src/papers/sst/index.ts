// Sparse Spectral Training (Zhao et al., NeurIPS 2024), Euclidean part: all singular values
// and a σ-weighted sample of singular-vector pairs trained per step, against low-rank-only
// training at the same per-step trainable count and full-rank training.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { sstTrainableParams } from "../../nn/sst";
import { below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { METHODS, perSeed, runSST, SSTConfig, SSTResult } from "./run";
import { lrInteriorCheck, mlpFigures } from "../sltrain/mlp-report";
import { CharConfig, CharResult, charSmoke, runChar } from "../galore/char-harness";
import { charFigures, charSummary } from "../galore/char-report";
import { charConfig, charGapClosed, sstCharChecks, CHAR_GAP_SHARE } from "./char";

/** The MLP experiment plus the char transformer trained from scratch. */
type Config = SSTConfig & { char: CharConfig };
type Result = SSTResult & { char: CharResult };

const base: Config = {
  seeds: [0, 1, 2, 3, 4],
  examples: 5000,
  testFraction: 0.2,
  valFraction: 0.2,
  hidden: 256,
  rank: 8,
  resampleEvery: 50,
  reorthEvery: 200,
  steps: 400,
  batchSize: 64,
  lrGrid: [1e-3, 3e-3, 1e-2],
  logEvery: 20,
  char: charConfig,
};

/** Gap allowed between SST's and full-rank's test loss to call them comparable (nats). */
const COMPARABLE_NATS = 0.05;

const hiddenParams = (r: SSTResult, m: string) => r.seeds[0].runs.find((x) => x.method === m)!.hiddenParams;

/** Per seed: the share of the low-rank → full-rank test-loss gap that SST closes. */
function gapClosed(r: SSTResult): number[] {
  const sst = perSeed(r, "SST", "testLoss");
  const lr = perSeed(r, "low-rank", "testLoss");
  const full = perSeed(r, "full-rank", "testLoss");
  return sst.map((v, i) => (lr[i] - v) / (lr[i] - full[i]));
}

export const sst = definePaper<Config, Result>({
  id: "sst",
  citation: {
    authors: ["Jialin Zhao", "Yingtao Zhang", "Xinghang Li", "Huaping Liu", "Carlo Vittorio Cannistraci"],
    title: "Sparse Spectral Training and Inference on Euclidean and Hyperbolic Neural Networks",
    venue: "NeurIPS",
    year: 2024,
    arxiv: "2405.15481",
  },
  claim:
    "Training every singular value and a singular-value-weighted sample of singular-vector pairs each step beats low-rank training with the same number of trainable parameters and closes most of its gap to full-rank training.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      examples: 1200,
      steps: 30,
      lrGrid: [3e-3],
      logEvery: 10,
      resampleEvery: 10,
      reorthEvery: 15,
      char: charSmoke(charConfig),
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], examples: 9900, steps: 1500 },
  },
  run: async (cfg, ctx) => ({ ...(await runSST(cfg, ctx)), char: await runChar(cfg.char, ctx) }),
  checks(r, c) {
    const lossSST = perSeed(r, "SST", "testLoss");
    const lossLR = perSeed(r, "low-rank", "testLoss");
    const lossFull = perSeed(r, "full-rank", "testLoss");
    const gapFull = pairedDifference(lossSST, lossFull);
    const closed = tInterval(gapClosed(r));
    const pSST = hiddenParams(r, "SST");
    const pLR = hiddenParams(r, "low-rank");
    const expected =
      sstTrainableParams(784, c.hidden, c.rank, false) + sstTrainableParams(c.hidden, c.hidden, c.rank, false);
    const allSST = r.seeds.map((s) => s.runs.find((x) => x.method === "SST")!);
    const endsOnReorth = c.steps % c.reorthEvery === 0;
    return [
      pairedCheck(
        "SST reaches a lower test loss than low-rank-only training with the same per-step trainable count (loss(low-rank) − loss(SST))",
        lossLR,
        lossSST,
        "greater",
        { figure: "sst-test-loss", what: "nats" },
      ),
      evidence(
        "SST closes most of the test-loss gap between low-rank and full-rank training: (loss(low-rank) − loss(SST)) / (loss(low-rank) − loss(full-rank)) per seed",
        closed,
        "95% interval above 0.5",
        closed.n >= 2 && closed.lo > 0.5,
        { figure: "sst-test-loss" },
      ),
      evidence(
        `SST's test loss is comparable to full-rank training: loss(SST) − loss(full-rank) under ${COMPARABLE_NATS} nats`,
        gapFull,
        `95% interval of the paired difference below ${COMPARABLE_NATS}`,
        below(gapFull, COMPARABLE_NATS),
        { figure: "sst-test-loss" },
      ),
      sanity(
        "Parameter counts: SST updates Σ r(m+n) + min(m,n) weights per step in the hidden layers, and the low-rank-only ranks are the closest integers to that budget",
        `SST ${pSST} (formula ${expected}), low-rank ${pLR}, full-rank ${hiddenParams(r, "full-rank")}`,
        "SST = formula; |low-rank − SST| ≤ half a rank step per layer, (m+n)/2 summed",
        pSST === expected && Math.abs(pLR - pSST) <= (784 + c.hidden) / 2 + c.hidden,
      ),
      sanity(
        "After the final re-SVD, SST's U and V are orthonormal (largest |UᵀU − I|, |VᵀV − I| entry over seeds and layers)",
        Math.max(...allSST.map((x) => x.orthoError!)),
        `below 1e-4, with ${c.steps / c.reorthEvery} re-SVDs per layer`,
        endsOnReorth &&
          allSST.every(
            (x) => x.orthoError! < 1e-4 && x.reorths!.every((k) => k === Math.floor(c.steps / c.reorthEvery)),
          ),
        { seeds: allSST.length },
      ),
      lrInteriorCheck(r.selection, METHODS),
      ...sstCharChecks(r.char, c.char),
    ];
  },
  figures: (r) => [
    ...mlpFigures(r, METHODS, (m) => perSeed(r, m, "testLoss"), "sst"),
    ...charFigures(r.char, "sst", "bars"),
  ],
  summary(r) {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      trainExamples: r.sizes.train,
      valExamples: r.sizes.val,
      testExamples: r.sizes.test,
      "SST sampled rank per hidden layer": r.ranks.sst.join("/"),
      "low-rank rank per hidden layer (parameter-matched)": r.ranks.lowRank.join("/"),
    };
    for (const m of METHODS) {
      out[`${m} hidden-layer parameters updated per step`] = hiddenParams(r, m);
      out[`${m} selected lr`] = r.selection[m].best;
      out[`${m} test loss (mean)`] = mean(perSeed(r, m, "testLoss"));
      out[`${m} test accuracy (mean)`] = mean(perSeed(r, m, "testAcc"));
    }
    const sst = perSeed(r, "SST", "testLoss");
    const lr = perSeed(r, "low-rank", "testLoss");
    out["seeds where SST's test loss is below low-rank's"] = sst.filter((v, i) => v < lr[i]).length;
    out["share of the low-rank → full-rank gap closed (mean)"] = mean(gapClosed(r));
    out["SST / full-rank per-step trainable ratio"] = hiddenParams(r, "SST") / hiddenParams(r, "full-rank");
    charSummary(r.char, out);
    out["char: gap share to close (pass line)"] = CHAR_GAP_SHARE;
    out["char: share of the ReLoRA* → full-rank gap closed by SST (mean)"] = mean(charGapClosed(r.char));
    return out;
  },
});
