// Amos, Berant, Gupta (ICLR 2024), registered: self-pretraining (masked denoising on the task's
// own inputs) against training from scratch, for a transformer and an S4D stack on pixel MNIST
// at reduced length, at matched optimizer steps. See README.md for every pass rule.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { armKey, runSpt, SptConfig, SptResult } from "./run";

export type { SptConfig, SptResult } from "./run";

const base: SptConfig = {
  seeds: [0, 1, 2],
  side: 8,
  trainExamples: 1000,
  testExamples: 1000,
  valFraction: 0.2,
  batchSize: 32,
  steps: 160,
  pretrainFraction: 0.5,
  maskRate: 0.5,
  pretrainLr: 1e-3,
  lrGrid: [3e-3, 1e-2, 3e-2],
  backbones: ["transformer", "s4d"],
  transformer: { width: 32, heads: 4, layers: 2 },
  s4d: { width: 32, state: 32, layers: 2 },
};

const acc = (r: SptResult, k: string) => r.runs[k].map((x) => x.testAcc);
const gaps = (r: SptResult, arm: "scratch" | "spt") =>
  acc(r, armKey("s4d", arm)).map((v, i) => v - acc(r, armKey("transformer", arm))[i]);

export const selfPretraining = definePaper<SptConfig, SptResult>({
  id: "self-pretraining",
  citation: {
    authors: ["Ido Amos", "Jonathan Berant", "Ankit Gupta"],
    title: "Never Train from Scratch: Fair Comparison of Long-Sequence Models Requires Data-Driven Priors",
    venue: "ICLR",
    year: 2024,
    arxiv: "2310.02980",
    code: "https://github.com/IdoAmos/not-from-scratch",
  },
  claim:
    "Self-pretraining on the task's own training inputs (masked denoising) before fine-tuning, at the same total compute, improves a transformer on long-sequence tasks and shrinks its gap to state-space models, so training from scratch overstates architectural differences.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      trainExamples: 200,
      testExamples: 200,
      steps: 8,
      lrGrid: [3e-3],
      transformer: { width: 8, heads: 2, layers: 1 },
      s4d: { width: 8, state: 8, layers: 1 },
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], side: 12, trainExamples: 2000, steps: 1000 },
  },
  run: runSpt,
  checks(r, cfg) {
    const tf = [acc(r, armKey("transformer", "spt")), acc(r, armKey("transformer", "scratch"))];
    const d = pairedDifference(tf[0], tf[1]);
    // |gap| per seed: the claim is that SPT narrows the distance between architectures, whichever leads.
    const absGap = (arm: "scratch" | "spt") => gaps(r, arm).map(Math.abs);
    const shrink = pairedCheck(
      "The S4D–transformer accuracy gap, in absolute value, is smaller after self-pretraining than from scratch",
      absGap("scratch"),
      absGap("spt"),
      "greater",
      { figure: "spt-accuracy", what: "|gap| from scratch − |gap| with SPT" },
    );
    const ptDown = Object.values(r.runs)
      .flat()
      .filter((x) => x.pretrainFirst !== undefined);
    const s4dLearns = tInterval(acc(r, armKey("s4d", "scratch")));
    return [
      evidence(
        `Self-pretraining helps the transformer: test accuracy SPT (${Math.round(cfg.steps * cfg.pretrainFraction)} denoising + ${cfg.steps - Math.round(cfg.steps * cfg.pretrainFraction)} fine-tuning steps) − scratch (${cfg.steps} steps)`,
        d,
        "95% interval of the paired difference above 0 and its mean ≥ 0.03 (the card's 3 pp)",
        d.n >= 2 && d.lo > 0 && d.mean >= 0.03,
        { figure: "spt-accuracy" },
      ),
      shrink,
      sanity(
        "Masked denoising lowers its own loss (masked L1, first vs last log, every SPT run)",
        ptDown.map((x) => `${x.pretrainFirst!.toFixed(3)} → ${x.pretrainLast!.toFixed(3)}`).join("; "),
        "last < first for every run",
        ptDown.every((x) => x.pretrainLast! < x.pretrainFirst!),
        { seeds: cfg.seeds.length },
      ),
      sanity(
        "The S4D stack learns from scratch (test accuracy; chance is 0.1)",
        s4dLearns,
        "95% interval above 0.3",
        above(s4dLearns, 0.3),
        { figure: "spt-accuracy" },
      ),
    ];
  },
  figures(r) {
    const rows = Object.entries(r.runs).flatMap(([k, xs]) =>
      xs.map((x) => ({ run: `${k}, seed ${x.seed}`, arm: k, accuracy: x.testAcc })),
    );
    return [
      {
        name: "spt-accuracy",
        spec: barChart(rows, {
          x: "run",
          y: "accuracy",
          color: "arm",
          title: "Pixel MNIST: test accuracy, scratch vs self-pretrained, at matched steps",
          yTitle: "test accuracy",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = { "sequence length": cfg.side * cfg.side };
    for (const [k, sel] of Object.entries(r.selection)) {
      out[`${k}: test accuracy (mean)`] = tInterval(acc(r, k)).mean;
      out[`${k}: chosen lr`] = sel.best;
      out[`${k}: lr tried`] = sel.tried.join(", ");
    }
    out["S4D − transformer gap, scratch (mean)"] = tInterval(gaps(r, "scratch")).mean;
    out["S4D − transformer gap, SPT (mean)"] = tInterval(gaps(r, "spt")).mean;
    out["S4D: SPT − scratch (mean)"] = pairedDifference(
      acc(r, armKey("s4d", "spt")),
      acc(r, armKey("s4d", "scratch")),
    ).mean;
    return out;
  },
});
