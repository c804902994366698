// Rich vs lazy learning from the rank of the initial recurrent connectivity (Liu et al.,
// ICLR 2024): ReLU RNNs start from rank-r truncations of one Gaussian W_G (all rescaled to
// ‖W_G‖_F) or from a task-aligned low-rank W, train on NeuroGym-style tasks, and we measure
// ‖ΔW‖_F, tangent-kernel alignment (KA) and representation alignment (RA) per run; the
// comparisons between ranks (paired over seeds) live in index.ts.
import { NeuroTask, neuroTask, TrialBatch } from "../../data/neuro-tasks";
import { kernelAlignment, representationAlignment, tangentKernel } from "../../metrics/alignment";
import { effectiveRank, relativeWeightChange, spectrum } from "../../metrics/spectral";
import { mean, std } from "../../metrics/stats";
import { gaussianRecurrentInit, lowRankInit, taskAlignedLowRankInit } from "../../nn/init";
import { hiddenAt, ReluRNN, rnnAccuracy } from "../../nn/rnn";
import { trainRNN } from "../../train/rnn";
import { Rng, seed } from "../../core/random";
import { fail } from "../../core/validate";
import { PaperConfig, PaperContext } from "../types";

export interface RichLazyConfig extends PaperConfig {
  /** Hidden units N. */
  hidden: number;
  /** Initial recurrent ranks; a value ≥ hidden means the full-rank Gaussian W_G itself. */
  ranks: number[];
  /** Rank of the task-aligned init shown beside the random low-rank ones (0: skip). */
  alignedRank: number;
  /** Task names ("2AF", "DMS"); the checks use "2AF", the task the protocol is calibrated on. */
  tasks: string[];
  iterations: number;
  batchSize: number;
  lr: number;
  momentum: number;
  /** W_G = gain·𝒩(0,1)/√N. */
  gain: number;
  /** Trials whose decision-step logits form the decision-step tangent kernel (rows = trials × outputs). */
  kernelTrials: number;
  /**
   * Trials whose logits at every time step form the all-steps tangent kernel, as the paper
   * computes KA (rows = steps × trials × outputs; its cost grows with rows², hence fewer trials).
   */
  kernelTrialsAll: number;
  /** Trials whose last-step hidden states form the representation Gram matrix. */
  repTrials: number;
}

export type Row = Record<string, number | string>;

/** Hidden-space task directions: the stimulus contrast W_in(e₁ − e₂) and the choice contrast W_outᵀ(e₁ − e₂), then the rest. */
function taskDirections(wIn: number[][], wOut: number[][]): { inputDirs: number[][]; outputDirs: number[][] } {
  const N = wIn.length;
  const inCols = [(i: number) => wIn[i][1] - wIn[i][2], (i: number) => wIn[i][0], (i: number) => wIn[i][1] + wIn[i][2]];
  const outCols = [
    (i: number) => wOut[1][i] - wOut[2][i],
    (i: number) => wOut[0][i],
    (i: number) => wOut[1][i] + wOut[2][i],
  ];
  const build = (cols: Array<(i: number) => number>) => Array.from({ length: N }, (_, i) => cols.map((c) => c(i)));
  return { inputDirs: build(inCols), outputDirs: build(outCols) };
}

function frobenius(w: number[][]): number {
  let s = 0;
  for (const r of w) for (const v of r) s += v * v;
  return Math.sqrt(s);
}

function diffNorm(a: number[][], b: number[][]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += (a[i][j] - b[i][j]) ** 2;
  return Math.sqrt(s);
}

export interface InitSpec {
  label: string;
  kind: "random" | "aligned";
  rank: number;
}

export function initSpecs(cfg: RichLazyConfig): InitSpec[] {
  const specs: InitSpec[] = cfg.ranks.map((r) => {
    const rank = Math.min(r, cfg.hidden);
    return { label: rank >= cfg.hidden ? `full (${cfg.hidden})` : `rank ${rank}`, kind: "random", rank };
  });
  if (cfg.alignedRank > 0)
    specs.push({ label: `aligned rank ${cfg.alignedRank}`, kind: "aligned", rank: cfg.alignedRank });
  return specs;
}

function validate(cfg: RichLazyConfig): void {
  if (!Number.isInteger(cfg.hidden) || cfg.hidden < 4)
    fail("config.hidden", `must be an integer ≥ 4, got ${cfg.hidden}`);
  if (!Array.isArray(cfg.ranks) || cfg.ranks.length === 0) fail("config.ranks", "must be a non-empty array");
  for (const r of cfg.ranks)
    if (!Number.isInteger(r) || r < 1) fail("config.ranks", `entry ${r} is not a positive integer`);
  for (const k of ["kernelTrials", "kernelTrialsAll", "repTrials"] as const)
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) fail(`config.${k}`, `must be a positive integer, got ${cfg[k]}`);
  if (!Number.isInteger(cfg.alignedRank) || cfg.alignedRank < 0 || cfg.alignedRank > 3)
    fail("config.alignedRank", `must be 0..3, got ${cfg.alignedRank}`);
  for (const s of cfg.seeds)
    if (!Number.isInteger(s) || s < 0) fail("config.seeds", `entry ${s} is not an integer ≥ 0`);
  for (const t of cfg.tasks) neuroTask(t);
}

export interface RunRecord extends Row {
  task: string;
  init: string;
  kind: string;
  rank: number;
  seed: number;
  effRank: number;
  dW: number;
  relDW: number;
  /** Tangent-kernel alignment over the logits of every time step (the paper's KA). */
  KA: number;
  /** The same over the decision-step logits only (the earlier series). */
  KAdecision: number;
  RA: number;
  acc: number;
  finalLoss: number;
  diverged: number;
}

async function oneGroup(
  cfg: RichLazyConfig,
  task: NeuroTask,
  s: number,
  specs: InitSpec[],
  onRun: (label: string) => (step: number, loss: number) => void,
): Promise<{ runs: RunRecord[]; losses: Row[] }> {
  // Seed s of the old protocol (seed index s, base seed 0) gives the same streams.
  const groupSeed = s * 1009 + cfg.tasks.indexOf(task.name) * 37 + 1;
  // One W_G, W_in, W_out and one trial stream per (task, seed), shared by every init, so
  // inits differ only in the recurrent matrix.
  seed(groupSeed);
  const wG = gaussianRecurrentInit(cfg.hidden, { gain: cfg.gain });
  const proto = new ReluRNN({
    inputSize: task.inputSize,
    hiddenSize: cfg.hidden,
    outputSize: task.outputSize,
    recurrent: wG,
  });
  const { wIn, wOut } = proto.weights();
  proto.dispose();
  const kBatch: TrialBatch = task.sample(cfg.kernelTrials, new Rng(groupSeed + 1));
  const kAllBatch: TrialBatch = task.sample(cfg.kernelTrialsAll, new Rng(groupSeed + 5));
  const rBatch: TrialBatch = task.sample(cfg.repTrials, new Rng(groupSeed + 2));
  const eBatch: TrialBatch = task.sample(512, new Rng(groupSeed + 3));
  const lastStep = task.decisionSteps[task.decisionSteps.length - 1];
  const runs: RunRecord[] = [];
  const losses: Row[] = [];
  for (const spec of specs) {
    let w0: number[][];
    if (spec.kind === "aligned") {
      w0 = taskAlignedLowRankInit({ ...taskDirections(wIn, wOut), rank: spec.rank, norm: frobenius(wG) });
    } else {
      w0 = spec.rank >= cfg.hidden ? wG : lowRankInit(wG, spec.rank);
    }
    const rnn = new ReluRNN({
      inputSize: task.inputSize,
      hiddenSize: cfg.hidden,
      outputSize: task.outputSize,
      recurrent: w0,
      input: wIn,
      readout: wOut,
    });
    const W0 = rnn.weights();
    const k0 = tangentKernel(W0, kBatch, { steps: task.decisionSteps });
    const k0All = tangentKernel(W0, kAllBatch);
    const h0 = hiddenAt(rnn, rBatch, lastStep);
    const cb = onRun(`${task.name} seed ${s} ${spec.label}`);
    const tr = await trainRNN(rnn, task, {
      iterations: cfg.iterations,
      batchSize: cfg.batchSize,
      lr: cfg.lr,
      momentum: cfg.momentum,
      seed: groupSeed + 4,
      logEvery: Math.max(1, Math.floor(cfg.iterations / 30)),
      onProgress: (p) => cb(p.step, p.values?.loss ?? NaN),
    });
    for (const l of tr.losses)
      if (Number.isFinite(l.loss))
        losses.push({ task: task.name, init: spec.label, seed: s, iteration: l.iteration, loss: l.loss });
    const WT = rnn.weights();
    let KA = NaN,
      KAdecision = NaN,
      RA = NaN,
      acc = NaN,
      dW = NaN,
      relDW = NaN;
    if (!tr.diverged) {
      dW = diffNorm(WT.w, W0.w);
      relDW = relativeWeightChange(W0.w, WT.w);
      KA = kernelAlignment(k0All, tangentKernel(WT, kAllBatch));
      KAdecision = kernelAlignment(k0, tangentKernel(WT, kBatch, { steps: task.decisionSteps }));
      const hT = hiddenAt(rnn, rBatch, lastStep);
      // A network whose last-step activity is all zero has no Gram matrix to align.
      RA = frobenius(h0) > 0 && frobenius(hT) > 0 ? representationAlignment(h0, hT) : NaN;
      acc = rnnAccuracy(rnn, eBatch, task.decisionSteps);
    }
    rnn.dispose();
    runs.push({
      task: task.name,
      init: spec.label,
      kind: spec.kind,
      rank: spec.rank,
      seed: s,
      effRank: effectiveRank(spectrum(W0.w)),
      dW,
      relDW,
      KA,
      KAdecision,
      RA,
      acc,
      finalLoss: tr.losses[tr.losses.length - 1]?.loss ?? NaN,
      diverged: tr.diverged ? 1 : 0,
    });
  }
  return { runs, losses };
}

/** Mean ± std over seeds per (task, init), ignoring diverged (NaN) runs. */
export function aggregate(runs: RunRecord[], specs: InitSpec[], tasks: string[]): Row[] {
  const out: Row[] = [];
  for (const task of tasks) {
    for (const spec of specs) {
      const rs = runs.filter((r) => r.task === task && r.init === spec.label);
      const row: Row = {
        task,
        init: spec.label,
        kind: spec.kind,
        rank: spec.rank,
        label: `${task} · ${spec.label}`,
        n: 0,
      };
      for (const m of ["effRank", "dW", "relDW", "KA", "KAdecision", "RA", "acc"] as const) {
        const v = rs.map((r) => r[m]).filter((x) => Number.isFinite(x));
        row[m] = v.length ? mean(v) : NaN;
        row[`${m}Std`] = v.length > 1 ? std(v) : 0;
      }
      row.n = rs.filter((r) => Number.isFinite(r.dW)).length;
      row.diverged = rs.filter((r) => r.diverged).length;
      out.push(row);
    }
  }
  return out;
}

export interface RichLazyResult {
  runs: RunRecord[];
  /** Logged training loss per (task, init, seed). */
  losses: Row[];
  /** Wall seconds per (task, seed) group of runs. */
  timing: Row[];
}

/** One seed's share: every task's group of runs for seed `s` (groups are seeded on their own). */
export async function runRichLazySeed(cfg: RichLazyConfig, s: number, ctx: PaperContext): Promise<RichLazyResult> {
  validate(cfg);
  const specs = initSpecs(cfg);
  const total = cfg.tasks.length * specs.length * cfg.iterations;
  let done = 0;
  const onRun = (label: string) => {
    const start = done;
    return (step: number, loss: number) => {
      done = start + step;
      ctx.onProgress?.({ label, step: done, total, values: { loss } });
    };
  };
  const runs: RunRecord[] = [];
  const losses: Row[] = [];
  const timing: Row[] = [];
  for (const name of cfg.tasks) {
    const t0 = Date.now();
    const g = await oneGroup(cfg, neuroTask(name), s, specs, onRun);
    runs.push(...g.runs);
    losses.push(...g.losses);
    timing.push({ task: name, seed: s, seconds: (Date.now() - t0) / 1000 });
    done = runs.length * cfg.iterations;
  }
  return { runs, losses, timing };
}

/** The seeds' results in the order of the former single run: task by task, seeds in config order. */
export function combineRichLazy(perSeed: RichLazyResult[], cfg: RichLazyConfig): RichLazyResult {
  const out: RichLazyResult = { runs: [], losses: [], timing: [] };
  for (const task of cfg.tasks) {
    for (const r of perSeed) {
      out.runs.push(...r.runs.filter((x) => x.task === task));
      out.losses.push(...r.losses.filter((x) => x.task === task));
      out.timing.push(...r.timing.filter((x) => x.task === task));
    }
  }
  return out;
}
