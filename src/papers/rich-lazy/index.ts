// Liu et al. (ICLR 2024), registered: rank-r inits of the recurrent weights of a ReLU RNN,
// trained on two NeuroGym-style tasks; the checks compare rank 1 with full rank on 2AF as
// paired differences over seeds (every init of a seed shares W_G, W_in, W_out and trials) of
// ΔW, KA (tangent kernel over every time step, as the paper) and RA.
import { Interval, pairedDifference, tInterval } from "../../metrics/intervals";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { Check } from "../types";
import { PairedTable, richLazyFigures } from "./figures";
import {
  aggregate,
  combineRichLazy,
  initSpecs,
  RichLazyConfig,
  RichLazyResult,
  runRichLazySeed,
  RunRecord,
} from "./run";

const base: RichLazyConfig = {
  seeds: [0, 1, 2, 3, 4],
  hidden: 200,
  ranks: [1, 200],
  alignedRank: 1,
  tasks: ["2AF", "DMS"],
  iterations: 1500,
  batchSize: 32,
  lr: 0.003,
  momentum: 0.9,
  gain: 1.25,
  kernelTrials: 32,
  kernelTrialsAll: 16,
  repTrials: 320,
};

const METRICS = [
  ["dW", "ΔW"],
  ["KA", "KA"],
  ["KAdecision", "KA (decision step)"],
  ["RA", "RA"],
] as const;

/** The compared inits: the lowest random rank and the full-rank W_G. */
function compared(cfg: RichLazyConfig) {
  const specs = initSpecs(cfg);
  const r1 = specs.find((s) => s.kind === "random" && s.rank === Math.min(cfg.hidden, ...cfg.ranks));
  const full = specs.find((s) => s.kind === "random" && s.rank >= cfg.hidden);
  return r1 && full && r1 !== full ? { r1, full } : null;
}

/** Per-seed pairs (a = rank 1, b = full) of a metric on a task; seeds with a NaN on either side are dropped. */
function pairs(
  r: RichLazyResult,
  cfg: RichLazyConfig,
  task: string,
  metric: keyof RunRecord,
): { a: number[]; b: number[]; seeds: number[] } {
  const c = compared(cfg);
  const out = { a: [] as number[], b: [] as number[], seeds: [] as number[] };
  if (!c) return out;
  for (const s of cfg.seeds) {
    const get = (label: string) =>
      r.runs.find((x) => x.task === task && x.seed === s && x.init === label)?.[metric] as number | undefined;
    const a = get(c.r1.label);
    const b = get(c.full.label);
    if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b)) {
      out.a.push(a);
      out.b.push(b);
      out.seeds.push(s);
    }
  }
  return out;
}

function pairedTable(r: RichLazyResult, cfg: RichLazyConfig): PairedTable {
  const out: PairedTable = [];
  for (const task of cfg.tasks) {
    for (const [m, name] of METRICS) {
      const p = pairs(r, cfg, task, m);
      if (p.a.length) out.push({ task, metric: name, iv: pairedDifference(p.a, p.b) });
    }
  }
  return out;
}

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x);
const none: Interval = { mean: NaN, lo: NaN, hi: NaN, n: 1, level: 0.95, method: "single" };

export const richLazy = definePaper<RichLazyConfig, RichLazyResult, RichLazyResult>({
  id: "rich-lazy",
  citation: {
    authors: [
      "Yuhan Helena Liu",
      "Aristide Baratin",
      "Jonathan Cornford",
      "Stefan Mihalas",
      "Eric Shea-Brown",
      "Guillaume Lajoie",
    ],
    title: "How connectivity structure shapes rich and lazy learning in neural circuits",
    venue: "ICLR",
    year: 2024,
    arxiv: "2310.08513",
    code: "https://github.com/Helena-Yuhan-Liu/BioRNN_RichLazy",
  },
  claim:
    "Higher-rank initial recurrent connectivity gives lazier learning (smaller ‖ΔW‖, tangent-kernel alignment nearer 1); low-rank init biases towards rich learning unless it is aligned with the task.",
  presets: {
    // smoke: pipeline only (too few iterations to learn the task well).
    smoke: {
      ...base,
      seeds: [0, 1],
      hidden: 40,
      ranks: [1, 40],
      iterations: 300,
      kernelTrials: 8,
      kernelTrialsAll: 4,
      repTrials: 64,
    },
    // default: N = 200, ranks {1, 200} (plus the aligned rank 1), 1000 iterations, 5 seeds.
    default: { ...base, iterations: 1000 },
    // full: N = 200, 1500 iterations, 5 seeds, one more rank.
    full: { ...base, seeds: [0, 1, 2, 3, 4], hidden: 200, ranks: [1, 10, 30, 200], iterations: 1500 },
  },
  // Seeds are independent (each (task, seed) group is seeded on its own): runPaper can spread
  // them over workers and sweeps over machines; combine restores the task-major order.
  runSeed: runRichLazySeed,
  combine: combineRichLazy,
  checks(r, cfg) {
    const c = compared(cfg);
    if (!c || !cfg.tasks.includes("2AF"))
      return [
        sanity(
          "The preset compares rank 1 with full rank on 2AF",
          "not configured",
          "ranks include 1 and ≥ hidden; tasks include 2AF",
          false,
        ),
      ];
    const n = cfg.seeds.length;
    const diff = (m: keyof RunRecord) => {
      const p = pairs(r, cfg, "2AF", m);
      return p.a.length ? pairedDifference(p.a, p.b) : none;
    };
    const dW = diff("dW");
    const KA = diff("KA");
    const RA = diff("RA");
    const accs = r.runs
      .filter((x) => x.task === "2AF" && x.init === c.full.label && Number.isFinite(x.acc))
      .map((x) => x.acc);
    const acc = accs.length ? tInterval(accs) : none;
    const checks: Check[] = [
      evidence(
        `2AF: ${c.r1.label} init changes W more than full rank: paired difference ‖ΔW‖_F(${c.r1.label}) − ‖ΔW‖_F(full) over ${n} seeds`,
        dW,
        "95% interval of the paired difference above 0",
        Number.isFinite(dW.mean) && above(dW, 0),
        { figure: "rich-lazy-paired" },
      ),
      evidence(
        `2AF: ${c.r1.label} init keeps less tangent-kernel alignment than full rank (kernel over the logits of every time step, as the paper): paired difference KA(${c.r1.label}) − KA(full) over ${n} seeds`,
        KA,
        "95% interval of the paired difference below 0",
        Number.isFinite(KA.mean) && below(KA, 0),
        { figure: "rich-lazy-paired" },
      ),
      evidence(
        `2AF: ${c.r1.label} init keeps less representation alignment than full rank: paired difference RA(${c.r1.label}) − RA(full) over ${n} seeds`,
        RA,
        "95% interval of the paired difference below 0",
        Number.isFinite(RA.mean) && below(RA, 0),
        { figure: "rich-lazy-paired" },
      ),
      sanity(
        "2AF: full-rank networks learn the task (decision accuracy on 512 fresh trials; chance 0.5), so the laziness measures come from trained networks",
        acc,
        "95% interval above 0.7",
        Number.isFinite(acc.mean) && above(acc, 0.7),
        { figure: "rich-lazy-accuracy" },
      ),
    ];
    return checks;
  },
  figures(r, cfg) {
    return richLazyFigures(r, cfg, pairedTable(r, cfg));
  },
  summary(r, cfg) {
    const agg = aggregate(r.runs, initSpecs(cfg), cfg.tasks);
    const out: Record<string, number | string> = {
      seeds: cfg.seeds.length,
      runs: r.runs.length,
      divergedRuns: r.runs.filter((x) => x.diverged).length,
    };
    for (const row of agg)
      for (const m of ["dW", "dWStd", "KA", "KAStd", "KAdecision", "KAdecisionStd", "RA", "RAStd", "acc", "effRank"])
        out[`${row.label} ${m}`] = sig(row[m] as number);
    const c = compared(cfg);
    if (c) {
      for (const task of cfg.tasks) {
        for (const [m, name] of METRICS) {
          const p = pairs(r, cfg, task, m);
          if (!p.a.length) continue;
          const iv = pairedDifference(p.a, p.b);
          const key = `${task} ${name} ${c.r1.label} − full`;
          out[`${key} (mean)`] = sig(iv.mean);
          out[`${key} (95% lo)`] = sig(iv.lo);
          out[`${key} (95% hi)`] = sig(iv.hi);
          out[`${task} ${name}: seeds with ${c.r1.label} > full`] = p.a.filter((a, i) => a > p.b[i]).length;
          out[`${task} ${name}: per seed (${c.r1.label} vs full)`] = p.seeds
            .map((s, i) => `seed ${s}: ${p.a[i].toFixed(3)} vs ${p.b[i].toFixed(3)}`)
            .join("; ");
        }
      }
    }
    return out;
  },
});
