// One fine-tuning run of the shared adapter benchmark: a pretrained base, a new task-B head,
// one adapter variant (or full FT) on the hidden matrices, trained by the library's loop
// (two Adam groups: adapters at the family's lr, head at headLr; linear warm-up then cosine),
// and the measurements every method gets: test loss/accuracy curves on task B, task-A accuracy
// through the frozen head A (forgetting), init time, ΔW spectra and intruder counts per
// adapted matrix. Everything method-specific comes from the method's benchmark entry.
import * as tf from "@tensorflow/tfjs";
import {
  benchEntry,
  BenchModelContext,
  BenchRunContext,
  BenchVariant,
  CurvePoint,
  LayerStats,
  RunRecord,
} from "../../adapters/benchmark";
import { AdaptedMLP, CalibrationBatch } from "../../adapters/mlp";
import { Dataset } from "../../data/dataset";
import { svd, SVDResult } from "../../linalg/decompose";
import { maxCosinesFromSvd } from "../../metrics/intruders";
import { effectiveRank } from "../../metrics/spectral";
import { MLP } from "../../nn/mlp";
import { warmupCosine } from "../../optim/schedules";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";

export type { CurvePoint, LayerStats, RunRecord } from "../../adapters/benchmark";

/** A benchmark variant with its method ("full" = full fine-tuning, the benchmark's own reference). */
export type VariantSpec = BenchVariant & { method: string };

/** Full fine-tuning: every hidden kernel and bias trains (the reference tier). */
export const FULL_FT: VariantSpec = { id: "full FT", method: "full", tier: "ref", config: {}, family: "full" };

export interface RunSetup {
  net: MLP;
  /** Base hidden kernels/biases and head A (last layer) as arrays, head B init. */
  baseKernels: number[][][];
  baseBiases: number[][];
  headB: { kernel: number[][]; bias: number[] };
  baseSvd: SVDResult[];
  /** Task-B training examples the runs train on (the training set minus its validation part). */
  trainB: Dataset;
  /** Validation part carved from task B's training set: the learning rate is selected on it. */
  valB: Dataset;
  testA: Dataset;
  testB: Dataset;
  calibration: CalibrationBatch[];
}

export interface TrainSettings {
  steps: number;
  batchSize: number;
  warmup: number;
  lr: number;
  headLr: number;
  evalSteps: number[];
  k: number;
  epsilons: number[];
  spectrumTop: number;
}

function setWeights(net: MLP, kernels: number[][][], biases: number[][]): void {
  tf.tidy(() => {
    kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
    biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
  });
}

export const T = (k: number[][]): number[][] => k[0].map((_, j) => k.map((r) => r[j]));

/** A trained run before its ΔW statistics: the record without layers, and the tuned kernels. */
export interface TrainedRun {
  record: Omit<RunRecord, "layers">;
  tuned: number[][][];
}

/** Trains one variant with one seed; returns its record (validation and test measurements) and tuned kernels. */
export async function trainVariant(
  setup: RunSetup,
  v: VariantSpec,
  seedValue: number,
  s: TrainSettings,
): Promise<TrainedRun> {
  const { net } = setup;
  const L = net.weights.length;
  const hidden = Array.from({ length: L - 1 }, (_, l) => l);
  setWeights(
    net,
    [...setup.baseKernels.slice(0, L - 1), setup.headB.kernel],
    [...setup.baseBiases.slice(0, L - 1), setup.headB.bias],
  );
  const head = [net.weights[L - 1], ...(net.biases[L - 1] ? [net.biases[L - 1] as tf.Variable] : [])];
  const restoreHeadA = () =>
    tf.tidy(() => {
      net.weights[L - 1].assign(tf.tensor2d(setup.baseKernels[L - 1]));
      net.biases[L - 1]?.assign(tf.tensor1d(setup.baseBiases[L - 1]));
    });
  const extra: Record<string, number | string> = {};
  const run: BenchRunContext = { variant: v, seed: seedValue, lr: s.lr, warmup: s.warmup, steps: s.steps };
  const entry = v.method === "full" ? null : benchEntry(v.method);
  let model: AdaptedMLP | null = null;
  let mctx: BenchModelContext | null = null;
  let adapterVars: tf.Variable[];
  const t0 = Date.now();
  if (!entry) {
    adapterVars = hidden.flatMap((l) => [net.weights[l], ...(net.biases[l] ? [net.biases[l] as tf.Variable] : [])]);
  } else {
    const cfg = entry.prepareConfig ? entry.prepareConfig({ ...v.config }, run) : { ...v.config };
    model = new AdaptedMLP(net, { method: v.method, config: cfg, layers: hidden, trainHead: true });
    const m = model;
    mctx = {
      ...run,
      model,
      layers: hidden,
      calibration: setup.calibration,
      config: cfg,
      evaluate: (split) =>
        evaluate(
          { forward: (x: tf.Tensor2D) => m.forward(x), variables: () => [] },
          split === "val" ? setup.valB : setup.testB,
        ),
    };
    if (entry.init) Object.assign(extra, (await entry.init(mctx)) ?? {});
    else if (model.adapters.some((a) => a?.init)) await model.calibrate(setup.calibration);
    adapterVars = model.adapters.flatMap((a) => (a ? a.trainableVariables() : []));
  }
  const initMs = Date.now() - t0;
  if (entry?.afterInit && mctx) Object.assign(extra, entry.afterInit(mctx) ?? {});
  const params = model ? model.adapterParameterCount() : adapterVars.reduce((acc, x) => acc + x.size, 0);
  const forward = (x: tf.Tensor2D) => (model ? model.forward(x) : net.forward(x));
  const curve: CurvePoint[] = [];
  const onEval = (step: number, trainLoss: number) => {
    const b = evaluate({ forward, variables: () => [] }, setup.testB);
    const saved = head.map((h) => h.clone());
    restoreHeadA();
    const a = evaluate({ forward, variables: () => [] }, setup.testA);
    head.forEach((h, i) => h.assign(saved[i]));
    saved.forEach((t) => t.dispose());
    curve.push({ step, trainLoss, testLossB: b.loss, testAccB: b.acc, testAccA: a.acc });
  };
  const t1 = Date.now();
  await train({ variables: () => [...adapterVars, ...head], forward }, setup.trainB, {
    steps: s.steps,
    batchSize: s.batchSize,
    seed: seedValue * 1013 + 5,
    sampler: "stream",
    groups: [
      { variables: adapterVars, optimizer: "adam", lr: s.lr },
      { variables: head, optimizer: "adam", lr: s.headLr },
    ],
    schedule: warmupCosine(s.warmup),
    hooks: model ? model.trainHooks() : [],
    evalAt: s.evalSteps,
    onEval,
  });
  const trainMs = Date.now() - t1;
  if (entry?.afterTrain && mctx) Object.assign(extra, entry.afterTrain(mctx) ?? {});
  model?.merge();
  const tuned = net.weightArrays();
  model?.dispose();
  const last = curve[curve.length - 1];
  const finalB =
    last && last.step === s.steps
      ? { testLossB: last.testLossB, testAccB: last.testAccB }
      : (() => {
          const e = evaluate(net, setup.testB);
          return { testLossB: e.loss, testAccB: e.acc };
        })();
  const val = evaluate(net, setup.valB);
  restoreHeadA();
  const accA = evaluate(net, setup.testA).acc;
  const record = {
    id: v.id,
    method: v.method,
    tier: v.tier,
    family: v.family,
    seed: seedValue,
    lr: s.lr,
    params,
    initMs,
    trainMs,
    curve,
    accA,
    accB: finalB.testAccB,
    lossB: finalB.testLossB,
    valLossB: val.loss,
    valAccB: val.acc,
    extra,
  };
  return { record, tuned };
}

/** ΔW statistics of one adapted matrix: spectrum of tuned − base, ranks, intruders against the base's SVD (of baseᵀ). */
export function deltaStats(
  layer: string,
  base: number[][],
  tuned: number[][],
  baseSvd: SVDResult,
  s: Pick<TrainSettings, "k" | "epsilons" | "spectrumTop">,
): LayerStats {
  const d = tuned.map((row, i) => row.map((x, j) => x - base[i][j]));
  const S = svd(d, { vectors: false }).S;
  const frob2 = S.reduce((acc, x) => acc + x * x, 0);
  const cos = maxCosinesFromSvd(baseSvd, svd(T(tuned)), s.k);
  const intruders: Record<string, number> = {};
  for (const e of s.epsilons) intruders[String(e)] = cos.filter((c) => c < e).length;
  return {
    layer,
    sigma: S.slice(0, s.spectrumTop),
    frob: Math.sqrt(frob2),
    stableRank: S[0] > 0 ? frob2 / (S[0] * S[0]) : 0,
    effRank: S[0] > 0 ? effectiveRank(S) : 0,
    intruders,
  };
}

/** The ΔW statistics of a trained run's adapted matrices (spectrum, ranks, intruders), completing its record. */
export function finishRecord(setup: RunSetup, run: TrainedRun, s: TrainSettings): RunRecord {
  const hidden = Array.from({ length: setup.net.weights.length - 1 }, (_, l) => l);
  const layers = hidden.map((l) => deltaStats(`W${l + 1}`, setup.baseKernels[l], run.tuned[l], setup.baseSvd[l], s));
  return { ...run.record, layers };
}

/** Trains one variant with one seed and completes its record (trainVariant + finishRecord). */
export async function runVariant(
  setup: RunSetup,
  v: VariantSpec,
  seedValue: number,
  s: TrainSettings,
): Promise<RunRecord> {
  return finishRecord(setup, await trainVariant(setup, v, seedValue, s), s);
}
