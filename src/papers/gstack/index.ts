// G_stack (Du et al., NeurIPS 2024): grow a small transformer by stacking its whole block list,
// and reach the from-scratch model's loss with fewer FLOPs. Toy: a character model on the
// Debian license texts, 1 block → 4 blocks, growth point swept over 5/10/20% of the budget.
import { tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { flopSaving, GStackConfig, GStackResult, runGStack, stepsToLoss } from "./run";

const base: GStackConfig = {
  seeds: [0, 1, 2],
  vocab: 68,
  width: 32,
  heads: 2,
  context: 32,
  baseLayers: 1,
  factor: 4,
  steps: 300,
  batchSize: 16,
  warmup: 20,
  growthPoints: [0.05, 0.1, 0.2],
  headline: 0.1,
  lrGrid: [1e-3, 3e-3, 1e-2],
  evalEvery: 15,
  evalWindows: 64,
  selectionSeed: 100,
};

const last = <T>(xs: T[]): T => xs[xs.length - 1];

function savings(r: GStackResult, c: GStackConfig, point: number): number[] {
  return r.runs.map((run) =>
    flopSaving(
      r,
      run,
      run.grown.find((g) => g.point === point)!,
      c.steps,
    ),
  );
}

const finalOf = (r: GStackResult, point: number) =>
  r.runs.map((run) => last(run.grown.find((g) => g.point === point)!.curve).loss);

export const gstack = definePaper<GStackConfig, GStackResult>({
  id: "gstack",
  citation: {
    authors: ["Du", "Zhang", "Cao", "Guo", "Cao", "Chu", "Wang", "Zhou", "Fu", "Huang", "Ma", "Wu"],
    title: "Stacking Your Transformers: A Closer Look at Model Growth for Efficient LLM Pre-Training",
    venue: "NeurIPS",
    year: 2024,
    arxiv: "2405.15319",
    code: "https://github.com/tongxuluo/prts",
  },
  claim:
    "Growing a small trained transformer by stacking its whole block list (G_stack) reaches the loss of the same large model trained from scratch with fewer FLOPs (a 54.6% speed-up at 7B).",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      steps: 20,
      warmup: 4,
      evalEvery: 10,
      evalWindows: 8,
      lrGrid: [3e-3],
      growthPoints: [0.1],
    },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], width: 64, heads: 4, steps: 1500, batchSize: 32 },
  },
  run: runGStack,
  checks(r, c) {
    const sv = tInterval(savings(r, c, c.headline));
    const start = r.runs.map((run) => run.scratch[0].loss);
    const atGrowth = r.runs.map((run) => Math.max(...run.grown.map((g) => g.lossAtGrowth)));
    return [
      evidence(
        `G_stack (growth point ${c.headline * 100}% of the budget) reaches the scratch model's final test loss with fewer FLOPs, counting the small model's`,
        sv,
        "95% interval of the FLOP saving (1 − G_stack FLOPs / scratch FLOPs) above 0",
        above(sv, 0),
        { figure: "gstack-loss" },
      ),
      pairedCheck(
        `After the same number of target-model steps, G_stack (growth point ${c.headline * 100}%) ends at a lower test loss than scratch`,
        finalOf(r, c.headline),
        r.runs.map((run) => last(run.scratch).loss),
        "less",
        { what: "G_stack − scratch final test loss, nats", figure: "gstack-loss" },
      ),
      sanity(
        "The stacked model has exactly the scratch model's parameter count",
        `${r.paramsStacked} vs ${r.paramsScratch}`,
        "equal",
        r.paramsStacked === r.paramsScratch,
      ),
      sanity(
        "Stacked models start below the fresh model's initial test loss (they carry the small model's training)",
        `worst stacked ${Math.max(...atGrowth).toFixed(3)} vs fresh ${Math.min(...start).toFixed(3)} nats`,
        "every seed and growth point below",
        atGrowth.every((a, i) => a < start[i]),
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r, c) {
    const run = r.runs[0];
    const budget = c.steps * r.flopsTargetStep;
    const rows = run.scratch.map((p) => ({
      method: "scratch",
      flops: (p.step * r.flopsTargetStep) / budget,
      loss: p.loss,
    }));
    for (const g of run.grown) {
      const off = g.baseSteps * r.flopsSmallStep;
      for (const p of g.curve)
        rows.push({
          method: `G_stack ${g.point * 100}%`,
          flops: (off + p.step * r.flopsTargetStep) / budget,
          loss: p.loss,
        });
    }
    const sweep = c.growthPoints.flatMap((pt) =>
      savings(r, c, pt).map((s, i) => ({ point: pt * 100, seed: `seed ${r.runs[i].seed}`, saving: s })),
    );
    return [
      {
        name: "gstack-loss",
        spec: lineChart(rows, {
          x: "flops",
          y: "loss",
          color: "method",
          title: `Test loss against FLOPs spent (seed ${run.seed}; 1 = the scratch run's budget)`,
          xTitle: "FLOPs / scratch budget",
          yTitle: "test cross-entropy (nats)",
        }),
      },
      {
        name: "gstack-sweep",
        spec: lineChart(sweep, {
          x: "point",
          y: "saving",
          color: "seed",
          title: "FLOP saving to reach scratch's final test loss, by growth point",
          xTitle: "growth point (% of scratch FLOPs spent on the small model)",
          yTitle: "FLOP saving (fraction)",
        }),
      },
    ];
  },
  summary(r, c) {
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      "scratch lr (validation)": r.selection.scratch.best,
      "G_stack lr (validation)": r.selection.gstack.best,
      "scratch final test loss (mean)": tInterval(r.runs.map((x) => last(x.scratch).loss)).mean,
      "scratch final test loss per seed": r.runs.map((x) => last(x.scratch).loss.toFixed(3)).join(" / "),
      "lr grid tried (scratch; G_stack)": `${r.selection.scratch.tried.join(", ")}; ${r.selection.gstack.tried.join(", ")}`,
      "parameters (4 blocks)": r.paramsScratch,
      "FLOPs ratio small/target step": r.flopsSmallStep / r.flopsTargetStep,
    };
    for (const pt of c.growthPoints) {
      const tag = `${pt * 100}%`;
      const g0 = r.runs[0].grown.find((g) => g.point === pt)!;
      out[`small-model steps at ${tag}`] = g0.baseSteps;
      out[`FLOP saving at ${tag} (mean)`] = tInterval(savings(r, c, pt)).mean;
      out[`FLOP saving at ${tag} per seed`] = savings(r, c, pt)
        .map((v) => v.toFixed(3))
        .join(" / ");
      out[`G_stack ${tag} final test loss (mean)`] = tInterval(finalOf(r, pt)).mean;
      out[`seeds reaching scratch's loss at ${tag}`] = r.runs.filter((run) => {
        const g = run.grown.find((x) => x.point === pt)!;
        return stepsToLoss(g.curve, last(run.scratch).loss) !== null;
      }).length;
    }
    return out;
  },
});
