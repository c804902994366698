// Native kernels for the tfjs wasm backend: BatchMatMul, _FusedMatMul and the Conv2D passes
// (native-conv.ts) computed by
// OpenBLAS sgemm through initlab's N-API addon (src/linalg/native), reading and writing the
// wasm heap in place. Every dense layer, its gradients (matMul with transposes), attention's
// batched products and the conv gradients (im2col + BatchMatMul, wasm-conv-kernels.ts) land
// here. Shapes the native path does not cover (partial batch broadcasting, int32, other bias shapes)
// go to the kernel registered before (initlab's wasm kernels, then tfjs's own).
//
// Switches: INITLAB_KERNELS=wasm keeps the wasm kernels; without the addon nothing changes.
// INITLAB_BLAS_THREADS sets OpenBLAS's threads (default 1, see defaultThreads).
import * as tf from "@tensorflow/tfjs";
import { lapack, LapackAddon } from "../linalg/lapack";
import { nativeConv2D, nativeConvBackpropFilter, nativeConvBackpropInput } from "./native-conv";
import { BACKEND, KernelFn, WasmBackendLike } from "./wasm-util";

/** Which matmul kernels the wasm backend runs: OpenBLAS ("native") or its own ("wasm"). */
export type KernelPath = "native" | "wasm";

const previous = new Map<string, tf.KernelConfig>();
let active = false;
let reason = "not registered (the wasm backend is not in use)";

function f32(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

const size = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** Batch layout of op(a)·op(b) when sgemm can run it: strides 0 broadcast one matrix. */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean) {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const k2 = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== k2 || m === 0 || n === 0 || k === 0) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const ba = size(outerA);
  const bb = size(outerB);
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  // Equal batches (up to leading 1s) or one matrix broadcast; partial broadcasting falls back.
  if (ba !== 1 && bb !== 1 && !(ba === bb && ba === size(outer))) return null;
  const batch = size(outer);
  return { m, k, n, batch, outer, strideA: ba === 1 ? 0 : m * k, strideB: bb === 1 ? 0 : k * n };
}

/** Time and FLOPs spent in sgemm by these kernels while timing is on (the benchmark's split of a step). */
const stats = { on: false, calls: 0, ms: 0, flops: 0 };

/** Starts (and zeroes) or stops the sgemm time/FLOP counters. */
export function setKernelTiming(on: boolean): void {
  stats.on = on;
  if (on) Object.assign(stats, { calls: 0, ms: 0, flops: 0 });
}

/** sgemm calls, milliseconds and FLOPs counted since setKernelTiming(true). */
export function kernelTiming(): { calls: number; ms: number; flops: number } {
  return { calls: stats.calls, ms: stats.ms, flops: stats.flops };
}

function product(
  blas: LapackAddon,
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: Record<string, unknown>,
) {
  const ta = !!attrs.transposeA;
  const tb = !!attrs.transposeB;
  const p = plan(a, b, ta, tb);
  if (!p) return null;
  const out = backend.makeOutput([...p.outer, p.m, p.n], "float32");
  // Views are taken after the allocation: growing the heap detaches older views.
  const t0 = stats.on ? performance.now() : 0;
  blas.sgemm(f32(backend, a), f32(backend, b), f32(backend, out), p.batch, p.m, p.k, p.n, ta, tb, p.strideA, p.strideB);
  if (stats.on) {
    stats.calls++;
    stats.ms += performance.now() - t0;
    stats.flops += 2 * p.batch * p.m * p.k * p.n;
  }
  return { out, n: p.n };
}

function nativeBatchMatMul(blas: LapackAddon, fallback: KernelFn): KernelFn {
  return (args) => {
    const r = product(blas, args.backend, args.inputs.a as tf.TensorInfo, args.inputs.b as tf.TensorInfo, args.attrs);
    return r ? r.out : fallback(args);
  };
}

/** Element-wise activations of _FusedMatMul (tfjs's fused set; PReLU, with its slopes, apart). */
const ACTIVATIONS: Record<string, ((x: number, alpha: number) => number) | null> = {
  linear: null,
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => (x > 0 ? (x < 6 ? x : 6) : 0),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  leakyrelu: (x, alpha) => (x >= 0 ? x : alpha * x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

/** Size-1 or last-axis-n vectors (bias, PReLU slopes) broadcast over an m×n output; else null. */
function rowVector(t: tf.TensorInfo | null | undefined, n: number): "none" | "scalar" | "row" | null {
  if (!t) return "none";
  if (t.dtype !== "float32") return null;
  const len = size(t.shape);
  if (len === 1) return "scalar";
  return len === n && t.shape[t.shape.length - 1] === n ? "row" : null;
}

function nativeFusedMatMul(blas: LapackAddon, fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const activation = (attrs.activation as string | undefined) ?? "linear";
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const bias = inputs.bias as tf.TensorInfo | null | undefined;
    const slopes = inputs.preluActivationWeights as tf.TensorInfo | null | undefined;
    const p = plan(a, b, !!attrs.transposeA, !!attrs.transposeB);
    if (!p || !(activation in ACTIVATIONS || activation === "prelu")) return fallback(args);
    const biasKind = rowVector(bias, p.n);
    const slopeKind = activation === "prelu" ? rowVector(slopes, p.n) : "none";
    if (biasKind === null || slopeKind === null || (activation === "prelu" && slopeKind === "none"))
      return fallback(args);
    const r = product(blas, backend, a, b, attrs)!;
    const o = f32(backend, r.out);
    const n = r.n;
    if (bias) {
      const bv = f32(backend, bias);
      if (biasKind === "scalar") for (let i = 0; i < o.length; i++) o[i] += bv[0];
      else for (let i = 0; i < o.length; i += n) for (let j = 0; j < n; j++) o[i + j] += bv[j];
    }
    if (activation === "prelu") {
      const sv = f32(backend, slopes!);
      for (let i = 0; i < o.length; i += n)
        for (let j = 0; j < n; j++) if (o[i + j] < 0) o[i + j] *= sv[slopeKind === "scalar" ? 0 : j];
    } else {
      const act = ACTIVATIONS[activation];
      const alpha = (attrs.leakyreluAlpha as number | undefined) ?? 0.2;
      if (act) for (let i = 0; i < o.length; i++) o[i] = act(o[i], alpha);
    }
    return r.out;
  };
}

/** The kernels replaced, each wrapping the one registered before it (its fallback). */
const NATIVE: Record<string, (blas: LapackAddon, fallback: KernelFn) => KernelFn> = {
  BatchMatMul: nativeBatchMatMul,
  _FusedMatMul: nativeFusedMatMul,
  Conv2D: nativeConv2D,
  Conv2DBackpropFilter: nativeConvBackpropFilter,
  Conv2DBackpropInput: nativeConvBackpropInput,
};

// One BLAS thread per computation unless INITLAB_BLAS_THREADS says otherwise: OpenBLAS's
// results depend on its thread count (measured: a 300×500×200 product differs in most
// elements between 1 and 2 threads), so a fixed default keeps every run identical whether it
// runs in a notebook, in the repro runner's worker threads or sequentially, on any number of
// cores. The cores are used by running seeds and grid points in parallel (runParallel).
function defaultThreads(): number {
  const env = process.env.INITLAB_BLAS_THREADS;
  if (env === undefined || env === "") return 1;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`INITLAB_BLAS_THREADS: must be a positive integer, got "${env}"`);
  return n;
}

/**
 * Puts OpenBLAS under the wasm backend's matmuls (once, after the wasm kernels). Does nothing
 * when INITLAB_KERNELS=wasm, the addon is missing, or the wasm backend is not loaded.
 */
export function registerNativeKernels(): void {
  if (previous.size > 0) return;
  const k = process.env.INITLAB_KERNELS;
  if (k !== undefined && k !== "" && k !== "native" && k !== "wasm")
    throw new Error(`INITLAB_KERNELS: unknown kernels "${k}" (known: native, wasm)`);
  if (k === "wasm") {
    reason = "off (INITLAB_KERNELS=wasm)";
    return;
  }
  const blas = lapack();
  if (!blas || typeof blas.sgemm !== "function") {
    reason = "off (the native addon is not built: scripts/build-native.sh)";
    return;
  }
  if (!tf.getKernel("BatchMatMul", BACKEND)) return;
  blas.blasThreads(defaultThreads());
  for (const name of Object.keys(NATIVE)) {
    const k = tf.getKernel(name, BACKEND);
    if (k) previous.set(name, k);
  }
  setKernelPath("native");
}

/** Switches between the native and the wasm matmul kernels (e.g. to measure both in one run). */
export function setKernelPath(path: KernelPath): void {
  if (path !== "native" && path !== "wasm") throw new Error(`path: must be "native" or "wasm", got ${String(path)}`);
  if (previous.size === 0) {
    if (path === "native") throw new Error(`path: native kernels are unavailable: ${reason}`);
    return;
  }
  if ((path === "native") === active) return;
  const blas = lapack()!;
  for (const [name, cfg] of previous) {
    const fallback = cfg.kernelFunc as unknown as KernelFn;
    const fn = NATIVE[name](blas, fallback);
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(path === "native" ? { ...cfg, kernelFunc: fn as unknown as tf.KernelFunc } : cfg);
  }
  active = path === "native";
}

/** The matmul kernels in use: "native" (OpenBLAS) or "wasm". */
export function kernelPath(): KernelPath {
  return active ? "native" : "wasm";
}

/** The compute path in one token, for setup lines, results and cache keys: "native/1t" or "wasm". */
export function kernelTag(): string {
  return active ? `native/${lapack()!.blasThreads()}t` : "wasm";
}

/**
 * kernelTag() once the backend is set up; before that, the tag the environment will give
 * (INITLAB_KERNELS, INITLAB_BACKEND, the addon, INITLAB_BLAS_THREADS), so that cache and sweep
 * keys computed before the backend starts agree with those computed after.
 */
export function plannedKernelTag(): string {
  if (previous.size > 0) return kernelTag();
  const b = process.env.INITLAB_BACKEND;
  const blas = lapack();
  if (process.env.INITLAB_KERNELS === "wasm" || (b && b !== "wasm") || !blas || typeof blas.sgemm !== "function")
    return "wasm";
  return `native/${defaultThreads()}t`;
}

/** One line for people: which kernels, and OpenBLAS's threads. */
export function kernelDescription(): string {
  if (!active) return `wasm kernels${previous.size === 0 ? ` (native ${reason})` : ""}`;
  const t = lapack()!.blasThreads();
  return `native OpenBLAS sgemm kernels, ${t} BLAS thread${t === 1 ? "" : "s"}`;
}

/** Sets OpenBLAS's thread count (process-wide) and returns the previous one; null without the addon. */
export function setBlasThreads(n: number): number | null {
  if (!Number.isInteger(n) || n < 1) throw new Error(`n: must be a positive integer, got ${n}`);
  const blas = lapack();
  if (!blas || typeof blas.blasThreads !== "function") return null;
  const before = blas.blasThreads();
  blas.blasThreads(n);
  return before;
}
