// An MLP with adapters on chosen layers: the MLP's own kernels become the frozen bases,
// forward uses x·W0 + adapter path for adapted layers (e.g. LoRA: W0 + s·A B), and only
// the adapters' variables (plus, optionally, the last layer as a new head) train.
import * as tf from "@tensorflow/tfjs";
import { MLP } from "../nn/mlp";
import { assertKnownOptions, fail } from "../validate";
import { createAdapter } from "./registry";
import { DenseAdapter } from "./types";
import "./lora"; // registers "lora"

export interface AdaptMLPOptions {
  /** Registered adapter name (default "lora"). */
  method?: string;
  /** Method config, e.g. {r: 8, alpha: 16} for LoRA. */
  config: object;
  /** Layer indices to adapt (default: every layer but the last). */
  layers?: number[];
  /** Also train the last layer's kernel and bias directly (a task head; default false). */
  trainHead?: boolean;
}

export class AdaptedMLP {
  readonly mlp: MLP;
  /** adapters[l] is the adapter of layer l, or null. */
  readonly adapters: (DenseAdapter | null)[];
  private readonly head: tf.Variable[];

  constructor(mlp: MLP, opts: AdaptMLPOptions) {
    if (!(mlp instanceof MLP)) fail("mlp", "must be an initlab MLP");
    assertKnownOptions("opts", opts, ["method", "config", "layers", "trainHead"]);
    const L = mlp.weights.length;
    const layers = opts.layers ?? Array.from({ length: L - 1 }, (_, i) => i);
    layers.forEach((l, i) => { if (!Number.isInteger(l) || l < 0 || l >= L) fail("opts.layers", `entry ${i} is ${l}; expected a layer index in [0, ${L})`); });
    if (new Set(layers).size !== layers.length) fail("opts.layers", "has duplicates");
    if (opts.trainHead && layers.includes(L - 1)) fail("opts.trainHead", "the last layer is adapted; it cannot also be trained directly");
    this.mlp = mlp;
    this.adapters = mlp.weights.map((w, l) => (layers.includes(l) ? createAdapter(opts.method ?? "lora", w, opts.config) : null));
    const hb = mlp.biases[L - 1];
    this.head = opts.trainHead ? [mlp.weights[L - 1], ...(hb ? [hb] : [])] : [];
  }

  private act(h: tf.Tensor2D): tf.Tensor2D {
    const a = this.mlp.config.activation;
    return a === "relu" ? tf.relu(h) : a === "tanh" ? tf.tanh(h) : h;
  }

  /** Logits for x [batch, in]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const sizes = this.mlp.config.sizes;
    if (x.rank !== 2 || x.shape[1] !== sizes[0]) fail("x", `must be [batch, ${sizes[0]}], got [${x.shape}]`);
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      const L = this.mlp.weights.length;
      for (let l = 0; l < L; l++) {
        const ad = this.adapters[l];
        let z: tf.Tensor2D = ad ? ad.forward(h) : tf.matMul(h, this.mlp.weights[l]);
        const b = this.mlp.biases[l];
        if (b) z = tf.add(z, b) as tf.Tensor2D;
        h = l + 1 < L ? this.act(z) : z;
      }
      return h;
    });
  }

  /** Trainable variables: adapter parameters (+ head when trainHead). */
  variables(): tf.Variable[] {
    return [...this.adapters.flatMap((a) => (a ? a.trainableVariables() : [])), ...this.head];
  }

  adapterParameterCount(): number {
    return this.adapters.reduce((s, a) => s + (a ? a.parameterCount() : 0), 0);
  }

  /** Effective kernels [in, out] per layer (W0 + ΔW where adapted), as nested arrays. */
  effectiveWeightArrays(): number[][][] {
    return this.mlp.weights.map((w, l) => {
      const a = this.adapters[l];
      if (!a) return w.arraySync();
      const e = a.effectiveWeight();
      const out = e.arraySync();
      e.dispose();
      return out;
    });
  }

  merge(): void {
    for (const a of this.adapters) a?.merge();
  }

  unmerge(): void {
    for (const a of this.adapters) a?.unmerge();
  }

  /** Frees the adapters (the MLP stays usable). */
  dispose(): void {
    for (const a of this.adapters) a?.dispose();
  }
}
