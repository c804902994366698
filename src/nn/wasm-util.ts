// Shared plumbing for initlab's wasm kernels: the backend surface they use, kernel types,
// and small helpers that call stock wasm kernels directly.
import * as tf from "@tensorflow/tfjs";
import { WasmMemory } from "./wasm-simd";

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackendLike {
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number; shape: number[]; dtype: tf.DataType } | undefined;
  };
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  wasm: { asm?: { memory?: WasmMemory } };
}

export type Attrs = Record<string, unknown>;
export type Inputs = Record<string, tf.TensorInfo | null | undefined>;
export type KernelFn = (args: {
  inputs: Inputs;
  backend: WasmBackendLike;
  attrs: Attrs;
}) => tf.TensorInfo | tf.TensorInfo[];

export const BACKEND = "wasm";

export function kernelFn(name: string): KernelFn {
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel ${name} is not registered (import @tensorflow/tfjs-backend-wasm first)`);
  return k.kernelFunc as unknown as KernelFn;
}

export function asInfo(x: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  return Array.isArray(x) ? x[0] : x;
}

/** Swaps the last two axes with the wasm Transpose kernel (a new buffer). */
export function transposeLast2(x: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return asInfo(kernelFn("Transpose")({ inputs: { x }, backend, attrs: { perm } }));
}

/** A reshaped view sharing x's buffer (the caller must not dispose it separately). */
export function view(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
