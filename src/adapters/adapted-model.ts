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
