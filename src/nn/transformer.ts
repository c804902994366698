// A tiny pre-norm transformer (token and position embeddings, one causal multi-head
// attention layer, a 4d ReLU MLP) as plain variables and a logits function: the shape the
// training-step benchmark measures and that character-level experiments can reuse.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";

function gaussian(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/** Parameters of a one-layer pre-norm transformer (vocab V, width d, context T, 4d MLP), drawn from `rng`. */
export function tinyTransformerParams(rng: Rng, V: number, d: number, T: number): Record<string, tf.Variable> {
  const v = (shape: number[], std: number) =>
    tf.variable(
      tf.tensor(
        gaussian(
          rng,
          shape.reduce((a, b) => a * b, 1),
          std,
        ),
        shape,
      ),
    );
  const s = 1 / Math.sqrt(d);
  return {
    tok: v([V, d], 0.02),
    pos: v([T, d], 0.02),
    wq: v([d, d], s),
    wk: v([d, d], s),
    wv: v([d, d], s),
    wo: v([d, d], s),
    w1: v([d, 4 * d], s),
    w2: v([4 * d, d], 1 / Math.sqrt(4 * d)),
    out: v([d, V], s),
  };
}

export function layerNorm(x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
}

/** Next-token logits [B·T, V] of the tiny transformer (causal multi-head attention). */
export function tinyTransformerLogits(p: Record<string, tf.Variable>, ids: tf.Tensor2D, heads: number): tf.Tensor2D {
  const [B, T] = ids.shape;
  const [V, d] = p.tok.shape;
  const dh = d / heads;
  const x0 = tf.add(tf.reshape(tf.gather(p.tok, tf.reshape(ids, [-1])), [B, T, d]), p.pos);
  const h = tf.reshape(layerNorm(x0), [B * T, d]);
  const split = (w: tf.Tensor) =>
    tf.transpose(tf.reshape(tf.matMul(h, w as tf.Tensor2D), [B, T, heads, dh]), [0, 2, 1, 3]);
  const q = split(p.wq);
  const k = split(p.wk);
  const v = split(p.wv);
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask));
  const ctx = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]);
  const x1 = tf.add(tf.reshape(x0, [B * T, d]), tf.matMul(ctx, p.wo));
  const m = tf.matMul(tf.relu(tf.matMul(layerNorm(x1) as tf.Tensor2D, p.w1)), p.w2);
  const x2 = tf.add(x1, m) as tf.Tensor2D;
  return tf.matMul(layerNorm(x2) as tf.Tensor2D, p.out).reshape([B * T, V]);
}
