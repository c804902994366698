// Sequence encoders over continuous inputs [B, L, in] → features [B, L, d], for experiments
// that swap the backbone and keep the heads: a bidirectional pre-norm transformer and the
// S4D stack (causal). The transformer takes each step's features through a linear map and
// adds a learned position embedding (no token lookup: pixels are real values).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";
import { s4dForward, s4dParams, S4DModelShape, ssmParamNames } from "./ssm-layer";
import { layerNorm } from "./transformer";

export interface SequenceEncoder {
  /** Feature width d of encode's output. */
  readonly width: number;
  /** Features per input step. */
  readonly input: number;
  encode(x: tf.Tensor3D): tf.Tensor3D;
  variables(): tf.Variable[];
  /** Variables a smaller learning rate should train (the SSM's Δ and A); may be empty. */
  slowVariables(): tf.Variable[];
  dispose(): void;
}

export interface PixelTransformerShape {
  input: number;
  width: number;
  heads: number;
  layers: number;
  /** Longest sequence (position embeddings). */
  context: number;
}

/** A bidirectional pre-norm transformer encoder (MHA + 4d ReLU MLP per block). */
export class PixelTransformer implements SequenceEncoder {
  readonly params: Record<string, tf.Variable> = {};
  readonly width: number;
  readonly input: number;
  constructor(
    rng: Rng,
    readonly shape: PixelTransformerShape,
  ) {
    for (const k of ["input", "width", "heads", "layers", "context"] as const)
      if (!Number.isInteger(shape?.[k]) || shape[k] < 1)
        fail(`shape.${k}`, `must be a positive integer, got ${String(shape?.[k])}`);
    if (shape.width % shape.heads !== 0) fail("shape.heads", `must divide width ${shape.width}, got ${shape.heads}`);
    const d = (this.width = shape.width);
    this.input = shape.input;
    const v = (name: string, shp: [number, number], std: number) =>
      (this.params[name] = tf.variable(tf.tensor2d(rng.normalArray(shp[0] * shp[1], std), shp)));
    v("in.W", [shape.input, d], 1 / Math.sqrt(shape.input));
    v("pos", [shape.context, d], 0.02);
    for (let l = 0; l < shape.layers; l++) {
      for (const m of ["wq", "wk", "wv", "wo"]) v(`t${l}.${m}`, [d, d], 1 / Math.sqrt(d));
      v(`t${l}.w1`, [d, 4 * d], 1 / Math.sqrt(d));
      v(`t${l}.w2`, [4 * d, d], 1 / Math.sqrt(4 * d));
    }
  }

  encode(x: tf.Tensor3D): tf.Tensor3D {
    const { input, heads, layers, context } = this.shape;
    if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== input)
      fail("x", `must be a [batch, length, ${input}] tensor, got [${x?.shape}]`);
    const [B, T] = x.shape;
    if (T > context) fail("x", `has ${T} steps; the context is ${context}`);
    const d = this.width;
    const dh = d / heads;
    const p = this.params;
    const pos = T === context ? p.pos : tf.slice(p.pos, [0, 0], [T, d]);
    let h = tf.reshape(tf.add(tf.reshape(tf.matMul(tf.reshape(x, [B * T, input]), p["in.W"]), [B, T, d]), pos), [
      B * T,
      d,
    ]) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const z = layerNorm(h) as tf.Tensor2D;
      const split = (m: string) =>
        tf.transpose(tf.reshape(tf.matMul(z, p[`t${l}.${m}`]), [B, T, heads, dh]), [0, 2, 1, 3]);
      const att = tf.softmax(tf.mul(tf.matMul(split("wq"), split("wk"), false, true), 1 / Math.sqrt(dh)));
      const ctx = tf.reshape(tf.transpose(tf.matMul(att, split("wv")), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      h = tf.add(h, tf.matMul(ctx, p[`t${l}.wo`]));
      const u = tf.relu(tf.matMul(layerNorm(h) as tf.Tensor2D, p[`t${l}.w1`])) as tf.Tensor2D;
      h = tf.add(h, tf.matMul(u, p[`t${l}.w2`]));
    }
    return tf.reshape(layerNorm(h), [B, T, d]) as tf.Tensor3D;
  }

  variables(): tf.Variable[] {
    return Object.values(this.params);
  }

  slowVariables(): tf.Variable[] {
    return [];
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
  }
}

/** The S4D stack as a SequenceEncoder (causal: step t sees steps ≤ t). */
export class S4DEncoder implements SequenceEncoder {
  readonly params: Record<string, tf.Variable>;
  readonly width: number;
  readonly input: number;
  constructor(
    rng: Rng,
    readonly shape: S4DModelShape,
  ) {
    this.params = s4dParams(rng, shape);
    this.width = shape.width;
    this.input = shape.input;
  }

  encode(x: tf.Tensor3D): tf.Tensor3D {
    return s4dForward(this.params, x, this.shape);
  }

  variables(): tf.Variable[] {
    return Object.values(this.params);
  }

  slowVariables(): tf.Variable[] {
    const names = new Set(Array.from({ length: this.shape.layers }, (_, l) => ssmParamNames(l)).flat());
    return Object.entries(this.params)
      .filter(([k]) => names.has(k))
      .map(([, v]) => v);
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
  }
}

/**
 * Encoder + mean pooling over time + a linear head. Inputs arrive flattened [B, L] (one value
 * per step); with `maskChannel` a second, all-zero "is masked" feature is appended, so an
 * encoder pretrained by masked denoising sees the same input layout unmasked.
 */
export class SequenceClassifier {
  readonly head: { W: tf.Variable; b: tf.Variable };
  constructor(
    rng: Rng,
    readonly encoder: SequenceEncoder,
    readonly classes: number,
    readonly maskChannel: boolean,
  ) {
    if (!Number.isInteger(classes) || classes < 2) fail("classes", `must be an integer ≥ 2, got ${classes}`);
    if (encoder.input !== (maskChannel ? 2 : 1))
      fail("encoder", `takes ${encoder.input} features per step; expected ${maskChannel ? 2 : 1}`);
    const d = encoder.width;
    this.head = {
      W: tf.variable(tf.tensor2d(rng.normalArray(d * classes, 1 / Math.sqrt(d)), [d, classes])),
      b: tf.variable(tf.zeros([classes])),
    };
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, L] = x.shape;
      const steps = tf.reshape(x, [B, L, 1]);
      const inp = (this.maskChannel ? tf.concat([steps, tf.zeros([B, L, 1])], 2) : steps) as tf.Tensor3D;
      const f = tf.mean(this.encoder.encode(inp), 1) as tf.Tensor2D;
      return tf.add(tf.matMul(f, this.head.W), this.head.b) as tf.Tensor2D;
    });
  }

  variables(): tf.Variable[] {
    return [...this.encoder.variables(), this.head.W, this.head.b];
  }

  /** Disposes the head only (the encoder belongs to the caller). */
  disposeHead(): void {
    tf.dispose([this.head.W, this.head.b]);
  }
}
