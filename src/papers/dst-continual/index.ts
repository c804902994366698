// Continual Learning with Dynamic Sparse Training (Yildirim et al., CPAL 2024) on split
// Fashion-MNIST. See README.md for the setting and every pass rule.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { Allocation, DstConfig, DstResult, runDst } from "./run";

const base: DstConfig = {
  seeds: [0, 1, 2],
  tasks: 5,
  trainPerTask: 1200,
  valPerTask: 300,
  testPerTask: 500,
  sizes: [784, 256, 256, 10],
  densities: [0.2, 0.05],
  allocations: ["erk", "uniform"],
  growths: ["random", "gradient"],
  epochsPerTask: 2,
  batchSize: 64,
  updateEvery: 8,
  updateUntil: 0.75,
  dropFraction: 0.5,
  lrs: [3e-4, 1e-3, 3e-3],
};

const key = (d: number, a: string, g: string) => `d=${d} ${a === "erk" ? "ERK" : "uniform"} ${g}`;
/** Per seed: average accuracy of a setting. */
const avg = (r: DstResult, d: number, a: Allocation, g: string) =>
  r.seeds.map((x) => x.runs.find((y) => y.density === d && y.allocation === a && y.growth === g)!.avgAcc);
/** Per seed: mean over growth rules of ERK − uniform at density d. */
const erkMinusUniform = (r: DstResult, d: number, growths: string[]) => {
  const per = growths.map((g) => pairedDiffs(avg(r, d, "erk", g), avg(r, d, "uniform", g)));
  return r.seeds.map((_, i) => per.reduce((a, p) => a + p[i], 0) / per.length);
};
const pairedDiffs = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);

export const dstContinual = definePaper<DstConfig, DstResult>({
  id: "dst-continual",
  citation: {
    authors: [
      "Murat Onur Yildirim",
      "Elif Ceren Gok Yildirim",
      "Ghada Sokar",
      "Decebal Constantin Mocanu",
      "Joaquin Vanschoren",
    ],
    title: "Continual Learning with Dynamic Sparse Training: Exploring Algorithms for Effective Model Updates",
    venue: "CPAL",
    year: 2024,
    arxiv: "2308.14831",
    code: "https://github.com/muratonuryildirim/CL-with-DST",
  },
  claim:
    "In task-incremental continual learning where each task trains its own sparse subnetwork by dynamic sparse training and then freezes it, ERK initialisation is better at moderate sparsity while uniform is more reliable at high sparsity, with no forgetting by construction.",
  presets: {
    smoke: {
      ...base,
      seeds: [0, 1],
      tasks: 2,
      trainPerTask: 200,
      valPerTask: 100,
      testPerTask: 100,
      sizes: [784, 32, 32, 10],
      epochsPerTask: 1,
      updateEvery: 2,
      lrs: [1e-3],
    },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4],
      trainPerTask: 5000,
      valPerTask: 1000,
      testPerTask: 2000,
      epochsPerTask: 5,
      updateEvery: 40,
    },
  },
  run: runDst,
  checks(r, cfg) {
    const [dHi, dLo] = [Math.max(...cfg.densities), Math.min(...cfg.densities)];
    const all = r.seeds.flatMap((x) => x.runs);
    const maxBwt = Math.max(...all.map((x) => Math.abs(x.bwt)));
    const worst = tInterval(r.seeds.map((x) => Math.min(...x.runs.map((y) => y.avgAcc))));
    const hi = pairedDifference(
      erkMinusUniform(r, dHi, cfg.growths),
      r.seeds.map(() => 0),
    );
    const lo = pairedDifference(
      erkMinusUniform(r, dLo, cfg.growths),
      r.seeds.map(() => 0),
    );
    return [
      evidence(
        "Each task's sparse subnetwork learns its task: average accuracy over the tasks of the weakest setting (per seed)",
        worst,
        "95% interval above 0.85",
        above(worst, 0.85),
        { figure: "dst-continual-accuracy" },
      ),
      evidence(
        `At density ${dHi} ERK beats uniform: average accuracy (ERK − uniform, mean over growth rules), paired by seed`,
        hi,
        "95% interval of the paired difference above 0",
        above(hi, 0),
        { figure: "dst-continual-accuracy" },
      ),
      evidence(
        `At density ${dLo} uniform beats ERK: average accuracy (ERK − uniform, mean over growth rules), paired by seed`,
        lo,
        "95% interval of the paired difference below 0",
        below(lo, 0),
        { figure: "dst-continual-accuracy" },
      ),
      sanity(
        "No forgetting: frozen subnetworks keep every earlier task's accuracy (largest |BWT| over settings and seeds)",
        maxBwt,
        "at most 1e-6",
        maxBwt <= 1e-6,
        { seeds: r.seeds.length },
      ),
    ];
  },
  figures(r, cfg) {
    const rows = cfg.densities.flatMap((d) =>
      cfg.allocations.flatMap((a) =>
        cfg.growths.map((g) => ({ setting: key(d, a, g), accuracy: tInterval(avg(r, d, a, g)).mean })),
      ),
    );
    const first = r.seeds[0].runs[0];
    const matrix = first.acc.flatMap((row, i) =>
      row.map((v, j) => ({ "after task": i + 1, task: `task ${j + 1}`, accuracy: v })),
    );
    return [
      {
        name: "dst-continual-accuracy",
        spec: barChart(rows, {
          x: "setting",
          y: "accuracy",
          title: `Average accuracy over ${cfg.tasks} tasks after the last (mean of ${r.seeds.length} seeds)`,
          yTitle: "average accuracy",
        }),
      },
      {
        name: "dst-continual-matrix",
        spec: lineChart(matrix, {
          x: "after task",
          y: "accuracy",
          color: "task",
          title: `Accuracy on each task as later tasks are learned (${key(first.density, first.allocation, first.growth)}, first seed)`,
          xTitle: "tasks learned",
          yTitle: "test accuracy",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = {
      seeds: r.seeds.length,
      tasks: cfg.tasks,
      trainPerTask: r.trainPerTask,
      testPerTask: r.testPerTask,
    };
    for (const d of cfg.densities) {
      for (const a of cfg.allocations) {
        out[`learning rate d=${d} ${a}`] = r.selection[`${d}/${a}`].best;
        for (const g of cfg.growths) out[`${key(d, a, g)}: average accuracy (mean)`] = tInterval(avg(r, d, a, g)).mean;
      }
      out[`ERK − uniform at d=${d} (mean)`] = tInterval(erkMinusUniform(r, d, cfg.growths)).mean;
      for (const a of cfg.allocations)
        out[`gradient − random growth, d=${d} ${a} (mean)`] = tInterval(
          pairedDiffs(avg(r, d, a, "gradient"), avg(r, d, a, "random")),
        ).mean;
      const erkRun = r.seeds[0].runs.find((y) => y.density === d && y.allocation === "erk");
      if (erkRun) out[`ERK layer densities at d=${d}`] = erkRun.layerDensities.map((x) => x.toFixed(3)).join(", ");
      const used = r.seeds.flatMap((x) => x.runs.filter((y) => y.density === d).map((y) => y.used));
      out[`weights used by some task at d=${d} (mean)`] = tInterval(used).mean;
    }
    return out;
  },
});
