// A plain MLP over tf.Variables: weights are [in, out] (tfjs convention; PyTorch stores
// [out, in], so transpose before comparing with torch-layout tools).
import * as tf from "@tensorflow/tfjs";
import { randn, random } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";

export type Activation = "relu" | "tanh" | "linear";
export type InitScheme = "he" | "glorot" | "lecun" | "torch";

export interface MLPConfig {
  /** Layer widths including input and output, e.g. [784, 256, 10]. */
  sizes: number[];
  activation?: Activation;
  bias?: boolean;
  /** he: N(0, 2/in); glorot: U(±√(6/(in+out))); lecun: N(0, 1/in); torch: U(±1/√in). */
  init?: InitScheme;
}

/** Initial weight values [in, out] drawn from the global seeded stream. */
export function initWeight(fanIn: number, fanOut: number, scheme: InitScheme): Float32Array {
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) {
    switch (scheme) {
      case "he":
        out[i] = randn() * Math.sqrt(2 / fanIn);
        break;
      case "lecun":
        out[i] = randn() * Math.sqrt(1 / fanIn);
        break;
      case "glorot": {
        const a = Math.sqrt(6 / (fanIn + fanOut));
        out[i] = (2 * random() - 1) * a;
        break;
      }
      case "torch": {
        const a = 1 / Math.sqrt(fanIn);
        out[i] = (2 * random() - 1) * a;
        break;
      }
      default:
        fail("init", `unknown scheme "${scheme}" (known: he, glorot, lecun, torch)`);
    }
  }
  return out;
}

export class MLP {
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: (tf.Variable<tf.Rank.R1> | null)[] = [];
  readonly config: Required<MLPConfig>;

  constructor(config: MLPConfig) {
    assertKnownOptions("config", config, ["sizes", "activation", "bias", "init"]);
    const { sizes } = config;
    if (!Array.isArray(sizes) || sizes.length < 2) fail("config.sizes", "needs at least input and output widths");
    sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s <= 0) fail("config.sizes", `entry ${i} is ${s}; widths are positive integers`);
    });
    const activation = config.activation ?? "relu";
    if (!["relu", "tanh", "linear"].includes(activation))
      fail("config.activation", `unknown activation "${activation}" (known: relu, tanh, linear)`);
    this.config = { sizes: [...sizes], activation, bias: config.bias ?? true, init: config.init ?? "he" };
    for (let l = 0; l + 1 < sizes.length; l++) {
      const w = initWeight(sizes[l], sizes[l + 1], this.config.init);
      // tf.variable keeps its own copy; tidy frees the initial tensors (no leak per MLP).
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), true)));
      this.biases.push(
        this.config.bias ? tf.tidy(() => tf.variable(tf.zeros([sizes[l + 1]]), true) as tf.Variable<tf.Rank.R1>) : null,
      );
    }
  }

  private act(h: tf.Tensor2D): tf.Tensor2D {
    const a = this.config.activation;
    return a === "relu" ? tf.relu(h) : a === "tanh" ? tf.tanh(h) : h;
  }

  /** Logits for a [batch, in] input. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    this.checkInput(x);
    // Layers after the first use tfjs's fused matMul (+ bias, + relu when no gradient is
    // recorded). Its gradient always computes the input gradient, which the first layer
    // does not need (x is data), so layer 0 stays a plain matMul + add: the tape prunes it.
    // Same function as forwardAll; float32 rounding may differ in the last bit.
    let h = x;
    const L = this.weights.length;
    for (let l = 0; l < L; l++) {
      const hidden = l + 1 < L;
      const bias = this.biases[l] ?? undefined;
      if (l === 0) {
        h = tf.matMul(h, this.weights[0]);
        if (bias) h = tf.add(h, bias) as tf.Tensor2D;
        if (hidden) h = this.act(h);
      } else {
        const relu = hidden && this.config.activation === "relu";
        h = tf.fused.matMul({ a: h, b: this.weights[l], bias, activation: relu ? "relu" : "linear" }) as tf.Tensor2D;
        if (hidden && this.config.activation === "tanh") h = tf.tanh(h) as tf.Tensor2D;
      }
    }
    return h;
  }

  private checkInput(x: tf.Tensor2D): void {
    if (x.rank !== 2 || x.shape[1] !== this.config.sizes[0]) {
      fail("x", `must be [batch, ${this.config.sizes[0]}], got [${x.shape}]`);
    }
  }

  /** Logits plus every layer's input activation (a_0 = x, a_1, ...) and pre-activations. */
  forwardAll(x: tf.Tensor2D): { logits: tf.Tensor2D; inputs: tf.Tensor2D[]; pre: tf.Tensor2D[] } {
    this.checkInput(x);
    const inputs: tf.Tensor2D[] = [];
    const pre: tf.Tensor2D[] = [];
    let h = x;
    const L = this.weights.length;
    for (let l = 0; l < L; l++) {
      inputs.push(h);
      let z: tf.Tensor2D = tf.matMul(h, this.weights[l]);
      const b = this.biases[l];
      if (b) z = tf.add(z, b) as tf.Tensor2D;
      pre.push(z);
      h = l + 1 < L ? this.act(z) : z;
    }
    return { logits: h, inputs, pre };
  }

  variables(): tf.Variable[] {
    return [...this.weights, ...this.biases.filter((b): b is tf.Variable<tf.Rank.R1> => b !== null)];
  }

  /** Copies of the weight matrices as nested arrays ([in, out] each). */
  weightArrays(): number[][][] {
    return this.weights.map((w) => w.arraySync());
  }

  parameterCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
