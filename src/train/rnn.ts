// Training a ReluRNN on a NeuroGym-style task through the library loop: each step samples a
// fresh batch of trials from the task with the loop's seeded rng (the same draw order as a
// hand loop), minimises rnnLoss (whose gradient is the network's hand-written BPTT) with SGD +
// momentum, reads the mean loss every `logEvery` steps, and stops on a non-finite loss.
import * as tf from "@tensorflow/tfjs";
import { NeuroTask, TrialBatch } from "../data/neuro-tasks";
import { ProgressEvent } from "../core/types";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { ReluRNN, rnnLoss } from "../nn/rnn";
import { BatchSource, train } from "./loop";

export interface TrainRNNOptions {
  iterations: number;
  batchSize: number;
  lr: number;
  /** SGD momentum (0.9, the paper's). */
  momentum?: number;
  /** Seed of the trial stream. */
  seed: number;
  /** Loss is averaged and read (one synchronous read) every `logEvery` iterations. */
  logEvery?: number;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

export interface TrainRNNResult {
  /** Mean training loss over each logging window. */
  losses: Array<{ iteration: number; loss: number }>;
  /** True when a logged loss became NaN/±Inf; training stopped there (no clipping). */
  diverged: boolean;
  divergedAt: number | null;
  iterationsRun: number;
}

const TRAIN_KEYS = ["iterations", "batchSize", "lr", "momentum", "seed", "logEvery", "onProgress", "label"];

interface RnnBatch {
  x: tf.Tensor3D;
  y: tf.Tensor1D;
}

/** Task batches as a loop source: `make` samples `batchSize` trials with the loop's rng. */
function taskSource(task: NeuroTask, batchSize: number, inputSize: number): BatchSource<RnnBatch> {
  return {
    make(_idx, rng) {
      const b: TrialBatch = task.sample(batchSize, rng);
      if (b.inputSize !== inputSize) fail("task", `samples ${b.inputSize} inputs; the network expects ${inputSize}`);
      return { x: tf.tensor3d(b.x, [b.steps, b.batch, b.inputSize]), y: tf.tensor1d(b.y, "int32") };
    },
  };
}

/** BPTT with tf.train.momentum over all three weight matrices; cross-entropy at every step. */
export async function trainRNN(rnn: ReluRNN, task: NeuroTask, opts: TrainRNNOptions): Promise<TrainRNNResult> {
  if (!(rnn instanceof ReluRNN)) fail("rnn", "must be a ReluRNN");
  if (task == null || typeof task.sample !== "function") fail("task", "must be a NeuroTask");
  assertKnownOptions("opts", opts, TRAIN_KEYS);
  assertPositiveInt("opts.iterations", opts.iterations);
  assertPositiveInt("opts.batchSize", opts.batchSize);
  if (!Number.isFinite(opts.lr) || opts.lr < 0) fail("opts.lr", `must be a finite number >= 0, got ${opts.lr}`);
  const momentum = opts.momentum ?? 0.9;
  if (!Number.isFinite(momentum) || momentum < 0 || momentum >= 1)
    fail("opts.momentum", `must lie in [0, 1), got ${momentum}`);
  const logEvery = opts.logEvery ?? 50;
  assertPositiveInt("opts.logEvery", logEvery);
  if (task.inputSize !== rnn.inputSize || task.outputSize !== rnn.outputSize) {
    fail(
      "task",
      `has ${task.inputSize} inputs / ${task.outputSize} outputs; the network has ${rnn.inputSize} / ${rnn.outputSize}`,
    );
  }
  const opt = tf.train.momentum(opts.lr, momentum);
  try {
    // The optimizer instance carries lr (possibly 0); the loop's own lr only scales schedules.
    const res = await train<RnnBatch>(
      { variables: () => rnn.variables() },
      taskSource(task, opts.batchSize, rnn.inputSize),
      {
        steps: opts.iterations,
        batchSize: opts.batchSize,
        seed: opts.seed,
        optimizer: opt,
        objective: (b) => rnnLoss(rnn, b.x, b.y),
        logEvery,
        stopOnNonFinite: true,
        onProgress: opts.onProgress,
        label: opts.label ?? "train RNN",
      },
    );
    return {
      losses: res.log.map((l) => ({ iteration: l.step, loss: l.loss })),
      diverged: res.stoppedAt !== null,
      divergedAt: res.stoppedAt,
      iterationsRun: res.steps,
    };
  } finally {
    opt.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips its parent's learning-rate scalar `c`.
    const c = (opt as unknown as { c?: tf.Tensor }).c;
    if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
  }
}
