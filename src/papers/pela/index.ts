// PELA (Guo et al., CVPR 2024): low-rank approximation of a trained network followed by
// intermediate training with feature distillation and weight perturbation, on an MNIST MLP.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { PelaConfig, PelaSeedRun, PelaVariant, runPelaSeed, VARIANTS } from "./run";

export interface PelaResult {
  runs: PelaSeedRun[];
}

const base: PelaConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 4000,
  hidden: [256, 256],
  teacherEpochs: 6,
  epochs: 2,
  batchSize: 128,
  lr: 1e-3,
  lrGrid: [1e-4, 3e-4, 1e-3],
  c: 2,
  alpha: 1,
  lambda: 1,
  epsilon: 0,
  valFraction: 0.2,
  char: {
    seeds: [0, 1, 2],
    c: 2,
    steps: 80,
    batchSize: 32,
    lrGrid: [3e-4, 1e-3, 3e-3],
    maxExtensions: 1,
    alpha: 1,
    lambda: 1,
    epsilon: 0,
    evalWindows: 300,
  },
};

const LABEL: Record<PelaVariant, string> = {
  svd: "SVD only",
  ce: "SVD + CE training",
  fd: "SVD + CE + FD",
  fdwp: "SVD + CE + FD + WP",
};
const acc = (r: PelaResult, v: PelaVariant) => r.runs.map((x) => x.variants[v].acc);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const pela = definePaper<PelaConfig, PelaResult, PelaSeedRun>({
  id: "pela",
  citation: {
    authors: ["Yangyang Guo", "Guangzhi Wang", "Mohan Kankanhalli"],
    title: "PELA: Learning Parameter-Efficient Models with Low-Rank Approximation",
    venue: "CVPR",
    year: 2024,
    arxiv: "2310.10700",
    code: "https://github.com/guoyang9/PELA",
  },
  claim:
    "Replacing every linear layer of a trained model by a truncated-SVD factor pair and briefly training it against the " +
    "original with feature distillation (plus a weight-perturbation regulariser) recovers nearly all the accuracy at a " +
    "fraction of the parameters; the distillation is what recovers it.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      examples: 800,
      hidden: [64, 64],
      teacherEpochs: 1,
      epochs: 1,
      lrGrid: [1e-3],
      char: { ...base.char, seeds: [0, 1], steps: 4, lrGrid: [1e-3], maxExtensions: 0, evalWindows: 20 },
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], examples: 9000, teacherEpochs: 10, epochs: 4 },
  },
  runSeed: runPelaSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const gap = pairedDifference(
      r.runs.map((x) => x.teacherAcc),
      acc(r, "fd"),
    );
    const fdVsSvd = pairedDifference(acc(r, "fd"), acc(r, "svd"));
    const fdVsCe = pairedDifference(acc(r, "fd"), acc(r, "ce"));
    const wp = pairedDifference(acc(r, "fdwp"), acc(r, "fd"));
    const teacher = tInterval(r.runs.map((x) => x.teacherAcc));
    const ratio = r.runs[0].studentParams / r.runs[0].teacherParams;
    const ch = r.runs.filter((x) => x.char !== null).map((x) => x.char!);
    const cl = (v: PelaVariant) => ch.map((x) => x.variants[v].loss);
    const charGap = pairedDifference(
      ch.map((x) => x.teacherAcc),
      ch.map((x) => x.variants.fd.acc),
    );
    const charFdVsSvd = pairedDifference(cl("svd"), cl("fd"));
    const charFdVsCe = pairedDifference(cl("ce"), cl("fd"));
    const charWp = pairedDifference(cl("fd"), cl("fdwp"));
    const charRatio = ch[0].studentParams / ch[0].teacherParams;
    return [
      evidence(
        "Char transformer: the FD-trained low-rank student stays within 1 point of the teacher's held-out next-character accuracy",
        charGap,
        "95% interval of the paired difference (teacher − student accuracy) below 0.01",
        below(charGap, 0.01),
        { figure: "pela-char-loss" },
      ),
      evidence(
        "Char transformer: intermediate training with FD lowers the held-out loss of the plain SVD truncation",
        charFdVsSvd,
        "95% interval of the paired difference (SVD-only − FD held-out loss, nats) above 0",
        above(charFdVsSvd, 0),
        { figure: "pela-char-loss" },
      ),
      evidence(
        "Char transformer: feature distillation beats cross-entropy alone (same steps, own lr each)",
        charFdVsCe,
        "95% interval of the paired difference (CE − FD held-out loss, nats) above 0",
        above(charFdVsCe, 0),
        { figure: "pela-char-loss" },
      ),
      evidence(
        "Char transformer: adding the weight-perturbation term to FD improves the student",
        charWp,
        "95% interval of the paired difference (FD − FD+WP held-out loss, nats) above 0",
        above(charWp, 0),
        { figure: "pela-char-loss" },
      ),
      sanity(
        "Char transformer: the student at c = 2 holds well under the base's parameters (ratio student / teacher)",
        charRatio,
        "below 0.6",
        charRatio < 0.6,
        { seeds: ch.length },
      ),
      evidence(
        "The FD-trained low-rank student stays within 1 point of the teacher's test accuracy",
        gap,
        "95% interval of the paired difference (teacher − student accuracy) below 0.01",
        below(gap, 0.01),
        { figure: "pela-accuracy" },
      ),
      evidence(
        "Intermediate training with FD recovers accuracy over the plain SVD truncation",
        fdVsSvd,
        "95% interval of the paired difference (FD − SVD-only accuracy) above 0",
        above(fdVsSvd, 0),
        { figure: "pela-accuracy" },
      ),
      evidence(
        "Feature distillation beats training with cross-entropy alone (same steps, own lr each)",
        fdVsCe,
        "95% interval of the paired difference (FD − CE accuracy) above 0",
        above(fdVsCe, 0),
        { figure: "pela-accuracy" },
      ),
      evidence(
        "Adding the weight-perturbation term to FD improves the student",
        wp,
        "95% interval of the paired difference (FD+WP − FD accuracy) above 0",
        above(wp, 0),
        { figure: "pela-accuracy" },
      ),
      sanity("The teacher learns the digits", teacher, "95% interval of test accuracy above 0.9", above(teacher, 0.9)),
      sanity(
        "The student at c = 2 holds well under the teacher's parameters (ratio student / teacher)",
        ratio,
        "below 0.6",
        ratio < 0.6,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const rows = [
      { method: "teacher", ...stat(r.runs.map((x) => x.teacherAcc)) },
      ...VARIANTS.map((v) => ({ method: LABEL[v], ...stat(acc(r, v)) })),
    ];
    const ch = r.runs.filter((x) => x.char !== null).map((x) => x.char!);
    const charRows = [
      { method: "teacher (base)", ...statLoss(ch.map((x) => x.teacherLoss)) },
      ...VARIANTS.map((v) => ({ method: LABEL[v], ...statLoss(ch.map((x) => x.variants[v].loss)) })),
    ];
    return [
      {
        name: "pela-char-loss",
        spec: barChart(charRows, {
          x: "method",
          y: "held-out loss",
          error: "half",
          title: `Char transformer: held-out license loss, base vs low-rank students (c = 2), mean ± 95% interval, ${ch.length} seeds`,
          yTitle: "next-character cross-entropy (nats)",
        }),
      },
      {
        name: "pela-accuracy",
        spec: barChart(rows, {
          x: "method",
          y: "test accuracy",
          error: "half",
          title: "Test accuracy, teacher vs low-rank students, mean ± 95% interval",
          yTitle: "test accuracy (fraction)",
        }),
      },
    ];
  },
  summary(r) {
    const first = r.runs[0];
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      trainExamples: first.trainExamples,
      testExamples: first.testExamples,
      "student ranks": first.ranks.join(", "),
      "teacher parameters": first.teacherParams,
      "student parameters": first.studentParams,
      "student / teacher parameters": first.studentParams / first.teacherParams,
      "teacher test accuracy (mean)": mean(r.runs.map((x) => x.teacherAcc)),
    };
    for (const v of VARIANTS) {
      out[`${LABEL[v]} test accuracy (mean)`] = mean(acc(r, v));
      out[`${LABEL[v]} test loss (mean)`] = mean(r.runs.map((x) => x.variants[v].loss));
      if (v !== "svd") out[`${LABEL[v]} chosen lr per seed`] = r.runs.map((x) => x.variants[v].lr).join(", ");
    }
    const ch = r.runs.filter((x) => x.char !== null).map((x) => x.char!);
    out["char seeds"] = ch.length;
    out["char student ranks"] = ch[0].ranks.join(", ");
    out["char teacher parameters"] = ch[0].teacherParams;
    out["char student parameters"] = ch[0].studentParams;
    out["char student / teacher parameters"] = ch[0].studentParams / ch[0].teacherParams;
    out["char teacher held-out loss"] = ch[0].teacherLoss;
    out["char teacher held-out accuracy"] = ch[0].teacherAcc;
    for (const v of VARIANTS) {
      out[`char ${LABEL[v]} held-out loss (mean)`] = mean(ch.map((x) => x.variants[v].loss));
      out[`char ${LABEL[v]} held-out accuracy (mean)`] = mean(ch.map((x) => x.variants[v].acc));
      if (v !== "svd") out[`char ${LABEL[v]} chosen lr per seed`] = ch.map((x) => x.variants[v].lr).join(", ");
    }
    return out;
  },
});

function statLoss(xs: number[]): { "held-out loss": number; half: number } {
  const iv = tInterval(xs);
  return { "held-out loss": iv.mean, half: xs.length > 1 ? (iv.hi - iv.lo) / 2 : 0 };
}

function stat(xs: number[]): { "test accuracy": number; half: number } {
  const iv = tInterval(xs);
  return { "test accuracy": iv.mean, half: xs.length > 1 ? (iv.hi - iv.lo) / 2 : 0 };
}
