// A labelled dataset held as flat typed arrays: example i's features are
// x[i*dim .. (i+1)*dim) (row-major; images are 28×28 flattened row by row), label y[i].
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertInRange, fail } from "../core/validate";

export interface Dataset {
  name: string;
  /** Row-major features, n × dim. */
  x: Float32Array;
  /** Integer class labels, length n. */
  y: Int32Array;
  n: number;
  /** Features per example (product of `shape`). */
  dim: number;
  /** Per-example shape, e.g. [28, 28]. */
  shape: number[];
  numClasses: number;
}

/** Builds a dataset, checking sizes, finiteness and label range. */
export function makeDataset(name: string, x: Float32Array, y: Int32Array, shape: number[], numClasses: number): Dataset {
  const dim = shape.reduce((a, b) => a * b, 1);
  if (y.length === 0) fail("y", `dataset "${name}" is empty`);
  if (x.length !== y.length * dim) fail("x", `has ${x.length} values; ${y.length} examples of shape [${shape}] need ${y.length * dim}`);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) fail("x", `value ${i} (example ${Math.floor(i / dim)}) is ${x[i]}`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= numClasses) fail("y", `label ${i} is ${y[i]}; expected a class in [0, ${numClasses})`);
  }
  return { name, x, y, n: y.length, dim, shape, numClasses };
}

/** The examples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const x = new Float32Array(indices.length * ds.dim);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) fail("indices", `entry ${k} is ${i}; expected an index in [0, ${ds.n})`);
    x.set(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim), k * ds.dim);
    y[k] = ds.y[i];
  }
  return { ...ds, name, x, y, n: indices.length };
}

export interface SplitOptions {
  /** Fraction of examples in the test part, in (0, 1). */
  testFraction: number;
  seed: number;
}

/** Seeded random train/test split (same seed → same split). */
export function trainTestSplit(ds: Dataset, opts: SplitOptions): { train: Dataset; test: Dataset } {
  assertInRange("opts.testFraction", opts.testFraction, 1e-9, 1 - 1e-9);
  const perm = new Rng(opts.seed).permutation(ds.n);
  const nTest = Math.round(ds.n * opts.testFraction);
  if (nTest === 0 || nTest === ds.n) fail("opts.testFraction", `leaves an empty part for ${ds.n} examples`);
  return { test: subset(ds, perm.slice(0, nTest), ds.name + ":test"), train: subset(ds, perm.slice(nTest), ds.name + ":train") };
}

/** A seeded random sample of `count` examples. */
export function sample(ds: Dataset, count: number, seedValue: number): Dataset {
  if (!Number.isInteger(count) || count <= 0 || count > ds.n) fail("count", `must be an integer in [1, ${ds.n}], got ${count}`);
  return subset(ds, new Rng(seedValue).permutation(ds.n).slice(0, count));
}

/** Features as a [n, dim] float32 tensor and labels as int32 (caller disposes). */
export function toTensors(ds: Dataset): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return { x: tf.tensor2d(ds.x, [ds.n, ds.dim]), y: tf.tensor1d(ds.y, "int32") };
}

/** One-hot labels as a [n, numClasses] float32 tensor. */
export function oneHotLabels(ds: Dataset): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(ds.y, "int32"), ds.numClasses).toFloat() as tf.Tensor2D);
}
