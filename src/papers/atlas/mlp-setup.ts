// The atlas's MLP base for one seed: the adapter benchmark's pretrained Fashion-MNIST MLP
// (task A) and its rotated task B with a new head, the seed's validation split, calibration
// batches, and the per-seed references every row is measured against: the base's task-A
// accuracy, the EL2N-hardest task-B test examples under a head-only probe of the base, and
// the base's penultimate features on a fixed probe set.
import * as tf from "@tensorflow/tfjs";
import { CalibrationBatch } from "../../adapters/mlp";
import { makeTasks, obtainBase } from "../../bases/fashion-mlp";
import { Rng, seed } from "../../core/random";
import { Dataset, subset } from "../../data/dataset";
import { svd } from "../../linalg/decompose";
import { el2nFromLogits } from "../../metrics/data-diet";
import { MLP } from "../../nn/mlp";
import { createInit } from "../../nn/init-registry";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import type { RunSetup } from "../adapters-compare/bench";
import { validationSplit } from "../protocol";
import type { AtlasConfig } from "./config";

/** An MLP whose weightArrays() first calls a tap: the adapter benchmark reads the tuned kernels
 * there with head B still in place, so the atlas measures the tuned model at that moment. */
export class TappedMLP extends MLP {
  tap: (() => void) | null = null;
  override weightArrays(): number[][][] {
    const t = this.tap;
    this.tap = null;
    t?.();
    return super.weightArrays();
  }
}

export interface MlpBase {
  setup: RunSetup & { net: TappedMLP };
  /** Task-A accuracy of the base (hidden W0, head A). */
  baseAccA: number;
  /** Indices into testB of the EL2N-hardest examples under the head-only probe. */
  hard: number[];
  hardSet: Dataset;
  /** Fixed probe examples of test B (features, kernels, RankMe). */
  probe: Dataset;
  /** Penultimate features of the base on the probe set [n, h]. */
  featuresBefore: number[][];
  /** ‖W0‖_F² summed over the hidden matrices. */
  baseFrob2: number;
  dispose(): void;
}

/** Head-B init per seed: a registered init drawn from a seed-specific stream. */
export function headInit(
  name: string,
  fanIn: number,
  classes: number,
  s: number,
): { kernel: number[][]; bias: number[] } {
  seed(1000 + s);
  const w = createInit(name, fanIn, classes);
  return {
    kernel: Array.from({ length: fanIn }, (_, i) => Array.from(w.subarray(i * classes, (i + 1) * classes))),
    bias: new Array<number>(classes).fill(0),
  };
}

/** Penultimate features (the last layer's input) of `net` on `ds` as nested rows. */
export function penultimate(net: MLP, ds: Dataset): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor2d(ds.x, [ds.n, ds.dim]);
    const { inputs } = net.forwardAll(x);
    return inputs[inputs.length - 1].arraySync() as number[][];
  });
}

/** Builds the seed's MLP base and its references. */
export async function mlpBase(cfg: AtlasConfig, s: number): Promise<MlpBase> {
  const m = cfg.mlp;
  seed(cfg.baseSeed);
  const tasks = makeTasks({ ...m, seed: cfg.baseSeed });
  const { train: trainB, val: valB } = validationSplit(tasks.trainB, m.valFraction, s * 7 + 3);
  const net = new TappedMLP({ sizes: [784, ...m.hidden, 10], activation: "relu", init: "torch" });
  const spec = {
    hidden: m.hidden,
    pretrainExamples: m.pretrainExamples,
    pretrainEpochs: m.pretrainEpochs,
    pretrainLr: m.pretrainLr,
    batchSize: m.pretrainBatchSize,
    seed: cfg.baseSeed,
  };
  const { base } = await obtainBase(net, tasks.trainA, spec, m.checkpoint);
  const L = base.kernels.length;
  const hout = m.hidden[m.hidden.length - 1];
  const headB = headInit(cfg.headInit, hout, 10, s);
  const setWeights = (kernels: number[][][], biases: number[][]) =>
    tf.tidy(() => {
      kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
      biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
    });
  setWeights(base.kernels, base.biases);
  const baseAccA = evaluate(net, tasks.testA).acc;
  // EL2N reference: the base with only head B trained (a linear probe), scored on test B.
  setWeights([...base.kernels.slice(0, L - 1), headB.kernel], [...base.biases.slice(0, L - 1), headB.bias]);
  const head = [net.weights[L - 1], net.biases[L - 1] as tf.Variable];
  await train(net, trainB, {
    steps: m.probeSteps,
    batchSize: m.batchSize,
    seed: s * 1013 + 11,
    sampler: "stream",
    trainable: head,
    lr: m.headLr,
  });
  const testB = tasks.testB;
  const scores = tf.tidy(() => el2nFromLogits(net.forward(tf.tensor2d(testB.x, [testB.n, testB.dim])), testB.y));
  const order = scores.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const hard = order.slice(0, Math.max(1, Math.round(m.hardFraction * testB.n))).map((p) => p[1]);
  const probe = subset(testB, new Rng(s * 17 + 5).permutation(testB.n).slice(0, Math.min(m.probeExamples, testB.n)));
  setWeights(base.kernels, base.biases);
  const featuresBefore = penultimate(net, probe);
  const calibration: CalibrationBatch[] = [];
  const perm = new Rng(s * 31 + 77).permutation(trainB.n);
  for (let b = 0; b < m.calibrationBatches; b++) {
    const idx = perm.slice(b * m.pretrainBatchSize, (b + 1) * m.pretrainBatchSize);
    const sub = subset(trainB, idx);
    calibration.push({ x: tf.tensor2d(sub.x, [sub.n, sub.dim]), y: tf.tensor1d(sub.y, "int32") });
  }
  const hiddenKernels = base.kernels.slice(0, L - 1);
  const setup = {
    net,
    baseKernels: base.kernels,
    baseBiases: base.biases,
    headB,
    baseSvd: hiddenKernels.map((k) => svd(k[0].map((_, j) => k.map((r) => r[j])))),
    trainB,
    valB,
    testA: tasks.testA,
    testB,
    calibration,
  };
  return {
    setup,
    baseAccA,
    hard,
    hardSet: subset(testB, hard),
    probe,
    featuresBefore,
    baseFrob2: hiddenKernels.reduce((a, k) => a + k.reduce((b, r) => b + r.reduce((c, x) => c + x * x, 0), 0), 0),
    dispose() {
      calibration.forEach((c) => {
        c.x.dispose();
        (c.y as tf.Tensor).dispose();
      });
      net.dispose();
    },
  };
}
