// One seed of the atlas on the MLP base: every trained row fine-tunes the pretrained MLP on
// task B for the same number of steps with the same schedule, batch stream and head-B Adam
// group; rows differ only in what trains the hidden matrices. Adapters run through the
// adapter benchmark's own trainVariant (its mid variant); optimizer, mask and init rows are
// full fine-tuning with the registered optimizer, a gradient mask, or a registered head init.
// Each row's lr is selected on the seed's validation split; the winner's run is measured.
import * as tf from "@tensorflow/tfjs";
import { ProgressEvent } from "../../core/types";
import { Rng } from "../../core/random";
import { InitlabInputError } from "../../core/validate";
import { MaskSet } from "../../prune/mask";
import { createMask } from "../../prune/registry";
import { createOptimizer, optimizerEntry } from "../../optim/registry";
import { warmupCosine } from "../../optim/schedules";
import { evaluate } from "../../train/classifier";
import { train, TrainHook } from "../../train/loop";
import { crossEntropyFused } from "../../train/optimizers";
import { trainVariant, TrainSettings } from "../adapters-compare/bench";
import { selectOnValidation, Selection } from "../protocol";
import type { AtlasConfig } from "./config";
import { Diagnostics, measureRow, Observation } from "./diagnostics";
import { AtlasMethod } from "./methods";
import { headInit, MlpBase, penultimate } from "./mlp-setup";

/** One row on one seed: its lr, the selection (first seed only), the diagnostics of the run kept. */
export interface RowSeed {
  id: string;
  seed: number;
  lr: number;
  /** The validation selection that chose `lr` (on the first seed; later seeds reuse its winner). */
  selection: Selection | null;
  diagnostics: Diagnostics;
  /** Fraction of the maskable matrices' entries that changed (sparse rows' sanity check). */
  changedFraction: number;
  /** Entries of the maskable matrices (hidden matrices; the char base's block matrices). */
  entries: number;
}

interface Candidate {
  valLoss: number;
  obs: Observation;
}

/** The lr grid centre of a row (see AtlasConfig.lrs). */
export function lrCentre(cfg: AtlasConfig, m: AtlasMethod): number {
  const l = cfg.lrs;
  return l[m.id] ?? (m.variant ? l[m.variant.family] : undefined) ?? l[m.registry] ?? l.default;
}

/** Observes the tuned net with head B in place: test-B and hard-set accuracy, probe features. */
function observeTuned(b: MlpBase): Omit<Observation, "accA" | "stateFloats" | "msPerStep" | "tuned"> {
  const { net, testB } = b.setup;
  return {
    accB: evaluate(net, testB).acc,
    hardAcc: evaluate(net, b.hardSet).acc,
    features: penultimate(net, b.probe),
  };
}

function setWeights(b: MlpBase, head: { kernel: number[][]; bias: number[] }): void {
  const { net, baseKernels, baseBiases } = b.setup;
  const L = net.weights.length;
  tf.tidy(() => {
    [...baseKernels.slice(0, L - 1), head.kernel].forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
    [...baseBiases.slice(0, L - 1), head.bias].forEach((x, l) => net.biases[l]?.assign(tf.tensor1d(x)));
  });
}

/** Multiplies the listed kernels' gradients by their 0/1 masks (sparse fine-tuning). */
export function maskHook(vars: tf.Variable[], mask: MaskSet): TrainHook & { dispose(): void } {
  const m = mask.layers.map((l) => tf.tensor(Float32Array.from(l.data), l.shape));
  const byName = new Map(vars.map((v, i) => [v.name, m[i]]));
  return {
    trainableVariables: () => vars,
    transformGrads: (g) =>
      Object.fromEntries(
        Object.entries(g).map(([k, t]) => [k, byName.has(k) ? tf.mul(t, byName.get(k) as tf.Tensor) : t]),
      ),
    dispose: () => m.forEach((t) => t.dispose()),
  };
}

/** A full fine-tuning run of an optimizer, mask or init row at one lr. */
async function trainDense(cfg: AtlasConfig, b: MlpBase, row: AtlasMethod, s: number, lr: number): Promise<Candidate> {
  const m = cfg.mlp;
  const { net } = b.setup;
  const L = net.weights.length;
  const hout = m.hidden[m.hidden.length - 1];
  setWeights(b, row.registry === "init" ? headInit(row.name, hout, 10, s) : b.setup.headB);
  const kernels = net.weights.slice(0, L - 1);
  const body = [...kernels, ...net.biases.slice(0, L - 1).filter((x): x is tf.Variable<tf.Rank.R1> => x !== null)];
  const head = [net.weights[L - 1], net.biases[L - 1] as tf.Variable];
  const optName = row.registry === "optimizer" ? row.name : "adam";
  const opt = createOptimizer(optName, lr, cfg.optimizerOptions[optName] ?? {});
  let hook: (TrainHook & { dispose(): void }) | null = null;
  if (row.registry === "mask") {
    const cal = b.setup.calibration[0];
    const loss = () => crossEntropyFused(net.forward(cal.x), cal.y as tf.Tensor1D);
    hook = maskHook(kernels, createMask(row.name, { vars: kernels, loss, rng: new Rng(s * 97 + 13) }, cfg.maskDensity));
  }
  const t0 = Date.now();
  await train(net, b.setup.trainB, {
    steps: m.steps,
    batchSize: m.batchSize,
    seed: s * 1013 + 5,
    sampler: "stream",
    groups: [
      { variables: body, optimizer: opt, lr },
      { variables: head, optimizer: "adam", lr: m.headLr },
    ],
    schedule: warmupCosine(m.warmup),
    hooks: hook ? [hook] : [],
  });
  const msPerStep = (Date.now() - t0) / m.steps;
  hook?.dispose();
  const seen = observeTuned(b);
  const tuned = net.weightArrays();
  const valLoss = evaluate(net, b.setup.valB).loss;
  const stateFloats = optimizerEntry(optName).stateFloats(
    opt,
    body.map((v) => [...v.shape]),
  );
  opt.dispose();
  setWeights(b, { kernel: b.setup.baseKernels[L - 1], bias: b.setup.baseBiases[L - 1] });
  tf.tidy(() => kernels.forEach((k, l) => k.assign(tf.tensor2d(tuned[l]))));
  const accA = evaluate(net, b.setup.testA).acc;
  return { valLoss, obs: { ...seen, accA, stateFloats, msPerStep, tuned } };
}

/** An adapter row at one lr, through the adapter benchmark's trainVariant (tapped for the observation). */
async function trainAdapter(cfg: AtlasConfig, b: MlpBase, row: AtlasMethod, s: number, lr: number): Promise<Candidate> {
  const m = cfg.mlp;
  let seen: ReturnType<typeof observeTuned> | null = null;
  b.setup.net.tap = () => (seen = observeTuned(b));
  const settings: TrainSettings = {
    steps: m.steps,
    batchSize: m.batchSize,
    warmup: m.warmup,
    lr,
    headLr: m.headLr,
    evalSteps: [],
    k: cfg.k,
    epsilons: [cfg.epsilon],
    spectrumTop: 1,
  };
  const run = await trainVariant(b.setup, row.variant!, s, settings);
  const obs = seen as ReturnType<typeof observeTuned> | null;
  if (!obs) throw new Error(`atlas: the adapter run of ${row.id} never read its tuned kernels`);
  const r = run.record;
  return {
    valLoss: r.valLossB as number,
    obs: { ...obs, accA: r.accA, stateFloats: 2 * r.params, msPerStep: r.trainMs / m.steps, tuned: run.tuned },
  };
}

/** A row that could not run on a base (its method refused the config), with the reason. */
export interface RowFailure {
  id: string;
  seed: number;
  reason: string;
}

export interface RowProgress {
  onProgress?: (p: ProgressEvent) => void;
  /** Rows finished before this call and rows in the whole run (for the progress bar). */
  done: number;
  total: number;
}

/** How one base trains and measures a row; runRows drives the lr selection around it. */
export interface RowRunner<R extends AtlasMethod, O> {
  /** Progress-label prefix naming the base ("" for the MLP). */
  prefix: string;
  /** The row's lr grid centre. */
  centre(row: R): number;
  train(row: R, lr: number): Promise<{ valLoss: number; obs: O }>;
  measure(obs: O): { diagnostics: Diagnostics; changedFraction: number; entries: number };
}

/**
 * Every row on one seed of a base. Without `chosen`, each row's lr is selected on this seed's
 * validation split (the grid around its centre, extended past an edge winner) and the winner's
 * run is measured; with `chosen` (row id → lr), each row trains once at it.
 */
export async function runRows<R extends AtlasMethod, O>(
  cfg: AtlasConfig,
  rows: R[],
  s: number,
  chosen: Map<string, number> | null,
  progress: RowProgress,
  runner: RowRunner<R, O>,
): Promise<{ records: RowSeed[]; failed: RowFailure[] }> {
  const out: RowSeed[] = [];
  const failed: RowFailure[] = [];
  let done = progress.done;
  for (const row of rows) {
    const runs = new Map<number, O>();
    const trainAt = async (lr: number) => {
      progress.onProgress?.({
        label: `${runner.prefix}${row.id} lr=${lr.toExponential(1)} seed ${s}`,
        step: done,
        total: progress.total,
      });
      const c = await runner.train(row, lr);
      runs.set(lr, c.obs);
      return -c.valLoss;
    };
    let selection: Selection | null = null;
    let lr: number;
    done++;
    try {
      if (chosen) {
        const c = chosen.get(row.id);
        if (c === undefined) continue; // failed on the first seed: recorded there
        lr = c;
        await trainAt(lr);
      } else {
        const centre = runner.centre(row);
        selection = await selectOnValidation(
          cfg.lrGrid.map((x) => centre * x),
          trainAt,
          { factor: cfg.lrGridFactor, maxExtensions: cfg.lrGridExtensions },
        );
        lr = selection.best;
      }
    } catch (e) {
      // A method whose registered variant does not fit this base (its config is refused, e.g. a
      // variant sized for the MLP's width on the 32-wide transformer) is a failed row with the
      // reason, not a crash of the whole atlas; a sanity check lists it.
      if (!(e instanceof InitlabInputError)) throw e;
      failed.push({ id: row.id, seed: s, reason: e.message });
      continue;
    }
    const { diagnostics, changedFraction, entries } = runner.measure(runs.get(lr) as O);
    out.push({ id: row.id, seed: s, lr, selection, diagnostics, changedFraction, entries });
  }
  return { records: out, failed };
}

/** Every trained row on one seed of the MLP base (see runRows). */
export async function runMlpRows(
  cfg: AtlasConfig,
  b: MlpBase,
  rows: AtlasMethod[],
  s: number,
  chosen: Map<string, number> | null,
  progress: RowProgress,
): Promise<{ records: RowSeed[]; failed: RowFailure[] }> {
  return runRows(cfg, rows, s, chosen, progress, {
    prefix: "",
    centre: (row) => lrCentre(cfg, row),
    train: (row, lr) =>
      row.registry === "adapter" ? trainAdapter(cfg, b, row, s, lr) : trainDense(cfg, b, row, s, lr),
    measure: (obs: Observation) => measureRow(cfg, b, obs),
  });
}
