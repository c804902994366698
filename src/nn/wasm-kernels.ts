// Kernels the tfjs wasm backend lacks or runs slowly, written in JS over the backend's
// heap. Registered once when initlab selects the wasm backend (src/backend.ts):
//  - UnsortedSegmentSum: the gradient of tf.gather, hence of embeddings.
//  - Conv2DBackpropFilter: the conv2d weight gradient (im2col + the wasm matmul).
//  - DepthwiseConv2dNativeBackpropFilter / BackpropInput: depthwise conv gradients.
//  - BatchMatMul / _FusedMatMul with transposeA or transposeB: tfjs-wasm 4.22 sends these
//    to a naive loop ~15× slower than its XNNPACK path, and every matMul gradient uses
//    them; we transpose first (a cheap copy) and call the fast path.
//  - GatherV2 along axis 0 (minibatches, embedding lookups): row copies instead of the
//    stock element-wise kernel.
//  - Sum over the leading axis (bias gradients): a SIMD loop instead of transpose + reduce.
import * as tf from "@tensorflow/tfjs";
import { simdKernelsFor, WasmMemory } from "./wasm-simd";

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackendLike {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[]; dtype: tf.DataType } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  wasm: { asm?: { memory?: WasmMemory } };
}

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo | null | undefined>;
type KernelFn = (args: { inputs: Inputs; backend: WasmBackendLike; attrs: Attrs }) => tf.TensorInfo | tf.TensorInfo[];

const BACKEND = "wasm";
let registered = false;

function kernelFn(name: string): KernelFn {
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel ${name} is not registered (import @tensorflow/tfjs-backend-wasm first)`);
  return k.kernelFunc as unknown as KernelFn;
}

function asInfo(x: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  return Array.isArray(x) ? x[0] : x;
}

/** Swaps the last two axes with the wasm Transpose kernel (a new buffer). */
function transposeLast2(x: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return asInfo(kernelFn("Transpose")({ inputs: { x }, backend, attrs: { perm } }));
}

/** A reshaped view sharing x's buffer (the caller must not dispose it separately). */
function view(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

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
      return original({ inputs: { ...inputs, a: at, b: bt }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

const WRAPPED: Record<string, (original: KernelFn) => KernelFn> = { BatchMatMul: withoutTransposes, _FusedMatMul: withoutTransposes, GatherV2: fastGather, Sum: fastSum };
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
    const kernelFunc = enabled ? (WRAPPED[name](k.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc) : k.kernelFunc;
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
    if ((axis !== 0 && axis !== -x.shape.length) || (attrs.batchDims as number) || x.shape.length === 0 || (x.dtype !== "float32" && x.dtype !== "int32")) {
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
    if (x.dtype !== "float32" || axes.length !== 1 || axes[0] !== 0 || !simd) return original({ inputs, backend, attrs });
    const rows = x.shape[0];
    const rest = x.shape.slice(1);
    const cols = rest.reduce((a, d) => a * d, 1);
    const out = backend.makeOutput(attrs.keepDims ? [1, ...rest] : rest, "float32");
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
  x: ArrayLike<number>, ids: ArrayLike<number>, numSegments: number, inner: number, out: Float32Array | Int32Array,
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
    backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(ids), numSegments, inner,
    backend.typedArrayFromHeap(out) as Float32Array | Int32Array,
  );
  return out;
};

// ---- Conv2DBackpropFilter: dW = im2col(x)ᵀ · dy, the product on the wasm matmul ----------

function convInfoFor(x: tf.TensorInfo, filterShape: [number, number, number, number], attrs: Attrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC") throw new Error(`initlab wasm conv gradient: dataFormat ${dataFormat} is not supported (use NHWC)`);
  const dil = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, attrs.strides as [number, number] | number, dil,
    attrs.pad as "valid", attrs.dimRoundingMode as "floor" | undefined, depthwise, "channelsLast",
  );
}

/** Rows [b0, b1) of im2col(x): one row per output pixel, (kh, kw, ci) per column. */
function im2colRows(xv: Float32Array, ci: tf.backend_util.Conv2DInfo, b0: number, b1: number, cols: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const dh = ci.dilationHeight;
  const dw = ci.dilationWidth;
  const K = KH * KW * C;
  let row = 0;
  for (let b = b0; b < b1; b++) {
    for (let yo = 0; yo < Ho; yo++) {
      for (let xo = 0; xo < Wo; xo++, row++) {
        let o = row * K;
        for (let kh = 0; kh < KH; kh++) {
          const yi = yo * sh - top + kh * dh;
          for (let kw = 0; kw < KW; kw++, o += C) {
            const xi = xo * sw - left + kw * dw;
            if (yi < 0 || yi >= H || xi < 0 || xi >= W) {
              cols.fill(0, o, o + C);
            } else {
              const s = ((b * H + yi) * W + xi) * C;
              for (let c = 0; c < C; c++) cols[o + c] = xv[s + c];
            }
          }
        }
      }
    }
  }
}

/** Tuning knobs. im2colFloats: the largest im2col block built at once (bigger batches are split and summed). */
export const wasmKernelTuning = { im2colFloats: 1 << 23 };

const conv2DBackpropFilter: KernelFn = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const ci = convInfoFor(x, filterShape, { ...attrs, dilations: 1 }, false);
  const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const Co = ci.outChannels;
  const P = ci.outHeight * ci.outWidth;
  const chunk = Math.max(1, Math.min(ci.batchSize, Math.floor(wasmKernelTuning.im2colFloats / Math.max(1, P * K))));
  const matMul = kernelFn("BatchMatMul");
  let acc: Float32Array | null = null;
  let single: tf.TensorInfo | null = null;
  for (let b0 = 0; b0 < ci.batchSize; b0 += chunk) {
    const b1 = Math.min(ci.batchSize, b0 + chunk);
    const n = (b1 - b0) * P;
    const cols = backend.makeOutput([n, K], "float32");
    const dyPart = b0 === 0 && b1 === ci.batchSize ? null : backend.makeOutput([n, Co], "float32");
    im2colRows(backend.typedArrayFromHeap(x) as Float32Array, ci, b0, b1, backend.typedArrayFromHeap(cols) as Float32Array);
    if (dyPart) (backend.typedArrayFromHeap(dyPart) as Float32Array).set((backend.typedArrayFromHeap(dy) as Float32Array).subarray(b0 * P * Co, b1 * P * Co));
    // [n, Co]ᵀ · [n, K] = [Co, K]; the small result is transposed back to [K, Co].
    const dyT = transposeLast2(view(dyPart ?? dy, [n, Co]), backend);
    const prod = asInfo(matMul({ inputs: { a: dyT, b: cols }, backend, attrs: { transposeA: false, transposeB: false } }));
    const part = transposeLast2(view(prod, [Co, K]), backend);
    for (const t of [cols, dyT, prod, ...(dyPart ? [dyPart] : [])]) backend.disposeData(t.dataId);
    if (b0 === 0 && b1 === ci.batchSize) {
      single = part;
    } else {
      const pv = backend.typedArrayFromHeap(view(part, [K * Co])) as Float32Array;
      if (!acc) acc = new Float32Array(K * Co);
      for (let i = 0; i < acc.length; i++) acc[i] += pv[i];
      backend.disposeData(part.dataId);
    }
  }
  if (single) return view(single, filterShape);
  return backend.makeOutput(filterShape, "float32", undefined, acc as Float32Array);
};

// ---- Depthwise conv gradients (direct loops; depthwise layers are cheap) -----------------

const depthwiseBackpropFilter: KernelFn = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const ci = convInfoFor(x, filterShape, attrs, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co, filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const mult = Co / C;
  const dw = new Float32Array(KH * KW * Co);
  const xv = backend.typedArrayFromHeap(x);
  const dyv = backend.typedArrayFromHeap(dy);
  for (let b = 0; b < B; b++) {
    for (let yo = 0; yo < Ho; yo++) {
      for (let xo = 0; xo < Wo; xo++) {
        const dyo = ((b * Ho + yo) * Wo + xo) * Co;
        for (let kh = 0; kh < KH; kh++) {
          const yi = yo * sh - top + kh;
          if (yi < 0 || yi >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const xi = xo * sw - left + kw;
            if (xi < 0 || xi >= W) continue;
            const xo0 = ((b * H + yi) * W + xi) * C;
            const wo = (kh * KW + kw) * Co;
            // Filter layout [kh, kw, C, mult] flattens to output channel d2 = c * mult + m.
            for (let d2 = 0; d2 < Co; d2++) dw[wo + d2] += xv[xo0 + ((d2 / mult) | 0)] * dyv[dyo + d2];
          }
        }
      }
    }
  }
  return backend.makeOutput(filterShape, "float32", undefined, dw);
};

const depthwiseBackpropInput: KernelFn = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const ci = convInfoFor({ dataId: dy.dataId, shape: inputShape, dtype: "float32" }, filter.shape as [number, number, number, number], attrs, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co, filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const mult = Co / C;
  const dx = new Float32Array(B * H * W * C);
  const fv = backend.typedArrayFromHeap(filter);
  const dyv = backend.typedArrayFromHeap(dy);
  // Scatter form of the cpu kernel's gather: each dy pixel adds w·dy to the inputs it read.
  for (let b = 0; b < B; b++) {
    for (let yo = 0; yo < Ho; yo++) {
      for (let xo = 0; xo < Wo; xo++) {
        const dyo = ((b * Ho + yo) * Wo + xo) * Co;
        for (let kh = 0; kh < KH; kh++) {
          const yi = yo * sh - top + kh;
          if (yi < 0 || yi >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const xi = xo * sw - left + kw;
            if (xi < 0 || xi >= W) continue;
            const xo0 = ((b * H + yi) * W + xi) * C;
            const wo = (kh * KW + kw) * Co;
            for (let d2 = 0; d2 < Co; d2++) dx[xo0 + ((d2 / mult) | 0)] += fv[wo + d2] * dyv[dyo + d2];
          }
        }
      }
    }
  }
  return backend.makeOutput(inputShape, "float32", undefined, dx);
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
    if (!tf.getKernel(name, BACKEND)) tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: fn as unknown as tf.KernelFunc });
  }
  for (const name of Object.keys(WRAPPED)) {
    const k = tf.getKernel(name, BACKEND);
    if (k) stockMatMul.set(name, k);
  }
  setFastMatMul(true);
}
