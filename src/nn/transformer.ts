// A tiny pre-norm transformer (token and position embeddings, one causal multi-head
// attention layer, a 4d ReLU MLP) as plain variables and a logits function: the shape the
// training-step benchmark measures and that character-level experiments can reuse.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";

/** Parameters of a one-layer pre-norm transformer (vocab V, width d, context T, 4d MLP), drawn from `rng`. */
export function tinyTransformerParams(rng: Rng, V: number, d: number, T: number): Record<string, tf.Variable> {
  const v = (shape: number[], std: number) =>
    tf.variable(
      tf.tensor(
        rng.normalArray(
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

/** Shape of a multi-layer character transformer (pre-norm, causal, 4d ReLU MLP per block). */
export interface TransformerShape {
  vocab: number;
  width: number;
  context: number;
  layers: number;
  heads: number;
}

/** The weight matrices of block l that adapters may wrap, in the order they are applied. */
export const BLOCK_MATRICES = ["wq", "wk", "wv", "wo", "w1", "w2"] as const;

/** Parameter name of matrix m in block l ("l0.wq", ...). */
export const blockParam = (l: number, m: (typeof BLOCK_MATRICES)[number]): string => `l${l}.${m}`;

function checkShape(s: TransformerShape): void {
  for (const k of ["vocab", "width", "context", "layers", "heads"] as const) {
    if (!Number.isInteger(s?.[k]) || s[k] < 1) fail(`shape.${k}`, `must be a positive integer, got ${String(s?.[k])}`);
  }
  if (s.width % s.heads !== 0) fail("shape.heads", `must divide width ${s.width}, got ${s.heads}`);
}

/**
 * Parameters of an L-block pre-norm transformer: tok [V, d], pos [T, d], per block l the
 * kernels l.wq, l.wk, l.wv, l.wo [d, d], l.w1 [d, 4d], l.w2 [4d, d] (tfjs [in, out] layout,
 * std 1/√in), and the LM head out [d, V]. Block 0 draws exactly tinyTransformerParams' values.
 */
export function transformerParams(rng: Rng, s: TransformerShape): Record<string, tf.Variable> {
  checkShape(s);
  const v = (shape: number[], std: number) => tf.variable(tf.tensor(rng.normalArray(shape[0] * shape[1], std), shape));
  const { vocab: V, width: d, context: T } = s;
  const p: Record<string, tf.Variable> = { tok: v([V, d], 0.02), pos: v([T, d], 0.02) };
  for (let l = 0; l < s.layers; l++) {
    for (const m of ["wq", "wk", "wv", "wo"] as const) p[blockParam(l, m)] = v([d, d], 1 / Math.sqrt(d));
    p[blockParam(l, "w1")] = v([d, 4 * d], 1 / Math.sqrt(d));
    p[blockParam(l, "w2")] = v([4 * d, d], 1 / Math.sqrt(4 * d));
  }
  p.out = v([d, V], 1 / Math.sqrt(d));
  return p;
}

/** x [n, in] times the named kernel; an adapted model replaces this to route through its adapters. */
export type LinearFn = (name: string, x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Next-token logits [B·T, V] of an L-block transformer (T ≤ context). `linear` computes
 * every block matrix product (default: x · p[name]), so adapters can wrap wq…w2.
 */
export function transformerLogits(
  p: Record<string, tf.Variable | tf.Tensor>,
  ids: tf.Tensor2D,
  s: TransformerShape,
  linear?: LinearFn,
): tf.Tensor2D {
  checkShape(s);
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2) fail("ids", "must be a [batch, time] int32 tensor");
  const [B, T] = ids.shape;
  if (T > s.context) fail("ids", `has ${T} positions; the context is ${s.context}`);
  const { width: d, heads } = s;
  const dh = d / heads;
  const mm: LinearFn = linear ?? ((name, x) => tf.matMul(x, p[name] as tf.Tensor2D));
  const pos = T === s.context ? p.pos : tf.slice(p.pos, [0, 0], [T, d]);
  let x = tf.reshape(tf.add(tf.reshape(tf.gather(p.tok, tf.reshape(ids, [-1])), [B, T, d]), pos), [B * T, d]);
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  for (let l = 0; l < s.layers; l++) {
    const h = layerNorm(x) as tf.Tensor2D;
    const split = (m: "wq" | "wk" | "wv") =>
      tf.transpose(tf.reshape(mm(blockParam(l, m), h), [B, T, heads, dh]), [0, 2, 1, 3]);
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(split("wq"), split("wk"), false, true), 1 / Math.sqrt(dh)), mask));
    const ctx = tf.reshape(tf.transpose(tf.matMul(att, split("wv")), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
    x = tf.add(x, mm(blockParam(l, "wo"), ctx));
    const u = tf.relu(mm(blockParam(l, "w1"), layerNorm(x) as tf.Tensor2D)) as tf.Tensor2D;
    x = tf.add(x, mm(blockParam(l, "w2"), u));
  }
  return tf.matMul(layerNorm(x) as tf.Tensor2D, p.out as tf.Tensor2D);
}
