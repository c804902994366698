// Kernels the tfjs wasm backend lacks or runs slowly, written in JS over the backend's
// heap. Registered once when initlab selects the wasm backend (src/backend.ts):
//  - UnsortedSegmentSum: the gradient of tf.gather, hence of embeddings.
//  - Conv2DBackpropFilter: the conv2d weight gradient (im2col + the wasm matmul).
//  - Conv2DBackpropInput: the stock kernel is a direct loop; col2im(dy · Wᵀ) is faster.
//  - DepthwiseConv2dNativeBackpropFilter / BackpropInput: depthwise conv gradients.
//  - BatchMatMul / _FusedMatMul with transposeA or transposeB: tfjs-wasm 4.22 sends these
//    to a naive loop ~15× slower than its XNNPACK path, and every matMul gradient uses
//    them; we transpose first (a cheap copy) and call the fast path. Batched products
//    (batch > 1, e.g. attention) run on a SIMD loop instead of the stock scalar one.
//  - GatherV2 along axis 0 (minibatches, embedding lookups): row copies instead of the
//    stock element-wise kernel.
//  - Sum over the leading axes (bias gradients, also of convs): a SIMD loop instead of transpose + reduce.
import * as tf from "@tensorflow/tfjs";
import {
  conv2DBackpropFilter,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
  fastConvBackpropInput,
} from "./wasm-conv-kernels";
import { simdKernelsFor } from "./wasm-simd";
import { BACKEND, KernelFn, transposeLast2 } from "./wasm-util";

export { wasmKernelTuning } from "./wasm-conv-kernels";

let registered = false;

// ---- matMul: materialise transposes so XNNPACK's fast path runs -------------------------

function withoutTransposes(original: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    if (!attrs.transposeA && !attrs.transposeB) return original({ inputs, backend, attrs });
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const temps: tf.TensorInfo[] = [];
    const at = attrs.transposeA ? transposeLast2(a, backend) : a;
    const bt = attrs.transposeB ? transposeLast2(b, backend) : b;
    if (at !== a) temps.push(at);
    if (bt !== b) temps.push(bt);
    try {
      return original({
        inputs: { ...inputs, a: at, b: bt },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Batched (batch > 1, equal batch shapes) float32 products on the SIMD loop; others stock. */
function fastBatched(original: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const ra = a.shape.length;
    const outer = a.shape.slice(0, -2);
    const batch = outer.reduce((x, d) => x * d, 1);
    const [M, K] = a.shape.slice(-2);
    const N = b.shape[b.shape.length - 1];
    const memory = backend.wasm.asm?.memory;
    const simd = memory ? simdKernelsFor(memory) : null;
    const sameBatch = b.shape.length === ra && outer.every((d, i) => d === b.shape[i]) && b.shape[ra - 2] === K;
    if (
      !simd ||
      attrs.transposeA ||
      attrs.transposeB ||
      ra < 3 ||
      batch < 2 ||
      !sameBatch ||
      N % 4 !== 0 ||
      a.dtype !== "float32" ||
      b.dtype !== "float32"
    ) {
      return original({ inputs, backend, attrs });
    }
    const out = backend.makeOutput([...outer, M, N], "float32");
    const ptr = (t: tf.TensorInfo) => (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
    simd.bmm(ptr(a), ptr(b), ptr(out), batch, M, K, N);
    return out;
  };
}

const WRAPPED: Record<string, (original: KernelFn) => KernelFn> = {
  BatchMatMul: (o) => withoutTransposes(fastBatched(o)),
  _FusedMatMul: withoutTransposes,
  GatherV2: fastGather,
  Sum: fastSum,
  Conv2DBackpropInput: fastConvBackpropInput,
};
const stockMatMul = new Map<string, tf.KernelConfig>();
let fastMatMul = false;

/**
 * Switches the faster matMul (transposes), gather and leading-axis sum kernels on (default once registered)
 * or back to tfjs's stock kernels, e.g. to measure what they save. No-op before
 * registerWasmKernels().
 */
export function setFastMatMul(enabled: boolean): void {
  if (enabled === fastMatMul || stockMatMul.size === 0) return;
  for (const [name, k] of stockMatMul) {
    tf.unregisterKernel(name, BACKEND);
    const kernelFunc = enabled
      ? (WRAPPED[name](k.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc)
      : k.kernelFunc;
    tf.registerKernel({ ...k, kernelFunc });
  }
  fastMatMul = enabled;
}

// ---- GatherV2 along axis 0: row copies on the heap --------------------------------------
// tfjs-wasm 4.22 gathers element by element with stride arithmetic: a 256-row batch from
// a 2048×784 matrix took longer than the step's matmuls. Other cases use the stock kernel.

function fastGather(original: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const indices = inputs.indices as tf.TensorInfo;
    const axis = attrs.axis as number;
    if (
      (axis !== 0 && axis !== -x.shape.length) ||
      (attrs.batchDims as number) ||
      x.shape.length === 0 ||
      (x.dtype !== "float32" && x.dtype !== "int32")
    ) {
      return original({ inputs, backend, attrs });
    }
    const rows = x.shape[0];
    const row = x.shape.slice(1).reduce((a, d) => a * d, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const iv = backend.typedArrayFromHeap(indices) as Int32Array;
    const ov = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    for (let i = 0; i < iv.length; i++) {
      const r = iv[i];
      if (!(r >= 0 && r < rows)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      }
      ov.set(xv.subarray(r * row, (r + 1) * row), i * row);
    }
    return out;
  };
}

// ---- Sum over the leading axis (bias gradients): a SIMD row-accumulating loop -----------
// The stock kernel transposes the input first so that it can reduce the innermost axis.

function fastSum(original: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const axes = x.shape.length >= 2 ? tf.util.parseAxisParam(attrs.axis as number | number[], x.shape) : [];
    const memory = backend.wasm.asm?.memory;
    const simd = memory ? simdKernelsFor(memory) : null;
    // Leading axes 0..k−1 (k ≥ 1, e.g. a conv bias gradient over batch, height and width) reduce
    // like axis 0 of the [rows, rest] view.
    const k = axes.length;
    const leading = k >= 1 && k < x.shape.length && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading || !simd) return original({ inputs, backend, attrs });
    const rows = x.shape.slice(0, k).reduce((a, d) => a * d, 1);
    const rest = x.shape.slice(k);
    const cols = rest.reduce((a, d) => a * d, 1);
    const out = backend.makeOutput(attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, "float32");
    const ov = backend.typedArrayFromHeap(out) as Float32Array;
    ov.fill(0);
    const cols4 = cols - (cols % 4);
    const ptr = (t: tf.TensorInfo) => (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
    if (cols4 > 0) simd.colsum(ptr(x), ptr(out), rows, cols4 * 4, cols * 4);
    if (cols4 < cols) {
      const xv = backend.typedArrayFromHeap(x) as Float32Array;
      for (let r = 0; r < rows; r++) for (let c = cols4; c < cols; c++) ov[c] += xv[r * cols + c];
    }
    return out;
  };
}

// ---- UnsortedSegmentSum ------------------------------------------------------------------

/** out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped (as in TF). */
export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
}

const unsortedSegmentSum: KernelFn = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const ids = inputs.segmentIds as tf.TensorInfo;
  const numSegments = attrs.numSegments as number;
  const m = ids.shape.reduce((a, d) => a * d, 1);
  const inner = m === 0 ? 0 : x.shape.reduce((a, d) => a * d, 1) / m;
  const outShape = [numSegments, ...x.shape.slice(ids.shape.length)];
  const dtype = x.dtype === "int32" ? "int32" : "float32";
  const out = backend.makeOutput(outShape, dtype);
  // Views are taken after the allocation: growing the heap detaches older views.
  unsortedSegmentSumValues(
    backend.typedArrayFromHeap(x),
    backend.typedArrayFromHeap(ids),
    numSegments,
    inner,
    backend.typedArrayFromHeap(out) as Float32Array | Int32Array,
  );
  return out;
};

const NEW_KERNELS: Array<[string, KernelFn]> = [
  ["UnsortedSegmentSum", unsortedSegmentSum],
  ["Conv2DBackpropFilter", conv2DBackpropFilter],
  ["DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter],
  ["DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput],
];

/**
 * Registers initlab's wasm kernels (missing gradients; fast transposed matmul). Idempotent;
 * needs @tensorflow/tfjs-backend-wasm loaded. Kernels tfjs already provides are kept.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  if (!tf.getKernel("BatchMatMul", BACKEND)) return; // wasm backend not loaded
  registered = true;
  for (const [name, fn] of NEW_KERNELS) {
    if (!tf.getKernel(name, BACKEND))
      tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: fn as unknown as tf.KernelFunc });
  }
  for (const name of Object.keys(WRAPPED)) {
    const k = tf.getKernel(name, BACKEND);
    if (k) stockMatMul.set(name, k);
  }
  setFastMatMul(true);
}
