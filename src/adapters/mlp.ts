// An MLP with adapters on chosen layers: the MLP's own kernels become the frozen bases,
// forward uses x·W0 + adapter path for adapted layers (e.g. LoRA: W0 + s·A B), and only
// the adapters' variables (plus, optionally, the last layer as a new head) train.
import * as tf from "@tensorflow/tfjs";
import { crossEntropy } from "../nn/losses";
import { MLP } from "../nn/mlp";
import { assertKnownOptions, fail } from "../core/validate";
import { TrainHook } from "../train/loop";
import { createAdapter } from "./registry";
import { DenseAdapter } from "./types";
import { AdaptedModel, adapterTrainHooks, CalibrationBatch, initAdapters } from "./adapted-model";
import "./all"; // the registry list, so createAdapter(name) works however this module is imported

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

export class AdaptedMLP implements AdaptedModel {
  readonly mlp: MLP;
  /** adapters[l] is the adapter of layer l, or null. */
  readonly adapters: (DenseAdapter | null)[];
  private readonly head: tf.Variable[];

  constructor(mlp: MLP, opts: AdaptMLPOptions) {
    if (!(mlp instanceof MLP)) fail("mlp", "must be an initlab MLP");
    assertKnownOptions("opts", opts, ["method", "config", "layers", "trainHead"]);
    const L = mlp.weights.length;
    const layers = opts.layers ?? Array.from({ length: L - 1 }, (_, i) => i);
    layers.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= L)
        fail("opts.layers", `entry ${i} is ${l}; expected a layer index in [0, ${L})`);
    });
    if (new Set(layers).size !== layers.length) fail("opts.layers", "has duplicates");
    if (opts.trainHead && layers.includes(L - 1))
      fail("opts.trainHead", "the last layer is adapted; it cannot also be trained directly");
    this.mlp = mlp;
    this.adapters = mlp.weights.map((w, l) =>
      layers.includes(l) ? createAdapter(opts.method ?? "lora", w, opts.config) : null,
    );
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

  kernel(l: number): tf.Variable<tf.Rank.R2> {
    const w = this.mlp.weights[l];
    if (!w) fail("l", `is ${l}; the MLP has ${this.mlp.weights.length} layers`);
    return w;
  }

  /** Inputs [batch, in] of the listed layers when the base MLP (W0 everywhere) runs on each batch. */
  layerInputs(batches: CalibrationBatch[], layers: number[]): tf.Tensor2D[][] {
    const out: tf.Tensor2D[][] = layers.map(() => []);
    for (const b of batches) {
      tf.tidy(() => {
        let h: tf.Tensor2D = b.x;
        for (let l = 0; l <= Math.max(...layers); l++) {
          const k = layers.indexOf(l);
          if (k >= 0) out[k].push(tf.keep(h.clone()));
          const z = tf.add(tf.matMul(h, this.mlp.weights[l]), this.mlp.biases[l] ?? 0) as tf.Tensor2D;
          h = this.act(z);
        }
      });
    }
    return out;
  }

  /** Trainable variables: adapter parameters (+ head when trainHead). */
  variables(): tf.Variable[] {
    return [...this.adapters.flatMap((a) => (a ? a.trainableVariables() : [])), ...this.head];
  }

  /**
   * The adapters' contributions to the training loop (train()'s hooks): their regularisers
   * averaged over the adapters that have one, and each adapter's gradient transform (over its
   * own variables) and post-step update, in layer order. Call after any init that replaces
   * adapters.
   */
  trainHooks(): TrainHook[] {
    return adapterTrainHooks(this.adapters);
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

  /**
   * Trainable-parameter summary, as PEFT's print_trainable_parameters: adapter and head
   * parameters, and `all` = every MLP parameter plus the adapters'.
   */
  trainableParameters(): TrainableParameterSummary {
    const adapter = this.adapterParameterCount();
    const head = this.head.reduce((s, v) => s + v.size, 0);
    const all = this.mlp.parameterCount() + adapter;
    const trainable = adapter + head;
    return { adapter, head, trainable, all, percent: (100 * trainable) / all };
  }

  /** "trainable params: 3,584 || all params: 69,066 || trainable%: 5.1893" (PEFT's format). */
  describeTrainableParameters(): string {
    const t = this.trainableParameters();
    return `trainable params: ${t.trainable.toLocaleString("en-US")} || all params: ${t.all.toLocaleString("en-US")} || trainable%: ${t.percent.toFixed(4)}`;
  }

  /**
   * Data-driven init for every adapter with an init() hook (LoRA-GA, LoRA-SB, EVA, ...):
   * runs the BASE model (W0 on every layer, as PEFT's preprocess step before wrapping) on
   * each calibration batch, records each adapted layer's inputs [batch, in] and the
   * cross-entropy gradient w.r.t. its kernel [in, out], and calls adapter.init({inputs,
   * gradients}) once per layer with all batches. Returns wall-clock ms per adapted layer
   * (SVDs and PCA included; the shared forward/backward is split evenly).
   */
  async calibrate(batches: CalibrationBatch[]): Promise<number[]> {
    if (!Array.isArray(batches) || batches.length === 0)
      fail("batches", "must be a non-empty array of {x, y} calibration batches");
    if (this.adapters.some((a) => a?.merged)) fail("calibrate", "adapters are merged; unmerge() first");
    const layers = this.adapters.map((a, l) => (a?.init ? l : -1)).filter((l) => l >= 0);
    if (layers.length === 0) return [];
    const t0 = Date.now();
    const inputs: tf.Tensor2D[][] = layers.map(() => []);
    const grads: tf.Tensor2D[][] = layers.map(() => []);
    const sizes = this.mlp.config.sizes;
    batches.forEach((b, bi) => {
      if (b == null || !(b.x instanceof tf.Tensor) || b.x.rank !== 2 || b.x.shape[1] !== sizes[0])
        fail(`batches[${bi}].x`, `must be a [batch, ${sizes[0]}] tensor`);
      const kernels = layers.map((l) => this.mlp.weights[l]);
      const lossOf = (ks: tf.Tensor[], record: boolean): tf.Scalar => {
        let h: tf.Tensor2D = b.x;
        const L = this.mlp.weights.length;
        for (let l = 0; l < L; l++) {
          const k = layers.indexOf(l);
          if (k >= 0 && record) inputs[k].push(tf.keep(h.clone()));
          let z: tf.Tensor2D = tf.matMul(h, k >= 0 ? (ks[k] as tf.Tensor2D) : this.mlp.weights[l]);
          const bias = this.mlp.biases[l];
          if (bias) z = tf.add(z, bias) as tf.Tensor2D;
          h = l + 1 < L ? this.act(z) : z;
        }
        return crossEntropy(h, b.y);
      };
      tf.tidy(() => {
        lossOf(kernels, true); // records the layer inputs
        const g = tf.grads((...ks: tf.Tensor[]) => lossOf(ks, false))(kernels);
        g.forEach((gk, k) => grads[k].push(tf.keep(gk as tf.Tensor2D)));
      });
    });
    return initAdapters(this.adapters, layers, inputs, grads, t0);
  }

  /** Folds every adapter into its layer's kernel, frees the adapters and returns the MLP (PEFT's merge_and_unload). */
  mergeAndUnload(): MLP {
    this.merge();
    return this.release();
  }

  /** Restores the original kernels, frees the adapters and returns the MLP (PEFT's unload). */
  unload(): MLP {
    this.unmerge();
    return this.release();
  }

  private release(): MLP {
    this.adapters.forEach((a, l) => {
      a?.dispose();
      this.adapters[l] = null;
    });
    return this.mlp;
  }
}

export type { CalibrationBatch } from "./adapted-model";

export interface TrainableParameterSummary {
  /** Adapter parameters (the budget the benchmark matches). */
  adapter: number;
  /** Directly trained head parameters (trainHead). */
  head: number;
  /** adapter + head. */
  trainable: number;
  /** Every MLP parameter plus the adapters'. */
  all: number;
  /** 100 · trainable / all. */
  percent: number;
}

/** A PEFT-style config for wrapModel: rank, scaling, target layers and init in one place. */
export interface PeftConfig {
  /** Registered adapter name (default "lora"). */
  method?: string;
  /** Rank r (for SVFit: the number of trained singular values). */
  r: number;
  /** Scaling numerator α, passed to the method only when given. */
  alpha?: number;
  /** Method init name (e.g. "gaussian" for LoRA, "pissa_niter_4" for PiSSA), passed only when given. */
  init?: string;
  /** Layer indices to adapt, or "all-linear" (every layer but the output head, as PEFT). Default "all-linear". */
  targetLayers?: number[] | "all-linear";
  /** Also train the output layer directly as a task head (default false). */
  trainHead?: boolean;
  /** Any other method-specific keys (seed, eta1, variant, ...), merged into the method config. */
  options?: Record<string, unknown>;
}

/**
 * PEFT-style entry point (get_peft_model): wraps an MLP with `config.method` adapters on
 * the target layers. The MLP's kernels stay the frozen bases; use the result's
 * variables(), describeTrainableParameters(), calibrate() for data-driven inits, and
 * mergeAndUnload() / unload() to get a plain MLP back.
 */
export function wrapModel(mlp: MLP, config: PeftConfig): AdaptedMLP {
  if (config == null || typeof config !== "object")
    fail("config", "must be an object {r, alpha?, method?, init?, targetLayers?, trainHead?, options?}");
  assertKnownOptions("config", config, ["method", "r", "alpha", "init", "targetLayers", "trainHead", "options"]);
  const t = config.targetLayers ?? "all-linear";
  if (t !== "all-linear" && !Array.isArray(t))
    fail("config.targetLayers", `must be an array of layer indices or "all-linear", got ${JSON.stringify(t)}`);
  if (config.options != null && (typeof config.options !== "object" || Array.isArray(config.options)))
    fail("config.options", "must be an object of method-specific keys");
  const methodConfig: Record<string, unknown> = { r: config.r, ...(config.options ?? {}) };
  if (config.alpha !== undefined) methodConfig.alpha = config.alpha;
  if (config.init !== undefined) methodConfig.init = config.init;
  return new AdaptedMLP(mlp, {
    method: config.method ?? "lora",
    config: methodConfig,
    layers: t === "all-linear" ? undefined : t,
    trainHead: config.trainHead ?? false,
  });
}
