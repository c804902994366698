// GaLore (Zhao et al., ICML 2024): projected Adam on an MLP on MNIST digits against full-rank
// Adam at matched steps, each with its own validation-selected learning rate.
import { galoreStateFloats } from "../../optim";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { LowrankConfig, lossFallsCheck, metricOf, methodRows, stateOfMethod } from "./experiment";
import { lowrankFigures } from "./figures";
import { charGaloreState, charMetric, charPreset, charRunOf } from "./char-harness";
import { charFigures, charLossFalls } from "./char-report";
import {
  charSummaryWithMargin,
  datasetRows,
  LowrankCharConfig,
  LowrankCharResult,
  lowrankSmoke,
  runLowrankChar,
} from "./lowrank-char";

export type GaloreConfig = LowrankCharConfig;
export type GaloreResult = LowrankCharResult;

/** Held-out loss margin (nats) for "about as well as full-rank Adam" on the char transformer. */
const CHAR_MARGIN = 0.05;
const CG8 = "GaLore r=8";

const ADAM = "Adam";
const G64 = "GaLore r=64";
const G16 = "GaLore r=16";

const base: GaloreConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [256, 256],
  steps: 400,
  batchSize: 64,
  updateGap: 50,
  scale: 0.25,
  logEvery: 20,
  maxExtensions: 1,
  methods: [
    { name: ADAM, kind: "adam", grid: [3e-4, 1e-3, 3e-3] },
    { name: G64, kind: "galore", rank: 64, grid: [3e-3, 1e-2, 3e-2] },
    { name: G16, kind: "galore", rank: 16, grid: [3e-3, 1e-2, 3e-2] },
  ],
  char: charPreset([
    { name: ADAM, kind: "adam", grid: [1e-3, 3e-3, 1e-2] },
    { name: CG8, kind: "galore", rank: 8, grid: [3e-3, 1e-2, 3e-2] },
  ]),
};

/** Exact state of the MLP with GaLore on the matrices whose min side exceeds r, Adam elsewhere. */
function expectedState(cfg: LowrankConfig, rank: number): number {
  const sizes = [784, ...cfg.hidden, 10];
  let s = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [m, n] = [sizes[l], sizes[l + 1]];
    s += Math.min(m, n) > rank ? galoreStateFloats(m, n, rank) : 2 * m * n;
    s += 2 * n; // bias
  }
  return s;
}

export const galore = definePaper<GaloreConfig, GaloreResult>({
  id: "galore",
  citation: {
    authors: ["Jiawei Zhao", "Zhenyu Zhang", "Beidi Chen", "Zhangyang Wang", "Anima Anandkumar", "Yuandong Tian"],
    title: "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection",
    venue: "ICML",
    year: 2024,
    arxiv: "2403.03507",
    code: "https://github.com/jiaweizzhao/GaLore",
  },
  claim:
    "Running Adam on a rank-r projection of each weight gradient (refreshed by SVD every T steps) trains about as well as full-rank Adam while holding a fraction of its optimizer state.",
  presets: {
    smoke: lowrankSmoke(base, 10),
    default: base,
    full: { ...base, examples: 9000, steps: 1500, updateGap: 200, seeds: [0, 1, 2, 3, 4] },
  },
  run: runLowrankChar,
  checks(r, cfg) {
    const acc = (m: string) => metricOf(r, m, "testAcc");
    const s64 = stateOfMethod(r, G64);
    const sAdam = stateOfMethod(r, ADAM);
    const perMatrix = Math.ceil(cfg.steps / cfg.updateGap);
    const g64 = r.runs.filter((x) => x.method === G64);
    return [
      pairedCheck(
        "GaLore r=64 matches full-rank Adam's test accuracy within 1.5 points at matched steps",
        acc(G64),
        acc(ADAM),
        "greater",
        { margin: -0.015, figure: "galore-memory", what: "GaLore r=64 − Adam, test accuracy" },
      ),
      pairedCheck("The rank matters: GaLore r=64 beats GaLore r=16 in test accuracy", acc(G64), acc(G16), "greater", {
        figure: "galore-memory",
        what: "r=64 − r=16, test accuracy",
      }),
      sanity(
        "Optimizer state counted from the optimizer equals 2·r·max(m,n) + r·min(m,n) per projected matrix plus Adam elsewhere",
        `${s64} (GaLore r=64) vs ${sAdam} (Adam)`,
        `${expectedState(cfg, 64)} and ${2 * r.params}`,
        s64 === expectedState(cfg, 64) && sAdam === 2 * r.params,
      ),
      sanity(
        "Projectors refresh every T steps (two projected matrices)",
        g64.map((x) => x.refreshes).join(", "),
        `${2 * perMatrix} per run`,
        g64.every((x) => x.refreshes === 2 * perMatrix),
      ),
      lossFallsCheck(r, cfg.seeds.length),
      pairedCheck(
        `Char transformer from scratch: GaLore r=8 on the attention and MLP matrices reaches a held-out loss within ${CHAR_MARGIN} nats of full-rank Adam at matched steps`,
        charMetric(r.char, CG8, "testLoss"),
        charMetric(r.char, ADAM, "testLoss"),
        "less",
        { margin: -CHAR_MARGIN, figure: "galore-char-memory", what: "GaLore r=8 − Adam, held-out loss in nats" },
      ),
      sanity(
        "Char transformer: optimizer state counted from the optimizer equals GaLore's closed form on the 12 attention and MLP matrices plus Adam's 2 floats per parameter elsewhere",
        `${charRunOf(r.char, CG8).stateFloats} (GaLore r=8) vs ${charRunOf(r.char, ADAM).stateFloats} (Adam)`,
        `${charGaloreState(8)} and ${2 * r.char.params}`,
        charRunOf(r.char, CG8).stateFloats === charGaloreState(8) &&
          charRunOf(r.char, ADAM).stateFloats === 2 * r.char.params,
      ),
      charLossFalls(r.char),
    ];
  },
  figures: (r) => [...lowrankFigures(r, "galore"), ...charFigures(r.char, "galore", "memory")],
  summary(r) {
    const out: Record<string, number | string> = { ...datasetRows(r), "non-inferiority margin (accuracy)": 0.015 };
    for (const m of [ADAM, G64, G16]) {
      methodRows(r, m, out);
      out[`${m}: state / Adam's`] = stateOfMethod(r, m) / stateOfMethod(r, ADAM);
    }
    charSummaryWithMargin(r.char, CHAR_MARGIN, out);
    out[`char ${CG8}: state / Adam's`] = charRunOf(r.char, CG8).stateFloats / charRunOf(r.char, ADAM).stateFloats;
    return out;
  },
});
