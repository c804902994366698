// Q-GaLore (Zhang et al., 2024): GaLore with (1) INT4 projectors (asymmetric min–max per
// group of 256, round to nearest), (2) projected weights held in INT8 (group 256) and
// requantized after every update with seeded stochastic rounding, which keeps updates
// smaller than half a quantization step alive in expectation (round to nearest drops
// them), and (3) lazy subspace updates: each refresh pushes |cos| between the new and old
// top singular vector into a queue of 5; when the queue is full and its mean ≥ 0.4 the
// layer's refresh gap doubles. Weights are simulated: the float variable always holds
// dequantized INT8 values. The official similarity is signed; |cos| ignores SVD sign flips.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";
import { GaLoreAdam, GaLoreOptions, ProjectedSlot } from "./galore";

export type Rounding = "nearest" | "stochastic";

/** Group-wise asymmetric integer codes: x ≈ (q − zero[g])·scale[g]. */
export interface Quantized {
  bits: number;
  groupSize: number;
  q: Uint8Array;
  scale: Float32Array;
  zero: Float32Array;
}

/** Quantizes x in groups of `groupSize` to `bits`-bit codes (min–max scale, integer zero point). */
export function quantizeGroups(
  x: ArrayLike<number>,
  bits: number,
  groupSize: number,
  rounding: Rounding = "nearest",
  rng?: Rng,
): Quantized {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) fail("bits", `must be an integer in 1..8, got ${bits}`);
  assertPositiveInt("groupSize", groupSize);
  if (rounding !== "nearest" && rounding !== "stochastic")
    fail("rounding", `must be "nearest" or "stochastic", got ${String(rounding)}`);
  if (rounding === "stochastic" && !rng) fail("rng", "stochastic rounding needs a seeded Rng");
  const n = x.length;
  if (n === 0) fail("x", "is empty");
  const levels = (1 << bits) - 1;
  const groups = Math.ceil(n / groupSize);
  const q = new Uint8Array(n);
  const scale = new Float32Array(groups);
  const zero = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const s = g * groupSize;
    const e = Math.min(n, s + groupSize);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = s; i < e; i++) {
      const v = x[i];
      if (!Number.isFinite(v)) fail("x", `holds a non-finite value at index ${i}`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // A constant group: one step of |min| reproduces it exactly.
    const sc = hi > lo ? (hi - lo) / levels : Math.abs(lo) || 1;
    const z = -Math.round(lo / sc);
    scale[g] = sc;
    zero[g] = z;
    for (let i = s; i < e; i++) {
      const y = x[i] / sc + z;
      let c: number;
      if (rounding === "nearest") c = Math.round(y);
      else {
        const f = Math.floor(y);
        c = f + (rng!.next() < y - f ? 1 : 0);
      }
      q[i] = c < 0 ? 0 : c > levels ? levels : c;
    }
  }
  return { bits, groupSize, q, scale, zero };
}

/** Float values of group-wise codes. */
export function dequantizeGroups(qz: Quantized): Float32Array {
  const out = new Float32Array(qz.q.length);
  for (let i = 0; i < out.length; i++) {
    const g = Math.floor(i / qz.groupSize);
    out[i] = (qz.q[i] - qz.zero[g]) * qz.scale[g];
  }
  return out;
}

/** Storage of group-wise codes: bits/8 per element (packed) plus a float32 scale and zero per group. */
export function quantizedBytes(n: number, bits: number, groupSize: number): number {
  return Math.ceil((n * bits) / 8) + 8 * Math.ceil(n / groupSize);
}

export interface QGaLoreOptions extends GaLoreOptions {
  /** Rounding of the INT8 weights after each update (default "stochastic"). */
  weightRounding?: Rounding;
  /** Store weights in INT8 at all (default true); false keeps float weights. */
  quantizeWeights?: boolean;
  /** Store projectors in INT4 (default true). */
  quantizeProjector?: boolean;
  /** Lazy subspace updates (default true). */
  adaptiveGap?: boolean;
  /** Queue length and mean-|cos| threshold of the lazy rule (defaults 5 and 0.4). */
  queueLength?: number;
  cosThreshold?: number;
  /** Group size of both quantizers (default 256). */
  groupSize?: number;
  /** Seed of the stochastic-rounding generator (default 0). */
  seed?: number;
}

interface LazyState {
  gap: number;
  next: number;
  queue: number[];
}

/** Q-GaLore as a tf.Optimizer: GaLoreAdam with INT4 projectors, INT8 SR weights and lazy refreshes. */
export class QGaLoreAdam extends GaLoreAdam {
  static override get className(): string {
    return "InitlabQGaLoreAdam";
  }
  readonly weightRounding: Rounding;
  readonly quantizeWeights: boolean;
  readonly quantizeProjector: boolean;
  readonly adaptiveGap: boolean;
  readonly queueLength: number;
  readonly cosThreshold: number;
  readonly groupSize: number;
  private rng: Rng;
  private lazy = new Map<string, LazyState>();

  constructor(learningRate: number, opts: QGaLoreOptions) {
    super(learningRate, opts);
    this.weightRounding = opts.weightRounding ?? "stochastic";
    if (this.weightRounding !== "nearest" && this.weightRounding !== "stochastic")
      fail("opts.weightRounding", `must be "nearest" or "stochastic", got ${String(opts.weightRounding)}`);
    this.quantizeWeights = opts.quantizeWeights ?? true;
    this.quantizeProjector = opts.quantizeProjector ?? true;
    this.adaptiveGap = opts.adaptiveGap ?? true;
    this.queueLength = opts.queueLength ?? 5;
    assertPositiveInt("opts.queueLength", this.queueLength);
    this.cosThreshold = opts.cosThreshold ?? 0.4;
    if (!(this.cosThreshold >= 0 && this.cosThreshold <= 1))
      fail("opts.cosThreshold", `must be in [0, 1], got ${opts.cosThreshold}`);
    this.groupSize = opts.groupSize ?? 256;
    assertPositiveInt("opts.groupSize", this.groupSize);
    this.rng = new Rng(opts.seed ?? 0);
  }

  protected override knownOptions(): string[] {
    return [
      ...super.knownOptions(),
      "weightRounding",
      "quantizeWeights",
      "quantizeProjector",
      "adaptiveGap",
      "queueLength",
      "cosThreshold",
      "groupSize",
      "seed",
    ];
  }

  /** The current refresh gap of a projected variable (doubles under the lazy rule). */
  gapOf(name: string): number | null {
    return this.lazy.get(name)?.gap ?? null;
  }

  protected override maybeRefresh(name: string, g: tf.Tensor2D, s: ProjectedSlot): void {
    let lz = this.lazy.get(name);
    if (!lz) {
      lz = { gap: this.updateGap, next: this.t, queue: [] };
      this.lazy.set(name, lz);
    }
    if (s.p && this.t < lz.next) return;
    lz.next = this.t + lz.gap;
    const fresh = this.topVectors(g, s.side!);
    if (!fresh) {
      if (!s.p) fail("gradient", `the SVD of "${name}"'s gradient failed on the first step`);
      return;
    }
    const vals = fresh.dataSync();
    const [rows, r] = fresh.shape;
    if (this.adaptiveGap && s.p) {
      // Top vectors: column 0 of the new and of the stored (old) projector.
      const old = s.p.dataSync();
      let dot = 0;
      let nn = 0;
      let no = 0;
      for (let i = 0; i < rows; i++) {
        dot += vals[i * r] * old[i * r];
        nn += vals[i * r] ** 2;
        no += old[i * r] ** 2;
      }
      dot /= Math.sqrt(nn * no) || 1;
      lz.queue.push(Math.abs(dot));
      if (lz.queue.length > this.queueLength) lz.queue.shift();
      const mean = lz.queue.reduce((a, b) => a + b, 0) / lz.queue.length;
      if (lz.queue.length === this.queueLength && mean >= this.cosThreshold) {
        lz.gap *= 2;
        lz.next = this.t + lz.gap;
        lz.queue = [];
      }
    }
    let p = fresh;
    if (this.quantizeProjector) {
      const deq = dequantizeGroups(quantizeGroups(vals, 4, this.groupSize, "nearest"));
      p = tf.keep(tf.tensor2d(deq, [rows, r]));
      fresh.dispose();
    }
    s.p?.dispose();
    s.p = p;
    s.refreshes++;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((g) => g.name)
      : Object.keys(variableGradients);
    super.applyGradients(variableGradients);
    if (!this.quantizeWeights) return;
    for (const name of names) {
      const s = this.slots.get(name);
      if (!s?.side) continue;
      const w = tf.engine().registeredVariables[name];
      const q = quantizeGroups(w.dataSync(), 8, this.groupSize, this.weightRounding, this.rng);
      w.assign(tf.tensor(dequantizeGroups(q), w.shape));
    }
  }

  /** Float count as GaLore (moments and projector elements) plus the lazy |cos| queues. */
  override stateFloats(): number {
    let s = super.stateFloats();
    for (const lz of this.lazy.values()) s += lz.queue.length;
    return s;
  }

  /** Exact optimizer-state bytes: float32 moments, INT4 projectors (+ group scales), lazy queues. */
  stateBytes(): number {
    let b = 0;
    for (const s of this.slots.values()) {
      b += 4 * (s.m.size + s.v.size);
      if (s.p) b += this.quantizeProjector ? quantizedBytes(s.p.size, 4, this.groupSize) : 4 * s.p.size;
    }
    for (const lz of this.lazy.values()) b += 4 * lz.queue.length;
    return b;
  }

  /** Bytes of the projected weights as stored (INT8 plus group scales), or float32 when not quantized. */
  weightBytes(): number {
    let b = 0;
    for (const [name, s] of this.slots) {
      if (!s.side) continue;
      const n = tf.engine().registeredVariables[name].size;
      b += this.quantizeWeights ? quantizedBytes(n, 8, this.groupSize) : 4 * n;
    }
    return b;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      weightRounding: this.weightRounding,
      quantizeWeights: this.quantizeWeights,
      quantizeProjector: this.quantizeProjector,
      adaptiveGap: this.adaptiveGap,
      groupSize: this.groupSize,
    };
  }
}
