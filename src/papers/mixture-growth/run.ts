// MixtureGrowth at toy scale: two half-width template MLPs trained independently on the
// digits, grown into one full-width MLP whose new blocks are (a) new combinations of the
// learned templates orthogonal to the old coefficients, (b) random weights, (c) zeros; each
// fine-tuned for the same number of steps, and a full-width MLP from scratch at the same FLOPs.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { mixtureGrow, mlpFromWeights, NewBlockInit } from "../../nn/growth";
import { MLP } from "../../nn/mlp";
import { TemplateMLP } from "../../nn/template-mlp";
import { warmupCosine } from "../../optim/schedules";
import { evaluate } from "../../train/classifier";
import { train, TrainModel } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface MixtureGrowthConfig extends PaperConfig {
  examples: number;
  /** Hidden widths of each small network (the grown one has twice each). */
  hidden: number[];
  templates: number;
  smallEpochs: number;
  batchSize: number;
  /** Fine-tuning steps after growing (every growth variant). */
  growSteps: number;
  evalEvery: number;
  lrGrid: number[];
  selectionSeed: number;
}

export const GROWN = ["MixtureGrowth", "random growth", "zero growth"] as const;
export type Arm = (typeof GROWN)[number] | "scratch";
const INIT: Record<(typeof GROWN)[number], NewBlockInit> = {
  MixtureGrowth: "orthogonal",
  "random growth": "random",
  "zero growth": "zero",
};

export interface ArmRun {
  arm: Arm;
  /** Test accuracy and loss at 0 (right after growing; init for scratch) and every evalEvery steps. */
  curve: Array<{ step: number; acc: number; loss: number }>;
}

export interface MixtureSeedRun {
  seed: number;
  smallAcc: [number, number];
  /** Test accuracy of the average of the two small networks' logits. */
  ensembleAcc: number;
  arms: ArmRun[];
}

export interface MixtureGrowthResult {
  sizes: { small: number[]; grown: number[] };
  params: { grown: number; scratch: number; small: number };
  smallSteps: number;
  scratchSteps: number;
  selection: Record<Arm | "small", Selection>;
  data: { train: number; val: number; test: number };
  runs: MixtureSeedRun[];
}

interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

function splitFor(c: MixtureGrowthConfig, s: number): Split {
  const { train: tv, test } = trainTestSplit(sample(loadMnistDigits(), c.examples, s), { testFraction: 0.2, seed: s });
  const { train: tr, val } = validationSplit(tv, 0.2, s + 1);
  return { train: tr, val, test };
}

/** Matmul multiply-adds per example of an MLP with these sizes. */
const macs = (sizes: number[]) => sizes.slice(1).reduce((a, out, i) => a + sizes[i] * out, 0);

export function stepsFor(c: MixtureGrowthConfig, n: number) {
  const small = [784, ...c.hidden, 10];
  const grown = [784, ...c.hidden.map((h) => 2 * h), 10];
  const smallSteps = c.smallEpochs * Math.ceil(n / c.batchSize);
  // Scratch gets the FLOPs of both small runs plus the fine-tuning, counted in full-width steps.
  const scratchSteps = c.growSteps + Math.round((2 * smallSteps * macs(small)) / macs(grown));
  return { small, grown, smallSteps, scratchSteps };
}

async function fit(
  model: TrainModel,
  data: Dataset,
  steps: number,
  lr: number,
  c: MixtureGrowthConfig,
  dataSeed: number,
  evalOn: Dataset | null,
  label: string,
  ctx: PaperContext,
): Promise<ArmRun["curve"]> {
  const curve: ArmRun["curve"] = [];
  const ev = (step: number) => {
    if (!evalOn) return;
    const { acc, loss } = evaluate(model as MLP, evalOn);
    curve.push({ step, acc, loss });
  };
  await train(model, data, {
    steps,
    batchSize: c.batchSize,
    seed: dataSeed,
    optimizer: "adam",
    lr,
    schedule: warmupCosine(0),
    evalAt: [0, steps],
    evalEvery: evalOn ? c.evalEvery : undefined,
    onEval: (step) => ev(step),
    logEvery: Math.max(1, Math.floor(steps / 5)),
    onProgress: (q) => ctx.onProgress?.({ ...q, label }),
  });
  return curve;
}

/** The two small template networks of a seed (A and B: different init streams and batch orders). */
async function trainSmalls(c: MixtureGrowthConfig, s: number, d: Split, lr: number, ctx: PaperContext) {
  const { small, smallSteps } = stepsFor(c, d.train.n);
  const nets: TemplateMLP[] = [];
  for (const k of [0, 1]) {
    const net = new TemplateMLP({ sizes: small, templates: c.templates }, new Rng(1000 * s + 10 + k));
    await fit(net, d.train, smallSteps, lr, c, 1000 * s + 20 + k, null, `seed ${s} small ${"AB"[k]}`, ctx);
    nets.push(net);
  }
  return nets as [TemplateMLP, TemplateMLP];
}

/** Grows the pair with one init and fine-tunes; the curve is on `evalOn`. */
async function runGrown(
  c: MixtureGrowthConfig,
  s: number,
  pair: [TemplateMLP, TemplateMLP],
  arm: (typeof GROWN)[number],
  d: Split,
  lr: number,
  evalOn: Dataset,
  ctx: PaperContext,
): Promise<{ curve: ArmRun["curve"]; params: number }> {
  const g = mixtureGrow(pair[0], pair[1], { init: INIT[arm], rng: new Rng(1000 * s + 30) });
  const net = mlpFromWeights(g.sizes, g.weights, g.biases);
  const curve = await fit(net, d.train, c.growSteps, lr, c, 1000 * s + 40, evalOn, `seed ${s} ${arm}`, ctx);
  const params = net.parameterCount();
  net.dispose();
  return { curve, params };
}

async function runScratch(c: MixtureGrowthConfig, s: number, d: Split, lr: number, evalOn: Dataset, ctx: PaperContext) {
  const { grown, scratchSteps } = stepsFor(c, d.train.n);
  seed(1000 * s + 50);
  const net = new MLP({ sizes: grown, activation: "relu", init: "he" });
  const curve = await fit(net, d.train, scratchSteps, lr, c, 1000 * s + 40, evalOn, `seed ${s} scratch`, ctx);
  const params = net.parameterCount();
  net.dispose();
  return { curve, params };
}

const lastAcc = (curve: ArmRun["curve"]) => curve[curve.length - 1].acc;

export async function runMixtureGrowth(c: MixtureGrowthConfig, ctx: PaperContext): Promise<MixtureGrowthResult> {
  // Every learning rate is chosen on the validation split of a selection seed that is not
  // reported: the small networks' first, then each growth variant's and scratch's own.
  const sel = splitFor(c, c.selectionSeed);
  const smallSel = await selectOnValidation(c.lrGrid, async (lr) => {
    const pair = await trainSmalls(c, c.selectionSeed, sel, lr, ctx);
    const acc = (evaluate(pair[0], sel.val).acc + evaluate(pair[1], sel.val).acc) / 2;
    pair.forEach((p) => p.dispose());
    return acc;
  });
  const selPair = await trainSmalls(c, c.selectionSeed, sel, smallSel.best, ctx);
  const selection = { small: smallSel } as Record<Arm | "small", Selection>;
  for (const arm of GROWN)
    selection[arm] = await selectOnValidation(c.lrGrid, async (lr) =>
      lastAcc((await runGrown(c, c.selectionSeed, selPair, arm, sel, lr, sel.val, ctx)).curve),
    );
  selPair.forEach((p) => p.dispose());
  selection.scratch = await selectOnValidation(c.lrGrid, async (lr) =>
    lastAcc((await runScratch(c, c.selectionSeed, sel, lr, sel.val, ctx)).curve),
  );

  const runs: MixtureSeedRun[] = [];
  let params = { grown: 0, scratch: 0, small: 0 };
  let dataSizes = { train: 0, val: 0, test: 0 };
  for (const s of c.seeds) {
    const d = splitFor(c, s);
    dataSizes = { train: d.train.n, val: d.val.n, test: d.test.n };
    const pair = await trainSmalls(c, s, d, smallSel.best, ctx);
    const smallAcc: [number, number] = [evaluate(pair[0], d.test).acc, evaluate(pair[1], d.test).acc];
    const ensembleAcc = evaluate(
      {
        forward: (x) => tf.mul(tf.add(pair[0].forward(x), pair[1].forward(x)), 0.5) as tf.Tensor2D,
        variables: () => [],
      },
      d.test,
    ).acc;
    const arms: ArmRun[] = [];
    for (const arm of GROWN) {
      const g = await runGrown(c, s, pair, arm, d, selection[arm].best, d.test, ctx);
      params.grown = g.params;
      arms.push({ arm, curve: g.curve });
    }
    params.small = pair[0].parameterCount();
    pair.forEach((p) => p.dispose());
    const sc = await runScratch(c, s, d, selection.scratch.best, d.test, ctx);
    params = { ...params, scratch: sc.params };
    arms.push({ arm: "scratch", curve: sc.curve });
    runs.push({ seed: s, smallAcc, ensembleAcc, arms });
  }
  const st = stepsFor(c, dataSizes.train);
  return {
    sizes: { small: st.small, grown: st.grown },
    params,
    smallSteps: st.smallSteps,
    scratchSteps: st.scratchSteps,
    selection,
    data: dataSizes,
    runs,
  };
}
