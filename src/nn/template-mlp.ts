// An MLP whose every weight matrix is a linear combination of K learned templates,
// W_l = Σ_k c_lk T_lk (the parameterisation MixtureGrowth trains its small networks with).
// Templates are [in, out] (tfjs layout) like MLP's weights.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";

export interface TemplateMLPConfig {
  /** Layer widths including input and output, e.g. [784, 64, 64, 10]. */
  sizes: number[];
  /** Templates per layer (default 2). */
  templates?: number;
}

export class TemplateMLP {
  /** templates[l][k]: [in, out]. */
  readonly templates: tf.Variable<tf.Rank.R2>[][] = [];
  /** coefficients[l]: [K]. */
  readonly coefficients: tf.Variable<tf.Rank.R1>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  readonly config: Required<TemplateMLPConfig>;

  /**
   * Templates drawn He-style, N(0, 2/in), and each layer's coefficients a random unit
   * vector, so W_l starts with the variance of a He-initialised matrix.
   */
  constructor(config: TemplateMLPConfig, rng: Rng) {
    assertKnownOptions("config", config, ["sizes", "templates"]);
    const { sizes } = config;
    if (!Array.isArray(sizes) || sizes.length < 2) fail("config.sizes", "needs at least input and output widths");
    sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s <= 0) fail("config.sizes", `entry ${i} is ${s}; widths are positive integers`);
    });
    const K = config.templates ?? 2;
    if (!Number.isInteger(K) || K < 1) fail("config.templates", `must be a positive integer, got ${K}`);
    if (!(rng instanceof Rng)) fail("rng", "must be an Rng");
    this.config = { sizes: [...sizes], templates: K };
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fin, fout] = [sizes[l], sizes[l + 1]];
      this.templates.push(
        Array.from({ length: K }, () =>
          tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(fin * fout, Math.sqrt(2 / fin)), [fin, fout]), true)),
        ),
      );
      const c = Array.from({ length: K }, () => rng.normal());
      const norm = Math.hypot(...c);
      this.coefficients.push(tf.variable(tf.tensor1d(c.map((x) => x / norm)), true));
      this.biases.push(tf.variable(tf.zeros([fout]), true) as tf.Variable<tf.Rank.R1>);
    }
  }

  /** W_l = Σ_k c_lk T_lk. */
  weight(l: number): tf.Tensor2D {
    if (!Number.isInteger(l) || l < 0 || l >= this.templates.length)
      fail("l", `must be a layer index in [0, ${this.templates.length}), got ${l}`);
    return tf.tidy(() => {
      const T = tf.stack(this.templates[l]) as tf.Tensor3D; // [K, in, out]
      const c = tf.reshape(this.coefficients[l], [-1, 1, 1]);
      return tf.sum(tf.mul(T, c), 0) as tf.Tensor2D;
    });
  }

  /** Logits for a [batch, in] input (ReLU between layers). */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.sizes[0])
      fail("x", `must be [batch, ${this.config.sizes[0]}], got [${x.shape}]`);
    let h = x;
    const L = this.templates.length;
    for (let l = 0; l < L; l++) {
      h = tf.add(tf.matMul(h, this.weight(l)), this.biases[l]) as tf.Tensor2D;
      if (l + 1 < L) h = tf.relu(h);
    }
    return h;
  }

  variables(): tf.Variable[] {
    return [...this.templates.flat(), ...this.coefficients, ...this.biases];
  }

  parameterCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
