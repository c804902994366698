// The shared toy experiment of the low-rank optimizer papers (GaLore, Fira): an MLP on a
// few thousand MNIST digits, trained with full-rank Adam and with projected optimizers at
// matched steps. Each method's learning rate is chosen on a validation split carved from
// the first seed's training part; every seed then trains every method with its winner and
// is scored on the held-out test part. The optimizer-state size is read from the optimizer.
import * as tf from "@tensorflow/tfjs";
import { seed as seedAll } from "../../core/random";
import { fail } from "../../core/validate";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { FastAdam, FiraAdam, GaLoreAdam, QGaLoreAdam, QGaLoreOptions } from "../../optim";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { sanity } from "../checks";
import { tInterval } from "../../metrics/intervals";
import { Check, PaperConfig, PaperContext } from "../types";

export interface MethodSpec {
  /** Label in results and figures, e.g. "GaLore r=64". */
  name: string;
  kind: "adam" | "galore" | "fira" | "qgalore";
  rank?: number;
  /** Fira's residual form (default "code"). */
  residual?: "code" | "paper";
  /** Q-GaLore's switches (rounding, INT4 projector, lazy gap, INT8 weights). */
  qgalore?: Pick<QGaLoreOptions, "weightRounding" | "quantizeProjector" | "adaptiveGap" | "quantizeWeights">;
  /** Learning-rate grid for the validation selection. */
  grid: number[];
}

export interface LowrankConfig extends PaperConfig {
  examples: number;
  hidden: number[];
  steps: number;
  batchSize: number;
  /** GaLore/Fira projector refresh gap T and scale α. */
  updateGap: number;
  scale: number;
  logEvery: number;
  methods: MethodSpec[];
  /** Grid extensions per side when the winner sits at an edge. */
  maxExtensions: number;
}

export interface MethodRun {
  method: string;
  seed: number;
  lr: number;
  testAcc: number;
  testLoss: number;
  /** Mean training loss over the last logging window. */
  finalTrainLoss: number;
  stateFloats: number;
  refreshes: number;
  /** Q-GaLore only: optimizer-state bytes and projected-weight bytes as stored. */
  stateBytes?: number;
  weightBytes?: number;
  curve: Array<{ step: number; loss: number }>;
}

export interface LowrankResult {
  params: number;
  trainExamples: number;
  valExamples: number;
  testExamples: number;
  selection: Array<{ method: string } & Selection>;
  runs: MethodRun[];
}

function makeOptimizer(m: MethodSpec, lr: number, cfg: LowrankConfig): tf.Optimizer {
  if (m.kind === "adam") return new FastAdam(lr);
  if (m.rank === undefined) fail(`methods["${m.name}"].rank`, "is required for GaLore and Fira");
  const opts = { rank: m.rank, updateGap: cfg.updateGap, scale: cfg.scale };
  if (m.kind === "qgalore") return new QGaLoreAdam(lr, { ...opts, ...m.qgalore, seed: 17 });
  return m.kind === "galore" ? new GaLoreAdam(lr, opts) : new FiraAdam(lr, { ...opts, residual: m.residual });
}

/** The projected optimizers, or null for Adam (tf.Optimizer's instanceof is duck-typed, so test the kind). */
const projected = (m: MethodSpec, opt: tf.Optimizer): GaLoreAdam | null =>
  m.kind === "adam" ? null : (opt as GaLoreAdam);

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(cfg: LowrankConfig, s: number): Split {
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train: all, test } = trainTestSplit(data, { testFraction: 0.2, seed: s });
  const { train: tr, val } = validationSplit(all, 0.2, s + 1000);
  return { train: tr, val, test };
}

async function fit(
  m: MethodSpec,
  lr: number,
  cfg: LowrankConfig,
  data: Dataset,
  evalOn: Dataset,
  s: number,
  ctx: PaperContext,
  label: string,
): Promise<MethodRun> {
  seedAll(s);
  const model = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const params = model.variables().reduce((a, v) => a + v.size, 0);
  const opt = makeOptimizer(m, lr, cfg);
  const res = await train(model, data, {
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    seed: s,
    optimizer: opt,
    lr,
    logEvery: cfg.logEvery,
    onProgress: (p) => ctx.onProgress?.({ ...p, label }),
  });
  const ev = evaluate(model, evalOn);
  const run: MethodRun = {
    method: m.name,
    seed: s,
    lr,
    testAcc: ev.acc,
    testLoss: ev.loss,
    finalTrainLoss: res.log.length ? res.log[res.log.length - 1].loss : NaN,
    // Adam's state is 2 floats per trained parameter (FastAdam keeps m and v).
    stateFloats: projected(m, opt)?.stateFloats() ?? 2 * params,
    refreshes: projected(m, opt)?.refreshCount() ?? 0,
    curve: res.log.map((r) => ({ step: r.step, loss: r.loss })),
  };
  if (m.kind === "qgalore") {
    run.stateBytes = (opt as QGaLoreAdam).stateBytes();
    run.weightBytes = (opt as QGaLoreAdam).weightBytes();
  }
  opt.dispose();
  model.dispose();
  return run;
}

/** Selection on the first seed's validation split, then every method on every seed. */
export async function runLowrank(cfg: LowrankConfig, ctx: PaperContext): Promise<LowrankResult> {
  if (cfg.seeds.length === 0) fail("config.seeds", "must list at least one seed");
  const s0 = cfg.seeds[0];
  const sel = splitFor(cfg, s0);
  const selection: LowrankResult["selection"] = [];
  for (const m of cfg.methods) {
    const chosen = await selectOnValidation(
      m.grid,
      async (lr) => (await fit(m, lr, cfg, sel.train, sel.val, s0, ctx, `select ${m.name} lr=${lr}`)).testAcc,
      { maxExtensions: cfg.maxExtensions },
    );
    selection.push({ method: m.name, ...chosen });
  }
  const runs: MethodRun[] = [];
  for (const s of cfg.seeds) {
    const d = s === s0 ? sel : splitFor(cfg, s);
    for (const m of cfg.methods) {
      const lr = selection.find((x) => x.method === m.name)!.best;
      runs.push(await fit(m, lr, cfg, d.train, d.test, s, ctx, `seed ${s} ${m.name}`));
    }
  }
  const probe = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const params = probe.variables().reduce((a, v) => a + v.size, 0);
  probe.dispose();
  return {
    params,
    trainExamples: sel.train.n,
    valExamples: sel.val.n,
    testExamples: sel.test.n,
    selection,
    runs,
  };
}

/** One metric of one method over the seeds, in seed order (for paired intervals). */
export function metricOf(r: LowrankResult, method: string, key: "testAcc" | "testLoss" | "finalTrainLoss"): number[] {
  const xs = r.runs.filter((x) => x.method === method).sort((a, b) => a.seed - b.seed);
  if (xs.length === 0) fail("method", `no runs of "${method}"`);
  return xs.map((x) => x[key]);
}

/** A method's optimizer-state floats (the same for every seed). */
export function stateOfMethod(r: LowrankResult, method: string): number {
  const x = r.runs.find((y) => y.method === method);
  if (!x) fail("method", `no runs of "${method}"`);
  return x.stateFloats;
}

/** The sanity check the low-rank papers share: the loss falls in every run (first vs last logging window). */
export function lossFallsCheck(r: LowrankResult, seeds: number): Check {
  const ok = r.runs.every((x) => x.curve.length > 1 && x.curve[x.curve.length - 1].loss < x.curve[0].loss);
  return sanity(
    "Training lowers the loss for every method and seed (first vs last logging window)",
    ok ? "all runs" : "some run did not",
    "last < first for every run",
    ok,
    { seeds },
  );
}

/** The summary rows every low-rank paper gives per method: selected lr, mean test accuracy, final train loss, state. */
export function methodRows(r: LowrankResult, m: string, out: Record<string, number | string>): void {
  out[`${m}: selected lr`] = r.selection.find((x) => x.method === m)!.best;
  out[`${m}: test accuracy (mean)`] = tInterval(metricOf(r, m, "testAcc")).mean;
  out[`${m}: final train loss (mean)`] = tInterval(metricOf(r, m, "finalTrainLoss")).mean;
  out[`${m}: optimizer state (floats)`] = stateOfMethod(r, m);
}
