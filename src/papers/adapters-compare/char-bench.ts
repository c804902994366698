// One fine-tuning run on the benchmark's second base: the character-level transformer
// pretrained on Debian's license texts (task A) fine-tuned to next-character prediction on
// the fortunes-min cookies (task B). Adapters wrap every attention and MLP matrix; full FT
// trains every parameter. Same record as the MLP base: task-B test loss/accuracy curves,
// task-A accuracy (forgetting), validation loss (the lr is selected on it), ΔW statistics.
import * as tf from "@tensorflow/tfjs";
import { benchEntry, BenchModelContext, BenchRunContext, CurvePoint } from "../../adapters/benchmark";
import { CalibrationBatch } from "../../adapters/adapted-model";
import { AdaptedTransformer, blockMatrixNames } from "../../adapters/transformer";
import { CharBaseSpec, lmScores, StoredTensor, windowSource } from "../../bases/char-lm";
import { SVDResult } from "../../linalg/decompose";
import { transformerLogits } from "../../nn/transformer";
import { warmupCosine } from "../../optim/schedules";
import { train } from "../../train/loop";
import { deltaStats, TrainedRun, TrainSettings, VariantSpec } from "./bench";
import { RunRecord } from "./bench";

/** Fixed evaluation windows: ids [n, T] and next ids [n·T]. */
export interface Windows {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}

export interface CharSetup {
  spec: CharBaseSpec;
  /** The pretrained parameters (values; each run starts from them). */
  base: Record<string, StoredTensor>;
  /** Live parameters, reset to `base` before each run. */
  params: Record<string, tf.Variable>;
  /** Fine-tuning text (the seed's training part) and held-out windows. */
  trainB: Int32Array;
  valB: Windows;
  testB: Windows;
  testA: Windows;
  calibration: CalibrationBatch[];
  /** SVD of each adapted matrix's transpose (intruder reference), by name. */
  baseSvd: Record<string, SVDResult>;
  baseKernels: Record<string, number[][]>;
}

const nested = (t: StoredTensor): number[][] =>
  Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data.subarray(i * t.shape[1], (i + 1) * t.shape[1])));

/** Live variables holding the base's values. */
export function charParams(base: Record<string, StoredTensor>): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(base).map(([k, t]) => [k, tf.variable(tf.tensor(t.data, t.shape))]));
}

function reset(setup: CharSetup): void {
  tf.tidy(() => {
    for (const [k, t] of Object.entries(setup.base)) setup.params[k].assign(tf.tensor(t.data, t.shape));
  });
}

/** The adapted matrices' base kernels (nested) and the SVDs of their transposes. */
export function charBaseStats(
  base: Record<string, StoredTensor>,
  spec: CharBaseSpec,
  svdOf: (m: number[][]) => SVDResult,
): { baseKernels: Record<string, number[][]>; baseSvd: Record<string, SVDResult> } {
  const baseKernels: Record<string, number[][]> = {};
  const baseSvd: Record<string, SVDResult> = {};
  for (const n of blockMatrixNames(spec)) {
    baseKernels[n] = nested(base[n]);
    baseSvd[n] = svdOf(baseKernels[n][0].map((_, j) => baseKernels[n].map((r) => r[j])));
  }
  return { baseKernels, baseSvd };
}

/** Trains one variant with one seed on the char base; returns its record and the tuned block matrices. */
export async function trainCharVariant(
  setup: CharSetup,
  v: VariantSpec,
  seedValue: number,
  s: TrainSettings,
): Promise<{ run: TrainedRun; tuned: Record<string, number[][]> }> {
  reset(setup);
  const { params, spec } = setup;
  const extra: Record<string, number | string> = {};
  const run: BenchRunContext = { variant: v, seed: seedValue, lr: s.lr, warmup: s.warmup, steps: s.steps };
  const entry = v.method === "full" ? null : benchEntry(v.method);
  let model: AdaptedTransformer | null = null;
  let mctx: BenchModelContext | null = null;
  const t0 = Date.now();
  if (entry) {
    const cfg = entry.prepareConfig ? entry.prepareConfig({ ...v.config }, run) : { ...v.config };
    model = new AdaptedTransformer(params, spec, { method: v.method, config: cfg });
    const layers = model.names.map((_, l) => l);
    const m = model;
    mctx = {
      ...run,
      model,
      layers,
      calibration: setup.calibration,
      config: cfg,
      evaluate: (split) =>
        tf.tidy(() => {
          const w = split === "val" ? setup.valB : setup.testB;
          return lmScores(m.forward(w.x), w.y);
        }),
    };
    if (entry.init) Object.assign(extra, (await entry.init(mctx)) ?? {});
    else if (model.adapters.some((a) => a?.init)) await model.calibrate(setup.calibration);
  }
  const initMs = Date.now() - t0;
  if (entry?.afterInit && mctx) Object.assign(extra, entry.afterInit(mctx) ?? {});
  const vars = model ? model.variables() : Object.values(params);
  const paramCount = model ? model.adapterParameterCount() : vars.reduce((a, x) => a + x.size, 0);
  const forward = (x: tf.Tensor2D) => (model ? model.forward(x) : transformerLogits(params, x, spec));
  const score = (w: Windows) => tf.tidy(() => lmScores(forward(w.x), w.y));
  const curve: CurvePoint[] = [];
  const t1 = Date.now();
  await train({ variables: () => vars, forward }, windowSource(setup.trainB, spec.context, s.batchSize), {
    steps: s.steps,
    batchSize: s.batchSize,
    seed: seedValue * 1013 + 5,
    sampler: "stream",
    optimizer: "adam",
    lr: s.lr,
    schedule: warmupCosine(s.warmup),
    hooks: model ? model.trainHooks() : [],
    evalAt: s.evalSteps,
    onEval: (step, trainLoss) => {
      const b = score(setup.testB);
      curve.push({ step, trainLoss, testLossB: b.loss, testAccB: b.acc, testAccA: score(setup.testA).acc });
    },
  });
  const trainMs = Date.now() - t1;
  if (entry?.afterTrain && mctx) Object.assign(extra, entry.afterTrain(mctx) ?? {});
  model?.merge();
  const val = score(setup.valB);
  const finalB = score(setup.testB);
  const accA = score(setup.testA).acc;
  const tuned = Object.fromEntries(blockMatrixNames(spec).map((n) => [n, params[n].arraySync() as number[][]]));
  model?.dispose();
  const record = {
    id: v.id,
    method: v.method,
    tier: v.tier,
    family: v.family,
    seed: seedValue,
    lr: s.lr,
    params: paramCount,
    initMs,
    trainMs,
    curve,
    accA,
    accB: finalB.acc,
    lossB: finalB.loss,
    valLossB: val.loss,
    valAccB: val.acc,
    extra,
  };
  return { run: { record, tuned: [] }, tuned };
}

/** Completes a char-base record with ΔW statistics of every adapted matrix. */
export function finishCharRecord(
  setup: CharSetup,
  r: { run: TrainedRun; tuned: Record<string, number[][]> },
  s: TrainSettings,
): RunRecord {
  const layers = blockMatrixNames(setup.spec).map((n) =>
    deltaStats(n, setup.baseKernels[n], r.tuned[n], setup.baseSvd[n], s),
  );
  return { ...r.run.record, layers };
}
