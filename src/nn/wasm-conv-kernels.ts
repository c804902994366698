// Convolution gradients for the tfjs wasm backend, in JS over its heap plus its matmul:
// Conv2DBackpropFilter (missing from tfjs-wasm), Conv2DBackpropInput (the stock kernel is
// a direct loop), DepthwiseConv2dNative backprops (missing). NHWC only.
import * as tf from "@tensorflow/tfjs";
import { asInfo, Attrs, KernelFn, kernelFn, transposeLast2, view } from "./wasm-util";

// ---- Conv2DBackpropFilter: dW = im2col(x)ᵀ · dy, the product on the wasm matmul ----------

export function convInfoFor(
  x: tf.TensorInfo,
  filterShape: [number, number, number, number],
  attrs: Attrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC")
    throw new Error(`initlab wasm conv gradient: dataFormat ${dataFormat} is not supported (use NHWC)`);
  const dil = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number] | number,
    dil,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    depthwise,
    "channelsLast",
  );
}

/** Rows [b0, b1) of im2col(x): one row per output pixel, (kh, kw, ci) per column. */
function im2colRows(
  xv: Float32Array,
  ci: tf.backend_util.Conv2DInfo,
  b0: number,
  b1: number,
  cols: Float32Array,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: sh,
    strideWidth: sw,
  } = ci;
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

export const conv2DBackpropFilter: KernelFn = ({ inputs, backend, attrs }) => {
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
    im2colRows(
      backend.typedArrayFromHeap(x) as Float32Array,
      ci,
      b0,
      b1,
      backend.typedArrayFromHeap(cols) as Float32Array,
    );
    if (dyPart)
      (backend.typedArrayFromHeap(dyPart) as Float32Array).set(
        (backend.typedArrayFromHeap(dy) as Float32Array).subarray(b0 * P * Co, b1 * P * Co),
      );
    // [n, Co]ᵀ · [n, K] = [Co, K]; the small result is transposed back to [K, Co].
    const dyT = transposeLast2(view(dyPart ?? dy, [n, Co]), backend);
    const prod = asInfo(
      matMul({ inputs: { a: dyT, b: cols }, backend, attrs: { transposeA: false, transposeB: false } }),
    );
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

// ---- Conv2DBackpropInput: dx = col2im(dy · Wᵀ) --------------------------------------------
// The stock wasm kernel is a direct loop (no XNNPACK); this does the product on the wasm
// matmul and the scatter-add in JS. Dilated or NCHW cases use the stock kernel.

export function fastConvBackpropInput(original: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const inputShape = attrs.inputShape as [number, number, number, number];
    const fmt = (attrs.dataFormat as string | undefined) ?? "NHWC";
    if (fmt !== "NHWC" || dy.dtype !== "float32" || filter.dtype !== "float32")
      return original({ inputs, backend, attrs });
    const ci = convInfoFor(
      { dataId: dy.dataId, shape: inputShape, dtype: "float32" },
      filter.shape as [number, number, number, number],
      { ...attrs, dilations: 1 },
      false,
    );
    const {
      batchSize: B,
      inHeight: H,
      inWidth: W,
      inChannels: C,
      outHeight: Ho,
      outWidth: Wo,
      outChannels: Co,
      filterHeight: KH,
      filterWidth: KW,
      strideHeight: sh,
      strideWidth: sw,
    } = ci;
    const { top, left } = ci.padInfo;
    const K = KH * KW * C;
    const N = B * Ho * Wo;
    const matMul = kernelFn("BatchMatMul");
    // dcols [N, K] = dy [N, Co] · Wᵀ, with W viewed as [K, Co] (a small transpose).
    const wT = transposeLast2(view(filter, [K, Co]), backend);
    const dcols = asInfo(
      matMul({ inputs: { a: view(dy, [N, Co]), b: wT }, backend, attrs: { transposeA: false, transposeB: false } }),
    );
    backend.disposeData(wT.dataId);
    const out = backend.makeOutput(inputShape, "float32");
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    const dc = backend.typedArrayFromHeap(dcols) as Float32Array;
    dx.fill(0);
    let row = 0;
    for (let b = 0; b < B; b++) {
      for (let yo = 0; yo < Ho; yo++) {
        for (let xo = 0; xo < Wo; xo++, row++) {
          let o = row * K;
          for (let kh = 0; kh < KH; kh++) {
            const yi = yo * sh - top + kh;
            for (let kw = 0; kw < KW; kw++, o += C) {
              const xi = xo * sw - left + kw;
              if (yi < 0 || yi >= H || xi < 0 || xi >= W) continue;
              const d = ((b * H + yi) * W + xi) * C;
              for (let c = 0; c < C; c++) dx[d + c] += dc[o + c];
            }
          }
        }
      }
    }
    backend.disposeData(dcols.dataId);
    return out;
  };
}

// ---- Depthwise conv gradients (direct loops; depthwise layers are cheap) -----------------

export const depthwiseBackpropFilter: KernelFn = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const ci = convInfoFor(x, filterShape, attrs, true);
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    outChannels: Co,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: sh,
    strideWidth: sw,
  } = ci;
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

export const depthwiseBackpropInput: KernelFn = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const ci = convInfoFor(
    { dataId: dy.dataId, shape: inputShape, dtype: "float32" },
    filter.shape as [number, number, number, number],
    attrs,
    true,
  );
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    outChannels: Co,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: sh,
    strideWidth: sw,
  } = ci;
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
