// LoGAH as a toy: a small hypernetwork with LoGAH's low-rank decoder is trained through the
// task loss to predict every weight of MLPs with 1–3 hidden layers of width 32–128 on the
// digits; it then predicts the initial weights of a wider MLP it never saw (784-256-256-10),
// which is fine-tuned against the same MLP from He init for the same number of steps.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { LowRankHypernet } from "../../nn/hypernet";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { warmupCosine } from "../../optim/schedules";
import { evaluate } from "../../train/classifier";
import { ClassBatch, datasetSource, train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface LogahConfig extends PaperConfig {
  examples: number;
  rank: number;
  hidden: number;
  /** Hidden widths and counts of hidden layers the hypernetwork is trained on. */
  trainWidths: number[];
  trainDepths: number[];
  hyperSteps: number;
  hyperLr: number;
  /** The unseen target MLP. */
  target: number[];
  fineTuneSteps: number;
  batchSize: number;
  lrGrid: number[];
  selectionSeed: number;
}

export type LogahArm = "LoGAH init" | "random init";
export const ARMS: LogahArm[] = ["LoGAH init", "random init"];

export interface LogahSeedRun {
  seed: number;
  /** Mean training loss of the hypernetwork over its first and last tenth of steps. */
  hyperLoss: [number, number];
  arms: Array<{ arm: LogahArm; accBefore: number; acc: number; loss: number }>;
}

export interface LogahResult {
  params: { hypernet: number; target: number };
  data: { train: number; val: number; test: number };
  selection: Record<LogahArm, Selection>;
  runs: LogahSeedRun[];
}

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(c: LogahConfig, s: number): Split {
  const { train: tv, test } = trainTestSplit(sample(loadMnistDigits(), c.examples, s), { testFraction: 0.2, seed: s });
  const { train: tr, val } = validationSplit(tv, 0.2, s + 1);
  return { train: tr, val, test };
}

/** Trains a hypernetwork on randomly drawn MLP shapes (one per step) through the task loss. */
async function trainHypernet(c: LogahConfig, s: number, d: Split, ctx: PaperContext) {
  const maxDim = Math.max(784, ...c.target, ...c.trainWidths);
  const h = new LowRankHypernet({ rank: c.rank, maxDim, hidden: c.hidden }, new Rng(1000 * s + 1));
  const pick = new Rng(1000 * s + 2);
  const shapes = Array.from({ length: c.hyperSteps }, () => {
    const depth = c.trainDepths[pick.int(c.trainDepths.length)];
    return [784, ...Array.from({ length: depth }, () => c.trainWidths[pick.int(c.trainWidths.length)]), 10];
  });
  const log: number[] = [];
  await train({ variables: () => h.variables() }, datasetSource(d.train), {
    steps: c.hyperSteps,
    batchSize: c.batchSize,
    seed: 1000 * s + 3,
    lr: c.hyperLr,
    schedule: warmupCosine(0),
    objective: (b: ClassBatch, info) => {
      const W = h.predictMLP(shapes[info.step - 1]);
      let x: tf.Tensor2D = b.x;
      W.forEach((w, l) => {
        x = tf.matMul(x, w);
        if (l + 1 < W.length) x = tf.relu(x);
      });
      return crossEntropy(x, b.y);
    },
    logEvery: Math.max(1, Math.floor(c.hyperSteps / 10)),
    onLog: (r) => void log.push(r.loss),
    onProgress: (q) => ctx.onProgress?.({ ...q, label: `seed ${s} hypernetwork` }),
  });
  return { h, hyperLoss: [log[0], log[log.length - 1]] as [number, number] };
}

/** The target MLP from the hypernetwork's prediction or He init, fine-tuned; scored on `evalOn`. */
async function fineTune(
  c: LogahConfig,
  s: number,
  h: LowRankHypernet,
  arm: LogahArm,
  d: Split,
  lr: number,
  evalOn: Dataset,
  ctx: PaperContext,
) {
  seed(1000 * s + 4);
  const net = new MLP({ sizes: c.target, activation: "relu", init: "he" });
  if (arm === "LoGAH init") tf.tidy(() => h.predictMLP(c.target).forEach((w, l) => net.weights[l].assign(w)));
  const accBefore = evaluate(net, evalOn).acc;
  await train(net, d.train, {
    steps: c.fineTuneSteps,
    batchSize: c.batchSize,
    seed: 1000 * s + 5,
    lr,
    schedule: warmupCosine(0),
    logEvery: Math.max(1, Math.floor(c.fineTuneSteps / 5)),
    onProgress: (q) => ctx.onProgress?.({ ...q, label: `seed ${s} ${arm}` }),
  });
  const { acc, loss } = evaluate(net, evalOn);
  const params = net.parameterCount();
  net.dispose();
  return { arm, accBefore, acc, loss, params };
}

export async function runLogah(c: LogahConfig, ctx: PaperContext): Promise<LogahResult> {
  // Fine-tuning learning rates, one per arm, chosen on the validation split of a selection
  // seed (with its own hypernetwork) that is not reported.
  const sel = splitFor(c, c.selectionSeed);
  const selNet = await trainHypernet(c, c.selectionSeed, sel, ctx);
  const selection = {} as Record<LogahArm, Selection>;
  for (const arm of ARMS)
    selection[arm] = await selectOnValidation(
      c.lrGrid,
      async (lr) => (await fineTune(c, c.selectionSeed, selNet.h, arm, sel, lr, sel.val, ctx)).acc,
    );
  selNet.h.dispose();

  const runs: LogahSeedRun[] = [];
  const params = { hypernet: 0, target: 0 };
  let data = { train: 0, val: 0, test: 0 };
  for (const s of c.seeds) {
    const d = splitFor(c, s);
    data = { train: d.train.n, val: d.val.n, test: d.test.n };
    const { h, hyperLoss } = await trainHypernet(c, s, d, ctx);
    const arms: LogahSeedRun["arms"] = [];
    for (const arm of ARMS) {
      const { params: n, ...r } = await fineTune(c, s, h, arm, d, selection[arm].best, d.test, ctx);
      params.target = n;
      arms.push(r);
    }
    params.hypernet = h.parameterCount();
    h.dispose();
    runs.push({ seed: s, hyperLoss, arms });
  }
  return { params, data, selection, runs };
}
