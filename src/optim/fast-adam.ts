// Adam with one fused kernel per variable. tf.train.adam runs ~14 tfjs ops per variable
// per step (each a wasm call plus an allocation); this runs one loop over the backend's
// buffers (a WebAssembly SIMD loop on wasm, float32 like tf.train.adam; a JS loop in
// float64 on cpu). Same update as tf.train.adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-7 by
// default, bias correction 1 − βᵗ).
// Backends without the kernel (e.g. tfjs-node) fall back to the same math in tf ops.
import * as tf from "@tensorflow/tfjs";
import { assertFinite, fail } from "../core/validate";
import { adamSimdFor, WasmMemory } from "../nn/wasm-simd";

export interface FastAdamOptions {
  beta1?: number;
  beta2?: number;
  /** Default: the backend's epsilon (1e-7 on float32 backends), as tf.train.adam. */
  epsilon?: number;
}

const KERNEL = "InitlabAdamUpdate";

interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ for this step. */
  c1: number;
  c2: number;
}

/** The element update into wOut, mOut, vOut (Float32Array-only keeps the loop monomorphic). */
export function adamUpdateValues(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  a: AdamAttrs,
  wOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
): void {
  const { beta1, beta2, epsilon } = a;
  const b1c = 1 - beta1;
  const b2c = 1 - beta2;
  const step = a.lr / a.c1;
  const r2 = 1 / a.c2;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = m[i] * beta1 + gi * b1c;
    const vi = v[i] * beta2 + gi * gi * b2c;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] - (step * mi) / (Math.sqrt(vi * r2) + epsilon);
  }
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array; // float32 inputs only (checked by the caller)
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { asm?: { memory?: WasmMemory } };
}
interface CpuBackend {
  data: { get(id: object): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}
type Args = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: AdamAttrs };

function wasmKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as HeapBackend;
  const { w, m, v, g } = inputs;
  const outs = [b.makeOutput(w.shape, "float32"), b.makeOutput(w.shape, "float32"), b.makeOutput(w.shape, "float32")];
  const n = w.shape.reduce((a, d) => a * d, 1);
  const memory = b.wasm.asm?.memory;
  const simd = memory ? adamSimdFor(memory) : null;
  // The SIMD loop takes whole groups of 4; the JS loop does the rest (or all, without SIMD).
  const n4 = simd ? n - (n % 4) : 0;
  if (simd && n4 > 0) {
    const ptr = (t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
    simd(
      ptr(w),
      ptr(m),
      ptr(v),
      ptr(g),
      ptr(outs[0]),
      ptr(outs[1]),
      ptr(outs[2]),
      n4,
      attrs.beta1,
      1 - attrs.beta1,
      attrs.beta2,
      1 - attrs.beta2,
      attrs.lr / attrs.c1,
      1 / attrs.c2,
      attrs.epsilon,
    );
  }
  if (n4 < n) {
    // Views after all allocations: heap growth detaches earlier views.
    const [wo, mo, vo] = outs.map((t) => b.typedArrayFromHeap(t).subarray(n4));
    const tail = (t: tf.TensorInfo) => b.typedArrayFromHeap(t).subarray(n4);
    adamUpdateValues(tail(w), tail(m), tail(v), tail(g), attrs, wo, mo, vo);
  }
  return outs;
}

function cpuKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const val = (t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
  const n = inputs.w.shape.reduce((a, d) => a * d, 1);
  const [wo, mo, vo] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  adamUpdateValues(val(inputs.w), val(inputs.m), val(inputs.v), val(inputs.g), attrs, wo, mo, vo);
  return [wo, mo, vo].map((x) => b.makeTensorInfo(inputs.w.shape, "float32", x));
}

let kernelsRegistered = false;
function registerKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  for (const [backendName, fn] of [
    ["wasm", wasmKernel],
    ["cpu", cpuKernel],
  ] as const) {
    if (!tf.getKernel(KERNEL, backendName))
      tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc: fn as unknown as tf.KernelFunc });
  }
}

type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
}

/** Adam (Kingma & Ba) as a tf.Optimizer, fused per variable on the wasm and cpu backends. */
export class FastAdam extends tf.Optimizer {
  static get className(): string {
    return "InitlabFastAdam";
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private slots = new Map<string, Slot>();
  private t = 0;

  constructor(learningRate: number, opts: FastAdamOptions = {}) {
    super();
    if (!(learningRate > 0) || !Number.isFinite(learningRate))
      fail("learningRate", `must be a positive finite number, got ${learningRate}`);
    const beta1 = opts.beta1 ?? 0.9;
    const beta2 = opts.beta2 ?? 0.999;
    for (const [k, b] of [
      ["opts.beta1", beta1],
      ["opts.beta2", beta2],
    ] as const) {
      assertFinite(k, [b]);
      if (b < 0 || b >= 1) fail(k, `must be in [0, 1), got ${b}`);
    }
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = opts.epsilon ?? tf.backend().epsilon();
    if (!(this.epsilon >= 0)) fail("opts.epsilon", `must be ≥ 0, got ${this.epsilon}`);
    registerKernels();
  }

  /** Learning rate for the following steps (schedules). */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) fail("lr", `must be a finite number ≥ 0, got ${lr}`);
    this.learningRate = lr;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    this.t += 1;
    const attrs: AdamAttrs = {
      lr: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      c1: 1 - Math.pow(this.beta1, this.t),
      c2: 1 - Math.pow(this.beta2, this.t),
    };
    const fused = tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
    for (const [name, g] of pairs) {
      if (g == null) continue;
      const w = tf.engine().registeredVariables[name];
      if (!w) fail("variableGradients", `no variable named "${name}"`);
      let s = this.slots.get(name);
      if (!s) {
        // Unnamed (auto-unique) slot variables, as tf.train.adam: two optimizers may share a model.
        s = {
          m: tf.tidy(() => tf.variable(tf.zerosLike(w), false)),
          v: tf.tidy(() => tf.variable(tf.zerosLike(w), false)),
        };
        this.slots.set(name, s);
      }
      const slot = s;
      tf.tidy(() => {
        let out: tf.Tensor[];
        if (fused && w.dtype === "float32" && g.dtype === "float32") {
          out = tf
            .engine()
            .runKernel(KERNEL, { w, m: slot.m, v: slot.v, g }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        } else {
          const m = tf.add(tf.mul(slot.m, attrs.beta1), tf.mul(g, 1 - attrs.beta1));
          const v = tf.add(tf.mul(slot.v, attrs.beta2), tf.mul(tf.square(g), 1 - attrs.beta2));
          const step = tf.div(tf.div(m, attrs.c1), tf.add(tf.sqrt(tf.div(v, attrs.c2)), attrs.epsilon));
          out = [tf.sub(w, tf.mul(step, attrs.lr)), m, v];
        }
        w.assign(out[0]);
        slot.m.assign(out[1]);
        slot.v.assign(out[2]);
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const named = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...named.map(([n, s]) => ({ name: `${n}/m`, tensor: s.m })),
      ...named.map(([n, s]) => ({ name: `${n}/v`, tensor: s.v })),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.t = this.iterations;
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
    const half = rest.length / 2;
    for (let i = 0; i < half; i++) {
      const name = rest[i].name.replace(/\/m$/, "");
      this.slots.set(name, { m: tf.variable(rest[i].tensor, false), v: tf.variable(rest[half + i].tensor, false) });
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
