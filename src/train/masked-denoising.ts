// Self-pretraining by masked denoising (Amos, Berant, Gupta 2024): each step of the task's own
// training inputs is hidden with probability `rate`, the encoder sees [value or 0, is-masked]
// per step (so a mask differs from a black pixel), and a linear head predicts the hidden
// values; the loss is the mean L1 error over masked steps only. The head is thrown away
// afterwards and fine-tuning starts with a new one.
import * as tf from "@tensorflow/tfjs";
import { ProgressEvent } from "../core/types";
import { Rng } from "../core/random";
import { assertInRange, assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { Dataset } from "../data/dataset";
import { SequenceEncoder } from "../nn/seq-encoder";
import { train, TrainResult } from "./loop";

export interface MaskedBatch {
  /** [B, L, 2]: the value (0 where masked) and the mask indicator. */
  input: tf.Tensor3D;
  /** [B, L] the clean values. */
  target: tf.Tensor2D;
  /** [B, L] 1 where masked. */
  mask: tf.Tensor2D;
}

/** Masks each of B·L values independently with probability `rate` (draws from `rng`). */
export function maskSequences(x: Float32Array, B: number, L: number, rate: number, rng: Rng): MaskedBatch {
  assertPositiveInt("B", B);
  assertPositiveInt("L", L);
  if (x.length !== B * L) fail("x", `has ${x.length} values; B·L = ${B * L}`);
  assertInRange("rate", rate, 0, 1);
  const inp = new Float32Array(B * L * 2);
  const mask = new Float32Array(B * L);
  for (let i = 0; i < B * L; i++) {
    const m = rng.next() < rate ? 1 : 0;
    mask[i] = m;
    inp[2 * i] = m ? 0 : x[i];
    inp[2 * i + 1] = m;
  }
  return {
    input: tf.tensor3d(inp, [B, L, 2]),
    target: tf.tensor2d(x, [B, L]),
    mask: tf.tensor2d(mask, [B, L]),
  };
}

/** Σ |pred − target|·mask / max(1, Σ mask): mean L1 over masked positions. */
export function maskedL1(pred: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  if (pred.shape.join() !== target.shape.join() || mask.shape.join() !== target.shape.join())
    fail("pred", `shapes differ: pred [${pred.shape}], target [${target.shape}], mask [${mask.shape}]`);
  return tf.tidy(
    () => tf.div(tf.sum(tf.mul(tf.abs(tf.sub(pred, target)), mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar,
  );
}

export interface SelfPretrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  /** Fraction of steps hidden (0.5 for images in the paper). */
  rate: number;
  seed: number;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

/**
 * Pretrains `encoder` (2 input features) by masked denoising on the inputs of `data`
 * (labels unused) through the library loop. The encoder's slow variables train at min(lr, 1e-3).
 */
export async function selfPretrain(
  encoder: SequenceEncoder,
  data: Dataset,
  opts: SelfPretrainOptions,
): Promise<TrainResult> {
  assertKnownOptions("opts", opts, ["steps", "batchSize", "lr", "rate", "seed", "onProgress", "label"]);
  if (encoder.input !== 2) fail("encoder", `must take 2 features per step (value, is-masked), takes ${encoder.input}`);
  if (!(opts.rate > 0 && opts.rate < 1)) fail("opts.rate", `must lie in (0, 1), got ${opts.rate}`);
  const L = data.dim;
  const rng = new Rng(opts.seed + 7919);
  const W = tf.variable(
    tf.tensor2d(rng.normalArray(encoder.width, 1 / Math.sqrt(encoder.width)), [encoder.width, 1]),
    true,
    "rec.W",
  );
  const b = tf.variable(tf.zeros([1]));
  const slow = new Set(encoder.slowVariables());
  const fast = [...encoder.variables().filter((v) => !slow.has(v)), W, b];
  try {
    return await train(
      { variables: () => [...encoder.variables(), W, b] },
      {
        n: data.n,
        make(idx, r) {
          if (!idx) return fail("idx", "masked denoising draws index batches");
          const x = new Float32Array(idx.length * L);
          idx.forEach((i, k) => x.set(data.x.subarray(i * L, (i + 1) * L), k * L));
          return maskSequences(x, idx.length, L, opts.rate, r);
        },
      },
      {
        steps: opts.steps,
        batchSize: opts.batchSize,
        seed: opts.seed,
        groups: [
          { variables: fast, lr: opts.lr },
          ...(slow.size ? [{ variables: [...slow], lr: Math.min(opts.lr, 1e-3) }] : []),
        ],
        objective: (batch: MaskedBatch) => {
          const [B] = batch.target.shape;
          const f = encoder.encode(batch.input);
          const pred = tf.reshape(tf.add(tf.matMul(tf.reshape(f, [B * L, encoder.width]), W), b), [
            B,
            L,
          ]) as tf.Tensor2D;
          return maskedL1(pred, batch.target, batch.mask);
        },
        logEvery: Math.max(1, Math.floor(opts.steps / 10)),
        label: opts.label ?? "self-pretraining",
        onProgress: opts.onProgress,
      },
    );
  } finally {
    tf.dispose([W, b]);
  }
}
