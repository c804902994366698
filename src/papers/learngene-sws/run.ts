// Learngene SWS at toy scale: a deep residual MLP teacher on the digits; an auxiliary model
// with stage-wise shared blocks (stages 3-3-2 over 8 layers) distilled from it by pure soft
// distillation; descendants of several depths initialised by repeating each stage's block,
// against the same architectures from random init, each fine-tuned for one epoch.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { expandStages, stageCounts } from "../../nn/growth";
import { StagedResidualMLP } from "../../nn/staged-residual-mlp";
import { warmupCosine } from "../../optim/schedules";
import { evaluate } from "../../train/classifier";
import { ClassBatch, datasetSource, train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface SwsConfig extends PaperConfig {
  examples: number;
  width: number;
  teacherDepth: number;
  /** Layers per stage of the auxiliary model (one shared block per stage). */
  stages: number[];
  depths: number[];
  teacherEpochs: number;
  distillEpochs: number;
  /** Fixed learning rate of the teacher and the distillation (not part of the comparison). */
  pretrainLr: number;
  fineTuneEpochs: number;
  batchSize: number;
  lrGrid: number[];
  selectionSeed: number;
}

export type Init = "SWS" | "random";

export interface DescendantRun {
  depth: number;
  counts: number[];
  init: Init;
  accBefore: number;
  acc: number;
  loss: number;
}

export interface SwsSeedRun {
  seed: number;
  teacherAcc: number;
  auxAcc: number;
  /** Test accuracy of the descendant with the auxiliary model's own counts, before any step. */
  sameDepthAcc: number;
  descendants: DescendantRun[];
}

export interface SwsResult {
  params: { teacher: number; aux: number; descendants: Record<string, number> };
  data: { train: number; val: number; test: number };
  selection: Record<string, Selection>;
  runs: SwsSeedRun[];
}

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(c: SwsConfig, s: number): Split {
  const { train: tv, test } = trainTestSplit(sample(loadMnistDigits(), c.examples, s), { testFraction: 0.2, seed: s });
  const { train: tr, val } = validationSplit(tv, 0.2, s + 1);
  return { train: tr, val, test };
}

const auxSchedule = (stages: number[]) => stages.flatMap((n, s) => Array<number>(n).fill(s));
const epochSteps = (c: SwsConfig, d: Split) => Math.ceil(d.train.n / c.batchSize);

/** Teacher (plain deep residual MLP) and the stage-shared auxiliary model distilled from it. */
async function pretrain(c: SwsConfig, s: number, d: Split, ctx: PaperContext) {
  const teacher = new StagedResidualMLP(
    { input: 784, width: c.width, classes: 10, schedule: Array.from({ length: c.teacherDepth }, (_, l) => l) },
    new Rng(1000 * s + 1),
  );
  await train(teacher, d.train, {
    epochs: c.teacherEpochs,
    batchSize: c.batchSize,
    seed: 1000 * s + 2,
    lr: c.pretrainLr,
    schedule: warmupCosine(0),
    onProgress: (q) => ctx.onProgress?.({ ...q, label: `seed ${s} teacher` }),
    logEvery: epochSteps(c, d),
  });
  const aux = new StagedResidualMLP(
    { input: 784, width: c.width, classes: 10, schedule: auxSchedule(c.stages) },
    new Rng(1000 * s + 3),
  );
  // Pure soft distillation: cross-entropy against the teacher's softmax (no label term).
  await train(aux, datasetSource(d.train), {
    epochs: c.distillEpochs,
    batchSize: c.batchSize,
    seed: 1000 * s + 4,
    lr: c.pretrainLr,
    schedule: warmupCosine(0),
    objective: (b: ClassBatch) => {
      const p = tf.softmax(teacher.forward(b.x));
      return tf.neg(tf.mean(tf.sum(tf.mul(p, tf.logSoftmax(aux.forward(b.x))), 1))) as tf.Scalar;
    },
    logEvery: epochSteps(c, d),
    onProgress: (q) => ctx.onProgress?.({ ...q, label: `seed ${s} distil` }),
  });
  return { teacher, aux };
}

/** One descendant: SWS-expanded from `aux` or random, fine-tuned for fineTuneEpochs; scored on `evalOn`. */
async function descendant(
  c: SwsConfig,
  s: number,
  aux: StagedResidualMLP,
  depth: number,
  init: Init,
  d: Split,
  lr: number,
  evalOn: Dataset,
  ctx: PaperContext,
): Promise<DescendantRun & { params: number }> {
  const counts = stageCounts(c.stages, depth);
  const net =
    init === "SWS"
      ? expandStages(aux, counts)
      : new StagedResidualMLP(
          { input: 784, width: c.width, classes: 10, schedule: Array.from({ length: depth }, (_, l) => l) },
          new Rng(1000 * s + 10 + depth),
        );
  const accBefore = evaluate(net, evalOn).acc;
  await train(net, d.train, {
    epochs: c.fineTuneEpochs,
    batchSize: c.batchSize,
    seed: 1000 * s + 20 + depth,
    lr,
    schedule: warmupCosine(0),
    logEvery: epochSteps(c, d),
    onProgress: (q) => ctx.onProgress?.({ ...q, label: `seed ${s} ${init} depth ${depth}` }),
  });
  const { acc, loss } = evaluate(net, evalOn);
  const params = net.parameterCount();
  net.dispose();
  return { depth, counts, init, accBefore, acc, loss, params };
}

export async function runSws(c: SwsConfig, ctx: PaperContext): Promise<SwsResult> {
  // Fine-tuning learning rates: one per depth and init, chosen on the validation split of a
  // selection seed that is not reported (its own teacher and auxiliary model).
  const sel = splitFor(c, c.selectionSeed);
  const pre = await pretrain(c, c.selectionSeed, sel, ctx);
  const selection: Record<string, Selection> = {};
  for (const depth of c.depths)
    for (const init of ["SWS", "random"] as const)
      selection[`${init} depth ${depth}`] = await selectOnValidation(
        c.lrGrid,
        async (lr) => (await descendant(c, c.selectionSeed, pre.aux, depth, init, sel, lr, sel.val, ctx)).acc,
      );
  pre.teacher.dispose();
  pre.aux.dispose();

  const runs: SwsSeedRun[] = [];
  const params = { teacher: 0, aux: 0, descendants: {} as Record<string, number> };
  let data = { train: 0, val: 0, test: 0 };
  for (const s of c.seeds) {
    const d = splitFor(c, s);
    data = { train: d.train.n, val: d.val.n, test: d.test.n };
    const { teacher, aux } = await pretrain(c, s, d, ctx);
    const same = expandStages(aux, c.stages);
    const sameDepthAcc = evaluate(same, d.test).acc;
    same.dispose();
    const descendants: DescendantRun[] = [];
    for (const depth of c.depths)
      for (const init of ["SWS", "random"] as const) {
        const { params: n, ...run } = await descendant(
          c,
          s,
          aux,
          depth,
          init,
          d,
          selection[`${init} depth ${depth}`].best,
          d.test,
          ctx,
        );
        params.descendants[`depth ${depth}`] = n;
        descendants.push(run);
      }
    runs.push({
      seed: s,
      teacherAcc: evaluate(teacher, d.test).acc,
      auxAcc: evaluate(aux, d.test).acc,
      sameDepthAcc,
      descendants,
    });
    params.teacher = teacher.parameterCount();
    params.aux = aux.parameterCount();
    teacher.dispose();
    aux.dispose();
  }
  return { params, data, selection, runs };
}
