// initlab's wasm kernels against tfjs's cpu backend (the reference): values and gradients
// of gather (UnsortedSegmentSum), conv2d (Conv2DBackpropFilter), depthwise conv, matMul
// with transposes; FastAdam against tf.train.adam; the fast training path against plain
// autograd; and tiny embedding / conv models that train on wasm.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { wasmKernelTuning } from "../../src/nn/wasm-kernels";
import { FastAdam } from "../../src/optim/fast-adam";
import { adamSimdFor } from "../../src/nn/wasm-simd";
import { MLP } from "../../src/nn/mlp";
import { crossEntropy } from "../../src/nn/losses";
import { fitBatch } from "../../src/train/classifier";
import { Rng } from "../../src/core/random";
import { assertClose } from "./tf-compare";

function randArray(seedValue: number, n: number): Float32Array {
  const r = new Rng(seedValue);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Runs fn on a backend (tensors created inside fn live there) and returns flat values. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<number[][]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend}`);
  try {
    const outs = tf.tidy(fn);
    const vals = outs.map((t) => Array.from(t.dataSync()));
    tf.dispose(outs);
    return vals;
  } finally {
    await tf.setBackend("wasm");
  }
}

async function sameOnBothBackends(what: string, fn: () => tf.Tensor[], tol = 1e-5): Promise<void> {
  const w = await on("wasm", fn);
  const c = await on("cpu", fn);
  assertClose(w, c, tol, what);
}

test("the wasm backend is active and has the new kernels", async () => {
  assert.equal(await backendReady(), "wasm");
  for (const k of [
    "UnsortedSegmentSum",
    "Conv2DBackpropFilter",
    "DepthwiseConv2dNativeBackpropFilter",
    "DepthwiseConv2dNativeBackpropInput",
  ]) {
    assert.ok(tf.getKernel(k, "wasm"), k);
  }
});

const segCases: Array<[string, number[], number[], number[], number]> = [
  ["1-D ids over rows", [6, 4], [6], [0, 2, 2, 4, 1, 2], 5],
  ["ids out of range are dropped", [5, 3], [5], [0, -1, 3, 7, 3], 4],
  ["3-D values", [4, 3, 2], [4], [2, 0, 2, 1], 3],
];
for (const [name, xs, is, ids, ns] of segCases) {
  test(`unsortedSegmentSum matches cpu: ${name}`, () =>
    sameOnBothBackends(name, () => [
      tf.unsortedSegmentSum(
        tf.tensor(
          randArray(
            1,
            xs.reduce((a, b) => a * b),
          ),
          xs,
        ),
        tf.tensor1d(ids, "int32").reshape(is) as tf.Tensor1D,
        ns,
      ),
    ]));
}

test("gather gradient (embedding) matches cpu, axis 0 and 1", () =>
  sameOnBothBackends("gather grad", () => {
    const table = tf.tensor2d(randArray(2, 7 * 5), [7, 5]);
    const ids = tf.tensor1d([0, 3, 3, 6, 1, 3], "int32");
    const w0 = tf.tensor2d(randArray(3, 6 * 5), [6, 5]);
    const w1 = tf.tensor2d(randArray(4, 5 * 6), [5, 6]);
    const g0 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w0)))(table);
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(tf.transpose(t), ids, 1), w1)))(table);
    return [tf.gather(table, ids), g0, g1];
  }));

test("gather matches cpu: axis 0 (row-copy kernel) with 2-D indices and int32 values, and axis 1", () =>
  sameOnBothBackends("gather", () => {
    const x = tf.tensor3d(randArray(27, 6 * 3 * 2), [6, 3, 2]);
    const xi = tf.tensor2d(
      Int32Array.from({ length: 12 }, (_, i) => i * 7 - 20),
      [6, 2],
      "int32",
    );
    const ids = tf.tensor2d(
      [
        [5, 0],
        [2, 2],
      ],
      [2, 2],
      "int32",
    );
    return [
      tf.gather(x, ids),
      tf.gather(xi, tf.tensor1d([4, 1, 4], "int32")),
      tf.gather(x, tf.tensor1d([2, 0], "int32"), 1),
    ];
  }));

test("sum over the leading axes (SIMD kernel, with column tails) and other axes match cpu", () =>
  sameOnBothBackends("sum", () => {
    const a = tf.tensor2d(randArray(29, 9 * 11), [9, 11]); // 11 columns: 8 SIMD + 3 tail
    const b = tf.tensor3d(randArray(30, 5 * 2 * 4), [5, 2, 4]);
    const c = tf.tensor2d(randArray(31, 4 * 3), [4, 3]); // no SIMD columns at all
    return [
      tf.sum(a, 0),
      tf.sum(a, 0, true),
      tf.sum(b, 0),
      tf.sum(b, -3),
      tf.sum(c, 0),
      tf.sum(a, 1),
      tf.sum(b, [0, 1]),
      tf.sum(b, [1, 0], true),
      tf.sum(tf.tensor4d(randArray(32, 3 * 4 * 5 * 6), [3, 4, 5, 6]), [0, 1, 2]), // a conv bias gradient
      tf.sum(b, [0, 2]), // not leading: the stock kernel
      tf.sum(a),
    ];
  }));

test("gather rejects an out-of-range index on wasm", async () => {
  await backendReady();
  assert.throws(
    () => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], "int32"))),
    /index value 3 is not in \[0, 2\]/,
  );
});

const convCases: Array<[string, number[], number[], number | [number, number], "same" | "valid" | number]> = [
  ["3x3 same stride 1", [2, 7, 6, 3], [3, 3, 3, 4], 1, "same"],
  ["3x2 valid stride 2", [2, 8, 7, 2], [3, 2, 2, 5], 2, "valid"],
  ["5x5 explicit pad 1, stride 2", [1, 9, 8, 2], [5, 5, 2, 3], 2, 1],
  // (numeric pad with unequal strides is avoided: tfjs-core sizes its output wrongly.)
  ["3x3 same, strides [2,1]", [2, 7, 8, 2], [3, 3, 2, 3], [2, 1], "same"],
];
for (const [name, xs, fs, strides, pad] of convCases) {
  test(`conv2d value and gradients match cpu: ${name}`, () =>
    sameOnBothBackends(
      name,
      () => {
        const x = tf.tensor4d(
          randArray(
            5,
            xs.reduce((a, b) => a * b),
          ),
          xs as [number, number, number, number],
        );
        const f = tf.tensor4d(
          randArray(
            6,
            fs.reduce((a, b) => a * b),
          ),
          fs as [number, number, number, number],
        );
        const y = tf.conv2d(x, f, strides, pad);
        const w = tf.tensor(randArray(7, y.size), y.shape);
        const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad), w)),
        )([x, f]);
        return [y, gx, gf];
      },
      1e-4,
    ));
}

test("conv2d filter gradient is the same when im2col is split into batch chunks", async () => {
  const run = () =>
    on("wasm", () => {
      const x = tf.tensor4d(randArray(8, 5 * 6 * 6 * 2), [5, 6, 6, 2]);
      return [
        tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 1, "same"))))(
          tf.tensor4d(randArray(9, 3 * 3 * 2 * 3), [3, 3, 2, 3]),
        ),
      ];
    });
  const whole = await run();
  const saved = wasmKernelTuning.im2colFloats;
  wasmKernelTuning.im2colFloats = 2 * 36 * 18; // two images per chunk: chunks 2, 2, 1
  try {
    assertClose(await run(), whole, 1e-5, "chunked");
  } finally {
    wasmKernelTuning.im2colFloats = saved;
  }
});

test("depthwise conv2d gradients match cpu (multiplier 2, stride 2)", () =>
  sameOnBothBackends(
    "depthwise",
    () => {
      const x = tf.tensor4d(randArray(10, 2 * 7 * 6 * 3), [2, 7, 6, 3]);
      const f = tf.tensor4d(randArray(11, 3 * 3 * 3 * 2), [3, 3, 3, 2]);
      const y = tf.depthwiseConv2d(x, f, 2, "same");
      const w = tf.tensor(randArray(12, y.size), y.shape);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"), w)),
      )([x, f]);
      return [y, gx, gf];
    },
    1e-4,
  ));

test("matMul with every transpose combination, batched and fused, matches cpu", () =>
  sameOnBothBackends("matmul", () => {
    const a = tf.tensor2d(randArray(13, 5 * 4), [5, 4]);
    const b = tf.tensor2d(randArray(14, 4 * 5), [4, 5]);
    const a3 = tf.tensor3d(randArray(15, 3 * 5 * 4), [3, 5, 4]);
    const b3 = tf.tensor3d(randArray(16, 3 * 5 * 4), [3, 5, 4]);
    const bias = tf.tensor1d(randArray(17, 5));
    const out: tf.Tensor[] = [];
    for (const ta of [false, true])
      for (const tb of [false, true]) out.push(tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b, ta, tb));
    out.push(tf.matMul(a3, b3, false, true), tf.matMul(a3, b3, true, false));
    out.push(tf.fused.matMul({ a: tf.transpose(a), b, transposeA: true, bias, activation: "relu" }));
    out.push(tf.fused.matMul({ a, b: tf.transpose(b), transposeB: true, bias }));
    return out;
  }));

test("batched matMul (SIMD loop when N % 4 = 0; stock otherwise) matches cpu, values and gradients", () =>
  sameOnBothBackends("batched matmul", () => {
    const a = tf.tensor4d(randArray(32, 2 * 3 * 5 * 6), [2, 3, 5, 6]);
    const b = tf.tensor4d(randArray(33, 2 * 3 * 6 * 8), [2, 3, 6, 8]);
    const b5 = tf.tensor3d(randArray(34, 6 * 6 * 5), [6, 6, 5]);
    const b1 = tf.tensor3d(randArray(35, 1 * 6 * 8), [1, 6, 8]);
    const a3 = tf.reshape(a, [6, 5, 6]) as tf.Tensor3D;
    const w = tf.tensor4d(randArray(36, 2 * 3 * 5 * 8), [2, 3, 5, 8]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x as tf.Tensor4D, y as tf.Tensor4D), w)),
    )([a, b]);
    return [tf.matMul(a, b), tf.matMul(a3, b5), tf.matMul(a3, b1), tf.matMul(b, a, true, true), ga, gb];
  }));

test("FastAdam follows tf.train.adam step for step (wasm and cpu)", async () => {
  await backendReady();
  const mem = (tf.backend() as unknown as { wasm: { asm: { memory: object } } }).wasm.asm.memory;
  assert.ok(adamSimdFor(mem), "the SIMD update loop compiles against the wasm backend's memory");
  for (const backend of ["wasm", "cpu"]) {
    const vals = await on(backend, () => {
      const run = (opt: tf.Optimizer) => {
        // 15 values: on wasm 12 go through the SIMD loop and 3 through the scalar tail.
        const w = tf.variable(tf.tensor2d(randArray(18, 15), [3, 5]));
        const target = tf.tensor2d(randArray(19, 15), [3, 5]);
        for (let s = 0; s < 5; s++)
          opt.minimize(() => tf.sum(tf.square(tf.sub(tf.mul(w, w), target))) as tf.Scalar, false, [w]);
        const out = w.clone();
        w.dispose();
        opt.dispose();
        return out;
      };
      return [run(new FastAdam(0.05)), run(tf.train.adam(0.05))];
    });
    assertClose([vals[0]], [vals[1]], 1e-5, `${backend} FastAdam vs tf.train.adam`);
  }
});

test("FastAdam's tf-op fallback (backends without its kernel) follows tf.train.adam; bad settings are named", async () => {
  const k = tf.getKernel("InitlabAdamUpdate", "cpu");
  assert.ok(k, "cpu kernel registered");
  tf.unregisterKernel("InitlabAdamUpdate", "cpu");
  try {
    const vals = await on("cpu", () => {
      const run = (opt: tf.Optimizer) => {
        const w = tf.variable(tf.tensor1d(randArray(28, 6)));
        for (let s = 0; s < 4; s++) opt.minimize(() => tf.sum(tf.pow(w, 4)) as tf.Scalar, false, [w]);
        const out = w.clone();
        w.dispose();
        opt.dispose();
        return out;
      };
      return [run(new FastAdam(0.1, { beta1: 0.8, beta2: 0.99 })), run(tf.train.adam(0.1, 0.8, 0.99))];
    });
    assertClose([vals[0]], [vals[1]], 1e-5, "fallback vs tf.train.adam");
  } finally {
    tf.registerKernel(k);
  }
  assert.throws(() => new FastAdam(0), /learningRate: must be a positive finite number/);
  assert.throws(() => new FastAdam(0.1, { beta1: 1 }), /opts.beta1: must be in \[0, 1\)/);
  assert.throws(() => new FastAdam(0.1, { beta2: NaN }), /opts.beta2/);
});

test("fast MLP forward and fused loss gradient equal the plain autograd path", async () => {
  await backendReady();
  for (const activation of ["relu", "tanh", "linear"] as const) {
    for (const bias of [true, false]) {
      const m = new MLP({ sizes: [6, 5, 4, 3], activation, bias });
      const x = tf.tensor2d(randArray(20, 8 * 6), [8, 6]);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 2, 1], "int32");
      const [fast, plain] = [m.forward(x), m.forwardAll(x).logits].map((t) => Array.from(t.dataSync()));
      assertClose([fast], [plain], 1e-5, `${activation}/${bias} logits`);
      // One SGD step through fitBatch (fused loss) vs opt.minimize(crossEntropy) from the same start.
      const start = m.variables().map((v) => v.clone());
      fitBatch(m, tf.train.sgd(0.5), x, y).dispose();
      const afterFast = m.variables().map((v) => Array.from(v.dataSync()));
      m.variables().forEach((v, i) => v.assign(start[i]));
      tf.train.sgd(0.5).minimize(() => crossEntropy(m.forwardAll(x).logits, y), false, m.variables());
      assertClose(
        afterFast,
        m.variables().map((v) => Array.from(v.dataSync())),
        1e-5,
        `${activation}/${bias} step`,
      );
      tf.dispose([x, y, ...start]);
      m.dispose();
    }
  }
});

/** Trains a model for `steps` Adam steps on wasm; returns the first and last loss. */
function trainLosses(params: tf.Variable[], loss: () => tf.Scalar, steps: number): [number, number] {
  const opt = new FastAdam(0.02);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const l = opt.minimize(loss, true, params) as tf.Scalar;
    losses.push(l.dataSync()[0]);
    l.dispose();
  }
  opt.dispose();
  return [losses[0], losses[losses.length - 1]];
}

test("a tiny embedding model trains on wasm (gather gradient)", async () => {
  assert.equal(await backendReady(), "wasm");
  const [V, d, T, B] = [11, 8, 5, 16];
  const r = new Rng(21);
  const ids = tf.tensor2d(
    Int32Array.from({ length: B * T }, () => r.int(V)),
    [B, T],
    "int32",
  );
  const labels = tf.tensor1d(
    Int32Array.from({ length: B }, (_, i) => i % 3),
    "int32",
  );
  const emb = tf.variable(tf.tensor2d(randArray(22, V * d), [V, d]));
  const w = tf.variable(tf.tensor2d(randArray(23, d * 3), [d, 3]));
  const loss = () =>
    tf.tidy(() =>
      crossEntropy(
        tf.matMul(tf.mean(tf.reshape(tf.gather(emb, tf.reshape(ids, [-1])), [B, T, d]), 1) as tf.Tensor2D, w),
        labels,
      ),
    );
  const [first, last] = trainLosses([emb, w], loss, 30);
  assert.ok(last < 0.7 * first, `loss ${first} → ${last}`);
  tf.dispose([ids, labels, emb, w]);
});

test("a tiny conv net trains on wasm (conv2d filter gradient)", async () => {
  assert.equal(await backendReady(), "wasm");
  const B = 12;
  const x = tf.tensor4d(randArray(24, B * 8 * 8 * 1), [B, 8, 8, 1]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: B }, (_, i) => i % 2),
    "int32",
  );
  const f = tf.variable(tf.tensor4d(randArray(25, 3 * 3 * 1 * 4), [3, 3, 1, 4]));
  const w = tf.variable(
    tf.tensor2d(
      randArray(26, 4 * 4 * 4 * 2).map((v) => v * 0.1),
      [64, 2],
    ),
  );
  const loss = () =>
    tf.tidy(() =>
      crossEntropy(
        tf.matMul(tf.reshape(tf.relu(tf.conv2d(x, f as tf.Tensor4D, 2, "same")), [B, 64]) as tf.Tensor2D, w),
        labels,
      ),
    );
  const g0 = tf.tidy(() => Array.from(tf.variableGrads(loss, [f]).grads[f.name].dataSync()));
  assert.ok(
    g0.some((v) => v !== 0),
    "filter gradient is non-zero",
  );
  const [first, last] = trainLosses([f, w], loss, 30);
  assert.ok(last < 0.7 * first, `loss ${first} → ${last}`);
  tf.dispose([x, labels, f, w]);
});
