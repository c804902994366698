// Data and base model for the LoRA-vs-full-FT experiment: Fashion-MNIST (task A) and the
// same images rotated 90° (task B), and the pretrained task-A MLP, cached as a small
// safetensors checkpoint under data/ (weights stored in PyTorch's [out, in] layout, so
// `initlab analyze` reads them like any torch checkpoint).
import * as fs from "fs";
import * as path from "path";
import { Dataset, makeDataset, sample, subset } from "../data/dataset";
import { loadFashionMnist } from "../data/images";
import { loadSafetensors, saveSafetensors, SafeTensorInput } from "../io/safetensors";
import { projectRoot } from "../io/paths";
import { MLP } from "../nn/mlp";
import { trainClassifier } from "../train/classifier";
import { seed } from "../core/random";
import { fail } from "../core/validate";
import { ProgressEvent } from "../core/types";

/** The settings that determine the pretrained base (the checkpoint is reused only when they match). */
export interface BaseSpec {
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  batchSize: number;
  seed: number;
}

export interface BaseWeights {
  /** Kernels [in, out] (tfjs layout) and biases, one per layer; the last layer is head A. */
  kernels: number[][][];
  biases: number[][];
  /** The settings the base was trained with. */
  spec: BaseSpec;
}

export const BASE_CHECKPOINT = "data/lora-vs-full-ft-base.safetensors";

/** Rotates every 28×28 image by 90° counter-clockwise (task B). */
export function rotate90(ds: Dataset, name = ds.name + ":rot90"): Dataset {
  const [h, w] = ds.shape;
  if (h !== w) fail("ds", `rotation needs square images, got ${h}×${w}`);
  const x = new Float32Array(ds.x.length);
  for (let n = 0; n < ds.n; n++) {
    const o = n * ds.dim;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) x[o + i * w + j] = ds.x[o + j * w + (w - 1 - i)];
  }
  return makeDataset(name, x, Int32Array.from(ds.y), ds.shape, ds.numClasses);
}

/** Disjoint seeded task-A and task-B training sets, and test sets (B = the rotated A test images). */
export function makeTasks(spec: {
  pretrainExamples: number;
  finetuneExamples: number;
  testExamples: number;
  seed: number;
}): {
  trainA: Dataset;
  trainB: Dataset;
  testA: Dataset;
  testB: Dataset;
} {
  const all = loadFashionMnist({ split: "train" });
  const pool = sample(all, spec.pretrainExamples + spec.finetuneExamples, spec.seed);
  const idx = Array.from({ length: pool.n }, (_, i) => i);
  const trainA = subset(pool, idx.slice(0, spec.pretrainExamples), "fashion-A:train");
  const trainB = rotate90(subset(pool, idx.slice(spec.pretrainExamples)), "fashion-B:train");
  const testA = loadFashionMnist({ split: "test", limit: spec.testExamples, seed: spec.seed + 1 });
  return { trainA, trainB, testA, testB: rotate90(testA, "fashion-B:test") };
}

const specKey = (s: BaseSpec) =>
  JSON.stringify([s.hidden, s.pretrainExamples, s.pretrainEpochs, s.pretrainLr, s.batchSize, s.seed]);

/** Builds the experiment's MLP (784 → hidden → 10, ReLU, PyTorch-default init). */
export function makeNet(hidden: number[]): MLP {
  return new MLP({ sizes: [784, ...hidden, 10], activation: "relu", init: "torch" });
}

/** Trains the task-A base on `net` (modified in place) and returns its weights. */
export async function pretrainBase(
  net: MLP,
  trainA: Dataset,
  spec: BaseSpec,
  onProgress?: (p: ProgressEvent) => void,
): Promise<BaseWeights> {
  seed(spec.seed);
  await trainClassifier(net, trainA, {
    epochs: spec.pretrainEpochs,
    batchSize: spec.batchSize,
    lr: spec.pretrainLr,
    seed: spec.seed,
    onProgress: onProgress ? (p) => onProgress({ ...p, label: "pretrain on task A" }) : undefined,
  });
  return { kernels: net.weightArrays(), biases: net.biases.map((b) => (b ? Array.from(b.dataSync()) : [])), spec };
}

function checkpointPath(file: string): string {
  return path.isAbsolute(file) ? file : path.join(projectRoot(), file);
}

/** Writes the base as safetensors: layers.l.weight [out, in] and layers.l.bias, F32, spec in metadata. */
export function saveBaseCheckpoint(file: string, base: BaseWeights): void {
  const tensors: Record<string, SafeTensorInput> = {};
  base.kernels.forEach((k, l) => {
    const [inD, outD] = [k.length, k[0].length];
    const t = new Float32Array(inD * outD);
    for (let i = 0; i < inD; i++) for (let o = 0; o < outD; o++) t[o * inD + i] = k[i][o];
    tensors[`layers.${l}.weight`] = { dtype: "F32", shape: [outD, inD], data: t };
    tensors[`layers.${l}.bias`] = { dtype: "F32", shape: [outD], data: base.biases[l] };
  });
  const p = checkpointPath(file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  saveSafetensors(p, tensors, {
    spec: specKey(base.spec),
    layout: "torch [out, in]",
    source: "initlab scripts/make-base-checkpoint.ts",
  });
}

/** Reads the base if the file exists and was made with the same spec; otherwise null. */
export function loadBaseCheckpoint(file: string, spec: BaseSpec): BaseWeights | null {
  const p = checkpointPath(file);
  if (!fs.existsSync(p)) return null;
  const f = loadSafetensors(p);
  if (f.metadata.spec !== specKey(spec)) return null;
  const L = spec.hidden.length + 1;
  const kernels: number[][][] = [];
  const biases: number[][] = [];
  for (let l = 0; l < L; l++) {
    const w = f.tensors[`layers.${l}.weight`];
    const b = f.tensors[`layers.${l}.bias`];
    if (!w || !b || w.shape.length !== 2) fail(p, `layer ${l} is missing or malformed`);
    const [outD, inD] = w.shape;
    kernels.push(
      Array.from({ length: inD }, (_, i) => Array.from({ length: outD }, (_, o) => Number(w.data[o * inD + i]))),
    );
    biases.push(Array.from(b.data as Float32Array));
  }
  return { kernels, biases, spec };
}

/** Gets the base: from the checkpoint when it matches `spec`, else by training on task A. */
export async function obtainBase(
  net: MLP,
  trainA: Dataset,
  spec: BaseSpec,
  file: string | null,
  onProgress?: (p: ProgressEvent) => void,
): Promise<{ base: BaseWeights; cached: boolean }> {
  const cached = file ? loadBaseCheckpoint(file, spec) : null;
  if (cached) return { base: cached, cached: true };
  return { base: await pretrainBase(net, trainA, spec, onProgress), cached: false };
}
