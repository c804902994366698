// Out-of-distribution objectives for binary classification over environments (IRMv1, vREx,
// group DRO) and the pieces of Rich Feature Construction (Zhang, Lopez-Paz & Bottou, ICML'22):
// discovery groups from right/wrong predictions, and the 50/50 agree/disagree weights of synthesis.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";

function check(z: tf.Tensor, y: tf.Tensor, arg = "y"): void {
  if (z.rank !== 1) fail("z", `must be 1-D logits, got rank ${z.rank}`);
  if (y.rank !== 1 || y.shape[0] !== z.shape[0]) fail(arg, `must be 1-D with ${z.shape[0]} entries, got [${y.shape}]`);
}

/** Mean (or w-weighted mean, w summing to 1) binary cross-entropy of logits z against targets y ∈ [0, 1]. */
export function bceWithLogits(z: tf.Tensor1D, y: tf.Tensor1D, w?: tf.Tensor1D): tf.Scalar {
  check(z, y);
  if (w) check(z, w, "w");
  return tf.tidy(() => {
    // log(1 + e^z) − y·z, computed stably.
    const l = tf.sub(tf.add(tf.relu(z), tf.log1p(tf.exp(tf.neg(tf.abs(z))))), tf.mul(y, z));
    return (w ? tf.sum(tf.mul(l, w)) : tf.mean(l)) as tf.Scalar;
  });
}

/**
 * IRMv1 penalty of one environment: the squared gradient of its BCE with respect to a dummy
 * scale s on the logits at s = 1, in closed form: (mean((σ(z) − y)·z))².
 */
export function irmv1Penalty(z: tf.Tensor1D, y: tf.Tensor1D): tf.Scalar {
  check(z, y);
  return tf.tidy(() => tf.square(tf.mean(tf.mul(tf.sub(tf.sigmoid(z), y), z))) as tf.Scalar);
}

/** vREx penalty: the variance of the environments' risks. */
export function vrexPenalty(risks: tf.Scalar[]): tf.Scalar {
  if (!Array.isArray(risks) || risks.length < 2) fail("risks", "needs at least two environments");
  return tf.tidy(() => tf.moments(tf.stack(risks)).variance as tf.Scalar);
}

/** Group DRO: the largest of the groups' mean BCE (groups given as 0/1 masks, empty groups skipped). */
export function groupDroLoss(z: tf.Tensor1D, y: tf.Tensor1D, masks: Float32Array[]): tf.Scalar {
  check(z, y);
  const n = z.shape[0];
  const used = masks.filter((m) => {
    if (m.length !== n) fail("masks", `every mask needs ${n} entries, got ${m.length}`);
    return m.some((v) => v > 0);
  });
  if (used.length === 0) fail("masks", "every group is empty");
  return tf.tidy(() => {
    const losses = used.map((m) => {
      const s = m.reduce((a, b) => a + b, 0);
      return bceWithLogits(z, y, tf.tensor1d(m.map((v) => v / s)));
    });
    return tf.max(tf.stack(losses)) as tf.Scalar;
  });
}

/**
 * Discovery groups: the cells of the partition by every earlier round's right/wrong pattern
 * (round k's group id is the bit pattern of correctness), as 0/1 masks.
 */
export function correctnessGroups(correct: boolean[][]): Float32Array[] {
  if (!Array.isArray(correct) || correct.length === 0) fail("correct", "needs at least one round");
  const n = correct[0].length;
  correct.forEach((c, r) => {
    if (c.length !== n) fail("correct", `round ${r} has ${c.length} entries; round 0 has ${n}`);
  });
  const cells = new Map<number, Float32Array>();
  for (let i = 0; i < n; i++) {
    let key = 0;
    correct.forEach((c, r) => (key |= (c[i] ? 1 : 0) << r));
    if (!cells.has(key)) cells.set(key, new Float32Array(n));
    cells.get(key)![i] = 1;
  }
  return [...cells.keys()].sort((a, b) => a - b).map((k) => cells.get(k)!);
}

/**
 * Synthesis weights: half the mass on examples where every round agrees about correctness
 * (all right or all wrong), half on the others, uniform within each half (sum 1).
 */
export function agreementWeights(correct: boolean[][]): Float32Array {
  if (!Array.isArray(correct) || correct.length === 0) fail("correct", "needs at least one round");
  const n = correct[0].length;
  const agree = new Float32Array(n);
  for (let i = 0; i < n; i++) agree[i] = correct.every((c) => c[i] === correct[0][i]) ? 1 : 0;
  const na = agree.reduce((a, b) => a + b, 0);
  const nd = n - na;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (agree[i]) w[i] = nd > 0 ? 0.5 / na : 1 / na;
    else w[i] = na > 0 ? 0.5 / nd : 1 / nd;
  }
  return w;
}
