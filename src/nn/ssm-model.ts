// A sequence classifier over the S4D blocks: features [B, L, H] mean-pooled over time and a
// linear head. Inputs arrive flattened ([B, L·input], the Dataset layout) and are reshaped.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";
import { s4dForward, s4dParams, S4DModelShape, ssmParamNames } from "./ssm-layer";

export class S4DClassifier {
  readonly params: Record<string, tf.Variable>;
  constructor(
    rng: Rng,
    readonly shape: S4DModelShape,
    readonly length: number,
    readonly classes: number,
  ) {
    if (!Number.isInteger(length) || length < 1) fail("length", `must be a positive integer, got ${length}`);
    if (!Number.isInteger(classes) || classes < 2) fail("classes", `must be an integer ≥ 2, got ${classes}`);
    this.params = s4dParams(rng, shape);
    const H = shape.width;
    this.params["head.W"] = tf.variable(
      tf.tensor(rng.normalArray(H * classes, 1 / Math.sqrt(H)), [H, classes]),
      true,
      "head.W",
    );
    this.params["head.b"] = tf.variable(tf.zeros([classes]));
  }

  /** Logits [B, classes] for x [B, length·input]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const [B, D] = x.shape;
    if (D !== this.length * this.shape.input)
      fail("x", `has ${D} features; expected length ${this.length} × input ${this.shape.input}`);
    return tf.tidy(() => {
      const f = s4dForward(this.params, tf.reshape(x, [B, this.length, this.shape.input]), this.shape);
      return tf.add(
        tf.matMul(tf.mean(f, 1) as tf.Tensor2D, this.params["head.W"]),
        this.params["head.b"],
      ) as tf.Tensor2D;
    });
  }

  variables(): tf.Variable[] {
    return Object.values(this.params);
  }

  /** Δ and A of every layer (S4D trains them at a smaller learning rate). */
  ssmVariables(): tf.Variable[] {
    const names = new Set(Array.from({ length: this.shape.layers }, (_, l) => ssmParamNames(l)).flat());
    return Object.entries(this.params)
      .filter(([k]) => names.has(k))
      .map(([, v]) => v);
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
  }
}
