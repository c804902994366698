// What the benchmark's method hooks may ask of an adapted model, whichever base it wraps
// (AdaptedMLP, AdaptedTransformer): its adapters by matrix index, the frozen kernels, the
// inputs each adapted matrix sees on calibration batches, and the data-driven init.
import * as tf from "@tensorflow/tfjs";
import { Labels } from "../nn/losses";
import { TrainHook } from "../train/loop";
import { DenseAdapter } from "./types";

/** One calibration batch: model inputs (MLP: [batch, in] features; transformer: [batch, T] ids) and targets. */
export interface CalibrationBatch {
  x: tf.Tensor2D;
  y: Labels;
}

export interface AdaptedModel {
  /** adapters[l] is the adapter of matrix l, or null (hooks may replace entries, e.g. EVA). */
  readonly adapters: (DenseAdapter | null)[];
  /** The frozen base kernel [in, out] of matrix l. */
  kernel(l: number): tf.Variable<tf.Rank.R2>;
  /** Inputs [n, in] each listed matrix sees when the BASE model runs on the batches (caller disposes). */
  layerInputs(batches: CalibrationBatch[], layers: number[]): tf.Tensor2D[][];
  /** Runs every adapter's init() on the base model's layer inputs and kernel gradients. */
  calibrate(batches: CalibrationBatch[]): Promise<number[]>;
  trainHooks(): TrainHook[];
  adapterParameterCount(): number;
  merge(): void;
  unmerge(): void;
  dispose(): void;
}

/**
 * The loop hooks of a set of adapters: regularisers averaged over the adapters that have one
 * (SORSA's "averaged over adapters"), and each adapter's gradient transform (on its own
 * variables) and post-step update, in order.
 */
export function adapterTrainHooks(adapters: (DenseAdapter | null)[]): TrainHook[] {
  const ads = adapters.filter((a): a is DenseAdapter => a !== null);
  const regs = ads.filter((a) => typeof a.regLoss === "function");
  const hooks: TrainHook[] = [];
  if (regs.length)
    hooks.push({ regLoss: () => tf.div(tf.addN(regs.map((a) => a.regLoss!())), regs.length) as tf.Scalar });
  for (const a of ads) {
    if (!a.transformGrads && !a.postStep) continue;
    hooks.push({
      trainableVariables: () => a.trainableVariables(),
      ...(a.transformGrads ? { transformGrads: (g: Record<string, tf.Tensor>) => a.transformGrads!(g) } : {}),
      ...(a.postStep ? { postStep: (step: number) => a.postStep!(step) } : {}),
    });
  }
  return hooks;
}

/**
 * Runs each listed adapter's init() on its layer inputs and kernel gradients, then frees
 * them; returns per-layer init milliseconds (the shared forward/backward time split evenly).
 */
export async function initAdapters(
  adapters: (DenseAdapter | null)[],
  layers: number[],
  inputs: tf.Tensor2D[][],
  grads: tf.Tensor2D[][],
  startedMs: number,
): Promise<number[]> {
  const shared = (Date.now() - startedMs) / layers.length;
  const ms: number[] = [];
  try {
    for (let k = 0; k < layers.length; k++) {
      const t1 = Date.now();
      await adapters[layers[k]]!.init!({ inputs: inputs[k], gradients: grads[k] });
      ms.push(shared + Date.now() - t1);
    }
  } finally {
    for (const t of [...inputs.flat(), ...grads.flat()]) t.dispose();
  }
  return ms;
}
