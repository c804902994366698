// A small hypernetwork with LoGAH's low-rank decoder: a layer description (fan-in, fan-out,
// position) → an MLP embedding → a 2r×r matrix → ReLU → Linear(r → ck) → reshaped to
// 2ck×r and split into A and Bᵀ (ck×r each) → W[out, in] = A[:out]·B[:, :in]. One decoder
// serves every layer shape up to ck×ck, and its size grows with ck·r, not with ck².
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";

/** What the hypernetwork sees of a layer. */
export interface LayerDescription {
  fanIn: number;
  fanOut: number;
  /** 0-based position among the network's weight layers. */
  index: number;
  /** Number of weight layers in the network. */
  layers: number;
}

export const LAYER_FEATURES = 6;

/** Features of a layer: log₂ sizes (scaled), relative position, first/last flags, a constant. */
export function layerFeatures(d: LayerDescription): number[] {
  for (const k of ["fanIn", "fanOut", "layers"] as const)
    if (!Number.isInteger(d?.[k]) || d[k] < 1) fail(`layer.${k}`, `must be a positive integer, got ${d?.[k]}`);
  if (!Number.isInteger(d.index) || d.index < 0 || d.index >= d.layers)
    fail("layer.index", `must lie in [0, ${d.layers}), got ${d.index}`);
  return [
    Math.log2(d.fanIn) / 10,
    Math.log2(d.fanOut) / 10,
    d.layers > 1 ? d.index / (d.layers - 1) : 0,
    d.index === 0 ? 1 : 0,
    d.index === d.layers - 1 ? 1 : 0,
    1,
  ];
}

export interface HypernetConfig {
  /** Rank r of the decoder (and of every predicted matrix). */
  rank: number;
  /** Largest fan-in or fan-out it can predict (ck). */
  maxDim: number;
  /** Width of the embedding MLP. */
  hidden: number;
}

export class LowRankHypernet {
  readonly config: HypernetConfig;
  readonly e1: tf.Variable<tf.Rank.R2>;
  readonly c1: tf.Variable<tf.Rank.R1>;
  readonly e2: tf.Variable<tf.Rank.R2>;
  readonly c2: tf.Variable<tf.Rank.R1>;
  readonly dec: tf.Variable<tf.Rank.R2>;
  readonly decB: tf.Variable<tf.Rank.R1>;

  constructor(config: HypernetConfig, rng: Rng) {
    assertKnownOptions("config", config, ["rank", "maxDim", "hidden"]);
    for (const k of ["rank", "maxDim", "hidden"] as const)
      if (!Number.isInteger(config?.[k]) || config[k] < 1) fail(`config.${k}`, `must be a positive integer`);
    if (!(rng instanceof Rng)) fail("rng", "must be an Rng");
    this.config = { ...config };
    const { rank: r, maxDim: ck, hidden: H } = config;
    const m = (a: number, b: number, std: number) =>
      tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(a * b, std), [a, b]), true));
    const z = (n: number) => tf.variable(tf.zeros([n]), true) as tf.Variable<tf.Rank.R1>;
    this.e1 = m(LAYER_FEATURES, H, Math.sqrt(2 / LAYER_FEATURES));
    this.c1 = z(H);
    this.e2 = m(H, 2 * r * r, Math.sqrt(2 / H));
    this.c2 = z(2 * r * r);
    this.dec = m(r, ck, Math.sqrt(1 / r));
    this.decB = z(ck);
  }

  /**
   * Predicted weight [fanIn, fanOut] (tfjs layout) of a layer, rescaled to the He root-mean-
   * square √(2/fanIn): the decoder sets the directions, the scale stays that of a
   * well-initialised layer (a normalisation, as GHNs use, that keeps any prediction trainable).
   */
  predict(layer: LayerDescription): tf.Tensor2D {
    const f = layerFeatures(layer);
    const { rank: r, maxDim: ck } = this.config;
    if (layer.fanIn > ck || layer.fanOut > ck)
      fail("layer", `is ${layer.fanIn}×${layer.fanOut}; this hypernetwork predicts up to ${ck}×${ck}`);
    return tf.tidy(() => {
      const h = tf.relu(tf.add(tf.matMul(tf.tensor2d([f]), this.e1), this.c1));
      const E = tf.reshape(tf.add(tf.matMul(h, this.e2), this.c2), [2 * r, r]);
      const M = tf.reshape(tf.add(tf.matMul(tf.relu(E), this.dec), this.decB), [2 * ck, r]);
      const A = tf.slice(M, [0, 0], [layer.fanOut, r]); // rows of W (outputs)
      const Bt = tf.slice(M, [ck, 0], [layer.fanIn, r]); // columns of W (inputs)
      const W = tf.matMul(Bt, A, false, true) as tf.Tensor2D; // [in, out] = (A·B)ᵀ
      // Divide by the root-mean-square (not the std: subtracting the mean would add a rank).
      const rms = tf.sqrt(tf.add(tf.mean(tf.square(W)), 1e-12));
      return tf.mul(tf.div(W, rms), Math.sqrt(2 / layer.fanIn)) as tf.Tensor2D;
    });
  }

  /** Predicted weights of an MLP with these sizes ([in, out] per layer). */
  predictMLP(sizes: number[]): tf.Tensor2D[] {
    if (!Array.isArray(sizes) || sizes.length < 2) fail("sizes", "needs at least input and output widths");
    const L = sizes.length - 1;
    return sizes.slice(1).map((out, l) => this.predict({ fanIn: sizes[l], fanOut: out, index: l, layers: L }));
  }

  variables(): tf.Variable[] {
    return [this.e1, this.c1, this.e2, this.c2, this.dec, this.decB];
  }

  parameterCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
