// A transformer (nn/transformer's parameters) with adapters on chosen block matrices (by
// default every attention and MLP matrix: wq, wk, wv, wo, w1, w2 of every block). The
// matrices stay frozen as the adapters' bases; embeddings, layer norms and the LM head are
// not adapted. Matrix l of the adapted model is `names[l]` (e.g. "l0.wq").
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, fail } from "../core/validate";
import { crossEntropy } from "../nn/losses";
import { BLOCK_MATRICES, blockParam, transformerLogits, TransformerShape } from "../nn/transformer";
import { TrainHook } from "../train/loop";
import { AdaptedModel, adapterTrainHooks, CalibrationBatch, initAdapters } from "./adapted-model";
import { createAdapter } from "./registry";
import { DenseAdapter } from "./types";
import "./all";

export interface AdaptTransformerOptions {
  method: string;
  config: object;
  /** Matrix names to adapt (default: every block's wq, wk, wv, wo, w1, w2). */
  matrices?: string[];
}

/** Every block matrix of a transformer shape, block by block. */
export function blockMatrixNames(shape: TransformerShape): string[] {
  return Array.from({ length: shape.layers }, (_, l) => BLOCK_MATRICES.map((m) => blockParam(l, m))).flat();
}

export class AdaptedTransformer implements AdaptedModel {
  readonly params: Record<string, tf.Variable>;
  readonly shape: TransformerShape;
  /** Adapted matrix names; adapters[l] wraps params[names[l]]. */
  readonly names: string[];
  readonly adapters: (DenseAdapter | null)[];

  constructor(params: Record<string, tf.Variable>, shape: TransformerShape, opts: AdaptTransformerOptions) {
    assertKnownOptions("opts", opts, ["method", "config", "matrices"]);
    const names = opts.matrices ?? blockMatrixNames(shape);
    const known = blockMatrixNames(shape);
    names.forEach((n, i) => {
      if (!known.includes(n)) fail("opts.matrices", `entry ${i} is "${n}"; known: ${known.join(", ")}`);
      if (!(params[n] instanceof tf.Variable)) fail("params", `has no variable "${n}"`);
    });
    if (new Set(names).size !== names.length) fail("opts.matrices", "has duplicates");
    this.params = params;
    this.shape = shape;
    this.names = names;
    this.adapters = names.map((n) => createAdapter(opts.method, params[n] as tf.Variable<tf.Rank.R2>, opts.config));
  }

  kernel(l: number): tf.Variable<tf.Rank.R2> {
    if (!Number.isInteger(l) || l < 0 || l >= this.names.length)
      fail("l", `is ${l}; the model adapts ${this.names.length} matrices`);
    return this.params[this.names[l]] as tf.Variable<tf.Rank.R2>;
  }

  /** Next-token logits [B·T, V] with every adapted matrix routed through its adapter. */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      transformerLogits(this.params, ids, this.shape, (name, x) => {
        const a = this.adapters[this.names.indexOf(name)];
        return a ? a.forward(x) : tf.matMul(x, this.params[name] as tf.Tensor2D);
      }),
    );
  }

  /** Base-model logits with the listed matrices replaced by `ks` and their inputs passed to `record`. */
  private baseLogits(
    ids: tf.Tensor2D,
    layers: number[],
    ks: tf.Tensor[] | null,
    record?: (k: number, x: tf.Tensor2D) => void,
  ): tf.Tensor2D {
    return transformerLogits(this.params, ids, this.shape, (name, x) => {
      const k = layers.findIndex((l) => this.names[l] === name);
      if (k >= 0) record?.(k, x);
      return tf.matMul(x, k >= 0 && ks ? (ks[k] as tf.Tensor2D) : (this.params[name] as tf.Tensor2D));
    });
  }

  layerInputs(batches: CalibrationBatch[], layers: number[]): tf.Tensor2D[][] {
    const out: tf.Tensor2D[][] = layers.map(() => []);
    for (const b of batches)
      tf.tidy(() => void this.baseLogits(b.x, layers, null, (k, x) => out[k].push(tf.keep(x.clone()))));
    return out;
  }

  /** Runs each adapter's init() with the base model's inputs and next-token loss gradients of its matrix. */
  async calibrate(batches: CalibrationBatch[]): Promise<number[]> {
    if (!Array.isArray(batches) || batches.length === 0)
      fail("batches", "must be a non-empty array of {x: ids, y: next ids} calibration batches");
    if (this.adapters.some((a) => a?.merged)) fail("calibrate", "adapters are merged; unmerge() first");
    const layers = this.adapters.map((a, l) => (a?.init ? l : -1)).filter((l) => l >= 0);
    if (!layers.length) return [];
    const t0 = Date.now();
    const inputs = this.layerInputs(batches, layers);
    const grads: tf.Tensor2D[][] = layers.map(() => []);
    for (const b of batches) {
      tf.tidy(() => {
        const g = tf.grads((...ks: tf.Tensor[]) => crossEntropy(this.baseLogits(b.x, layers, ks), b.y))(
          layers.map((l) => this.kernel(l)),
        );
        g.forEach((gk, k) => grads[k].push(tf.keep(gk as tf.Tensor2D)));
      });
    }
    return initAdapters(this.adapters, layers, inputs, grads, t0);
  }

  /** Adapter variables only (embeddings, norms and LM head stay frozen). */
  variables(): tf.Variable[] {
    return this.adapters.flatMap((a) => (a ? a.trainableVariables() : []));
  }

  trainHooks(): TrainHook[] {
    return adapterTrainHooks(this.adapters);
  }

  adapterParameterCount(): number {
    return this.adapters.reduce((s, a) => s + (a ? a.parameterCount() : 0), 0);
  }

  merge(): void {
    for (const a of this.adapters) a?.merge();
  }

  unmerge(): void {
    for (const a of this.adapters) a?.unmerge();
  }

  /** Frees the adapters (the parameters stay usable). */
  dispose(): void {
    for (const a of this.adapters) a?.dispose();
  }
}
