// Convolution on OpenBLAS for the wasm backend (NHWC, float32): Conv2D forward as
// im2col + sgemm, Conv2DBackpropFilter as im2colᵀ · dy, Conv2DBackpropInput as col2im(dy · Wᵀ).
// im2col/col2im run in C over the wasm heap; the products use sgemm's transposes directly.
// Other layouts and dtypes go to the previous kernel. Registered by native-kernels.ts.
import * as tf from "@tensorflow/tfjs";
import { LapackAddon } from "../linalg/lapack";
import { convInfoFor, wasmKernelTuning } from "./wasm-conv-kernels";
import { KernelFn, WasmBackendLike } from "./wasm-util";

type Info = tf.backend_util.Conv2DInfo;

function geometry(ci: Info): number[] {
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
    ci.dilationHeight,
    ci.dilationWidth,
  ];
}

const heap = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** Images per im2col block, so that one block stays under wasmKernelTuning.im2colFloats. */
function chunkOf(ci: Info): number {
  const rowsPer = ci.outHeight * ci.outWidth * ci.filterHeight * ci.filterWidth * ci.inChannels;
  return Math.max(1, Math.min(ci.batchSize, Math.floor(wasmKernelTuning.im2colFloats / Math.max(1, rowsPer))));
}

const nhwcFloat = (attrs: Record<string, unknown>, ...ts: tf.TensorInfo[]) =>
  ((attrs.dataFormat as string | undefined) ?? "NHWC") === "NHWC" && ts.every((t) => t.dtype === "float32");

export function nativeConv2D(blas: LapackAddon, fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    if (!nhwcFloat(attrs, x, filter)) return fallback(args);
    const ci = convInfoFor(x, filter.shape as [number, number, number, number], attrs, false);
    const g = geometry(ci);
    const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
    const Co = ci.outChannels;
    const P = ci.outHeight * ci.outWidth;
    const out = backend.makeOutput([ci.batchSize, ci.outHeight, ci.outWidth, Co], "float32");
    const chunk = chunkOf(ci);
    const cols = backend.makeOutput([chunk * P, K], "float32");
    for (let b0 = 0; b0 < ci.batchSize; b0 += chunk) {
      const b1 = Math.min(ci.batchSize, b0 + chunk);
      blas.im2col(heap(backend, x), heap(backend, cols), g, b0, b1);
      const n = (b1 - b0) * P;
      blas.sgemm(
        heap(backend, cols),
        heap(backend, filter),
        heap(backend, out).subarray(b0 * P * Co),
        1,
        n,
        K,
        Co,
        false,
        false,
        0,
        0,
      );
    }
    backend.disposeData(cols.dataId);
    return out;
  };
}

export function nativeConvBackpropFilter(blas: LapackAddon, fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const dy = inputs.dy as tf.TensorInfo;
    if (!nhwcFloat(attrs, x, dy)) return fallback(args);
    const filterShape = attrs.filterShape as [number, number, number, number];
    const ci = convInfoFor(x, filterShape, { ...attrs, dilations: attrs.dilations ?? 1 }, false);
    const g = geometry(ci);
    const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
    const Co = ci.outChannels;
    const P = ci.outHeight * ci.outWidth;
    const chunk = chunkOf(ci);
    const out = backend.makeOutput(filterShape, "float32");
    const cols = backend.makeOutput([chunk * P, K], "float32");
    const part = chunk < ci.batchSize ? backend.makeOutput([K, Co], "float32") : null;
    for (let b0 = 0; b0 < ci.batchSize; b0 += chunk) {
      const b1 = Math.min(ci.batchSize, b0 + chunk);
      const n = (b1 - b0) * P;
      blas.im2col(heap(backend, x), heap(backend, cols), g, b0, b1);
      // dW [K, Co] = colsᵀ [K, n] · dy [n, Co]; blocks after the first are summed in.
      const target = b0 === 0 ? out : part!;
      blas.sgemm(
        heap(backend, cols),
        heap(backend, dy).subarray(b0 * P * Co),
        heap(backend, target),
        1,
        K,
        n,
        Co,
        true,
        false,
        0,
        0,
      );
      if (b0 > 0) {
        const o = heap(backend, out);
        const p = heap(backend, part!);
        for (let i = 0; i < o.length; i++) o[i] += p[i];
      }
    }
    backend.disposeData(cols.dataId);
    if (part) backend.disposeData(part.dataId);
    return out;
  };
}

export function nativeConvBackpropInput(blas: LapackAddon, fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    if (!nhwcFloat(attrs, dy, filter)) return fallback(args);
    const inputShape = attrs.inputShape as [number, number, number, number];
    const ci = convInfoFor(
      { dataId: dy.dataId, shape: inputShape, dtype: "float32" },
      filter.shape as [number, number, number, number],
      { ...attrs, dilations: attrs.dilations ?? 1 },
      false,
    );
    const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
    const N = ci.batchSize * ci.outHeight * ci.outWidth;
    // dcols [N, K] = dy [N, Co] · Wᵀ with W viewed as [K, Co]; then the scatter-add.
    const dcols = backend.makeOutput([N, K], "float32");
    blas.sgemm(
      heap(backend, dy),
      heap(backend, filter),
      heap(backend, dcols),
      1,
      N,
      ci.outChannels,
      K,
      false,
      true,
      0,
      0,
    );
    const out = backend.makeOutput(inputShape, "float32");
    blas.col2im(heap(backend, dcols), heap(backend, out), geometry(ci));
    backend.disposeData(dcols.dataId);
    return out;
  };
}
