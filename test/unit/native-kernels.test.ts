// initlab's native (OpenBLAS) kernels for the wasm backend against tfjs's cpu backend (the
// reference): matMul in every layout the kernels take or hand back, fused bias + activation,
// conv2d forward and both gradients (strides, padding, dilation, split im2col); the addon's
// argument checks; and bit-identical training runs for a given seed and thread count.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { kernelPath, setBlasThreads, setKernelPath } from "../../src/nn/native-kernels";
import { wasmKernelTuning } from "../../src/nn/wasm-kernels";
import { lapack } from "../../src/linalg/lapack";
import { MLP } from "../../src/nn/mlp";
import { fitBatch } from "../../src/train/classifier";
import { makeOptimizer } from "../../src/train/optimizers";
import { Rng, seed } from "../../src/core/random";
import { assertClose } from "./tf-compare";

const skip = lapack() === null || process.env.INITLAB_KERNELS === "wasm" ? "native kernels not available" : false;

function rand(seedValue: number, shape: number[]): tf.Tensor {
  const r = new Rng(seedValue);
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => r.normal()),
    shape,
  );
}

/** fn's outputs on wasm with native kernels and on cpu (the inputs are made inside fn). */
async function both(fn: () => tf.Tensor[]): Promise<[number[][], number[][]]> {
  const run = () => {
    const outs = tf.tidy(fn);
    const v = outs.map((t) => Array.from(t.dataSync()));
    tf.dispose(outs);
    return v;
  };
  await backendReady();
  assert.equal(kernelPath(), "native");
  const native = run();
  assert.ok(await tf.setBackend("cpu"));
  try {
    return [native, run()];
  } finally {
    await tf.setBackend("wasm");
  }
}

const MATMUL: Array<[string, number[], number[], boolean, boolean]> = [
  ["2-D", [5, 7], [7, 3], false, false],
  ["2-D, a transposed", [7, 5], [7, 3], true, false],
  ["2-D, b transposed", [5, 7], [3, 7], false, true],
  ["2-D, both transposed", [7, 5], [3, 7], true, true],
  ["batched", [4, 5, 7], [4, 7, 3], false, false],
  ["batched, b transposed", [2, 3, 5, 7], [2, 3, 3, 7], false, true],
  ["b broadcast over a's batch", [4, 5, 7], [7, 3], false, false],
  ["a broadcast over b's batch", [5, 7], [2, 2, 7, 3], false, false],
  ["partial broadcast (falls back)", [2, 1, 5, 7], [3, 7, 3], false, false],
];

for (const [name, sa, sb, ta, tb] of MATMUL) {
  test(`native matMul matches cpu, values and gradients: ${name}`, { skip }, async () => {
    const [n, c] = await both(() => {
      const a = rand(1, sa);
      const b = rand(2, sb);
      // tfjs's BatchMatMul gradient does not reduce broadcast batches (on any backend): values only there.
      if (sa.length !== sb.length) return [tf.matMul(a, b, ta, tb)];
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb)));
      const [ga, gb] = tf.grads(f)([a, b]);
      return [tf.matMul(a, b, ta, tb), ga, gb];
    });
    assertClose(n, c, 1e-5, name);
  });
}

const ACTIVATIONS = ["linear", "relu", "relu6", "elu", "leakyrelu", "sigmoid", "prelu"] as const;

test("native fused matMul: bias of size n or 1, every activation, batched, with gradients", { skip }, async () => {
  for (const activation of ACTIVATIONS) {
    for (const [sa, sb, biasShape] of [
      [[6, 4], [4, 5], [5]],
      [[6, 4], [4, 5], [1]],
      [[3, 6, 4], [3, 4, 5], [5]],
    ] as const) {
      const [n, c] = await both(() => {
        const a = tf.mul(rand(3, [...sa]), 3);
        const b = rand(4, [...sb]);
        const bias = rand(5, [...biasShape]);
        const prelu = activation === "prelu" ? tf.fill([5], 0.1) : undefined;
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.fused.matMul({ a: x, b: y, bias: z, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.3 });
        const [ga, gb, gz] = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(f(x, y, z)))([a, b, bias]);
        return [f(a, b, bias), ga, gb, gz];
      });
      assertClose(n, c, 1e-5, `${activation} ${JSON.stringify(sa)} bias ${JSON.stringify(biasShape)}`);
    }
  }
});

const CONVS: Array<[string, number[], number[], number, "same" | "valid", number]> = [
  ["3×3 same", [2, 6, 5, 3], [3, 3, 3, 4], 1, "same", 1],
  ["3×3 valid, stride 2", [2, 7, 7, 2], [3, 3, 2, 5], 2, "valid", 1],
  ["5×3 same, stride 2", [1, 8, 6, 3], [5, 3, 3, 2], 2, "same", 1],
  ["1×1", [3, 4, 4, 6], [1, 1, 6, 2], 1, "valid", 1],
  ["3×3 dilation 2", [2, 9, 9, 2], [3, 3, 2, 3], 1, "same", 2],
];

for (const [name, xs, ws, stride, pad, dil] of CONVS) {
  test(`native conv2d matches cpu, values and both gradients: ${name}`, { skip }, async () => {
    const [n, c] = await both(() => {
      const x = rand(6, xs);
      const w = rand(7, ws);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad, "NHWC", dil as 1 | [number, number]);
      // tfjs has no conv2d gradient for dilation > 1 (on any backend): values only there.
      if (dil !== 1) return [f(x, w)];
      const up = rand(8, f(x, w).shape);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), up)))([x, w]);
      return [f(x, w), gx, gw];
    });
    assertClose(n, c, 1e-5, name);
  });
}

test("native conv2d is the same when im2col is split into batch blocks", { skip }, async () => {
  await backendReady();
  const run = () =>
    tf.tidy(() => {
      const x = rand(9, [5, 6, 6, 3]);
      const w = rand(10, [3, 3, 3, 4]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")));
      return tf
        .grads(f)([x, w])
        .map((t) => Array.from(t.dataSync()));
    });
  const whole = run();
  const saved = wasmKernelTuning.im2colFloats;
  wasmKernelTuning.im2colFloats = 2 * 36 * 27; // two images per block
  try {
    const split = run();
    assertClose(split, whole, 1e-6, "split im2col");
  } finally {
    wasmKernelTuning.im2colFloats = saved;
  }
});

test("the addon names bad sgemm / im2col arguments", { skip }, () => {
  const blas = lapack()!;
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => blas.sgemm(f(5), f(6), f(4), 1, 2, 3, 2, false, false, 0, 0), /shorter than the shapes/);
  assert.throws(() => blas.sgemm(f(6), f(6), f(4), 2, 2, 3, 2, false, false, 6, 6), /shorter than the shapes/);
  assert.throws(() => blas.sgemm(f(6), f(6), f(4), 1, 0, 3, 2, false, false, 0, 0), /must be positive/);
  assert.throws(
    () => blas.sgemm(new Float64Array(6) as unknown as Float32Array, f(6), f(4), 1, 2, 3, 2, false, false, 0, 0),
    /Float32Arrays/,
  );
  const g = [1, 4, 4, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1];
  assert.throws(() => blas.im2col(f(16), f(10), g, 0, 1), /shorter than the geometry/);
  assert.throws(() => blas.im2col(f(16), f(144), g, 0, 2), /expected/);
  assert.throws(() => blas.col2im(f(144), f(16), [1, 4, 4]), /expected/);
});

test("setKernelPath switches both ways and names a bad path", { skip }, async () => {
  await backendReady();
  setKernelPath("wasm");
  assert.equal(kernelPath(), "wasm");
  setKernelPath("native");
  assert.equal(kernelPath(), "native");
  assert.throws(() => setKernelPath("gpu" as "wasm"), /path: must be "native" or "wasm"/);
  assert.throws(() => setBlasThreads(0), /n: must be a positive integer/);
});

/** Final weights of a short MLP run and a short conv run, from a fixed seed. */
async function trainOnce(): Promise<number[]> {
  await backendReady();
  const rng = new Rng(11);
  const x = tf.tensor2d(rng.normalArray(64 * 20), [64, 20]);
  const y = tf.tensor1d(
    Int32Array.from({ length: 64 }, () => rng.int(4)),
    "int32",
  );
  seed(3);
  const model = new MLP({ sizes: [20, 48, 32, 4] });
  const opt = makeOptimizer("adam", 1e-2);
  for (let i = 0; i < 15; i++) tf.dispose(fitBatch(model, opt, x, y));
  const w = await Promise.all(model.variables().map((v) => v.data()));
  model.dispose();
  opt.dispose();
  const img = rand(12, [8, 10, 10, 2]);
  const k = tf.variable(rand(13, [3, 3, 2, 6]));
  const copt = tf.train.sgd(0.01);
  for (let i = 0; i < 10; i++)
    copt.minimize(() =>
      tf.mean(tf.square(tf.relu(tf.conv2d(img as tf.Tensor4D, k as tf.Variable<tf.Rank.R4>, 1, "same")))),
    );
  const out = [...w.flatMap((a) => Array.from(a)), ...Array.from(await k.data())];
  tf.dispose([x, y, img, k]);
  copt.dispose();
  return out;
}

test("training is bit-identical for the same seed and thread count (1 and 2 BLAS threads)", { skip }, async () => {
  for (const threads of [1, 2]) {
    const before = setBlasThreads(threads);
    try {
      const a = await trainOnce();
      const b = await trainOnce();
      assert.equal(a.length, b.length);
      const diff = a.findIndex((v, i) => !Object.is(v, b[i]));
      assert.equal(diff, -1, `threads ${threads}: first difference at ${diff}`);
    } finally {
      setBlasThreads(before!);
    }
  }
});
