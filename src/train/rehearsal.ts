// Online rehearsal for hierarchical label expansion (after Lee et al., ICCV 2023; their code is not
// public, so this is a "lite" re-implementation): a single pass over a stream whose labels expand
// from coarse (parent) to fine (child), one gradient step per incoming batch plus a batch replayed
// from a bounded memory. "er" is reservoir experience replay; "pl-fms" adds hierarchy-aware
// pseudo-labels (a parent-only sample gets the child its parent's seen children make most likely)
// and class-balanced memory (evict from the largest class, replay classes uniformly).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";
import { ProgressEvent } from "../core/types";
import { MLP } from "../nn/mlp";
import { BatchSource, train } from "./loop";

export type RehearsalMethod = "er" | "pl-fms";

/** One stream item: a row of `x` with its parent label and its child label (−1 when only the parent is given). */
export interface StreamItem {
  row: number;
  parent: number;
  child: number;
}

export interface RehearsalOptions {
  method: RehearsalMethod;
  /** child → parent. */
  parentOf: number[];
  hidden: number[];
  memory: number;
  batchSize: number;
  lr: number;
  seed: number;
  onProgress?: (p: ProgressEvent) => void;
  label?: string;
}

export interface HierModel {
  /** Parent and child predictions for rows of x (n×dim). */
  predict(x: Float32Array, n: number): { parent: number[]; child: number[] };
  dispose(): void;
}

interface Slot extends StreamItem {
  seenAt: number;
}

/** Trains on the stream in order (one pass); returns the final model. */
export async function trainRehearsal(
  x: Float32Array,
  dim: number,
  stream: StreamItem[],
  opts: RehearsalOptions,
): Promise<HierModel> {
  if (opts.method !== "er" && opts.method !== "pl-fms")
    fail("opts.method", `must be "er" or "pl-fms", got ${JSON.stringify(opts.method)}`);
  const children = opts.parentOf.length;
  const parents = Math.max(...opts.parentOf) + 1;
  const trunk = new MLP({ sizes: [dim, ...opts.hidden], activation: "relu", init: "he" });
  const width = opts.hidden[opts.hidden.length - 1];
  const headP = new MLP({ sizes: [width, parents], activation: "linear", init: "glorot" });
  const headC = new MLP({ sizes: [width, children], activation: "linear", init: "glorot" });
  const feats = (t: tf.Tensor2D) => tf.relu(trunk.forward(t)) as tf.Tensor2D;
  const rng = new Rng(opts.seed + 99);
  const mem: Slot[] = [];
  const seenChild = new Set<number>();
  let seen = 0;
  let pos = 0;
  const B = opts.batchSize;
  const steps = Math.ceil(stream.length / B);
  const key = (s: Slot) => (s.child >= 0 ? `c${s.child}` : `p${s.parent}`);
  const insert = (it: StreamItem) => {
    seen++;
    const slot = { ...it, seenAt: seen };
    if (mem.length < opts.memory) mem.push(slot);
    else if (opts.method === "er") {
      const j = rng.int(seen);
      if (j < opts.memory) mem[j] = slot;
    } else {
      // Class-balanced: evict a random member of the largest class (the new item's class counts too).
      const counts = new Map<string, number[]>();
      mem.forEach((s, i) => counts.set(key(s), [...(counts.get(key(s)) ?? []), i]));
      let big: number[] = [];
      for (const v of counts.values()) if (v.length > big.length) big = v;
      const mine = counts.get(key(slot))?.length ?? 0;
      if (mine + 1 > big.length) return;
      mem[big[rng.int(big.length)]] = slot;
    }
  };
  const replay = (): Slot[] => {
    if (mem.length === 0) return [];
    const k = Math.min(B, mem.length);
    if (opts.method === "er")
      return rng
        .permutation(mem.length)
        .slice(0, k)
        .map((i) => mem[i]);
    const groups = new Map<string, Slot[]>();
    for (const s of mem) groups.set(key(s), [...(groups.get(key(s)) ?? []), s]);
    const g = [...groups.values()];
    return Array.from({ length: k }, () => {
      const grp = g[rng.int(g.length)];
      return grp[rng.int(grp.length)];
    });
  };
  // Children of each parent that the stream has labelled so far (pseudo-labels pick among them).
  const allowedMask = (parent: number) => opts.parentOf.map((p, c) => (p === parent && seenChild.has(c) ? 0 : -1e9));
  const source: BatchSource<{ x: tf.Tensor2D; p: tf.Tensor2D; c: tf.Tensor2D; cm: tf.Tensor1D }> = {
    make: () => {
      const incoming = stream.slice(pos, pos + B);
      pos += B;
      for (const it of incoming) if (it.child >= 0) seenChild.add(it.child);
      const old = replay();
      for (const it of incoming) insert(it);
      const items: StreamItem[] = [...incoming, ...old];
      const rows = new Float32Array(items.length * dim);
      items.forEach((it, r) => rows.set(x.subarray(it.row * dim, (it.row + 1) * dim), r * dim));
      const xb = tf.tensor2d(rows, [items.length, dim]);
      const childLabel = items.map((it) => it.child);
      if (opts.method === "pl-fms") {
        const need = items.map((it, r) =>
          it.child < 0 && opts.parentOf.some((p, c) => p === it.parent && seenChild.has(c)) ? r : -1,
        );
        const idx = need.filter((r) => r >= 0);
        if (idx.length) {
          const logits = tf
            .tidy(() => headC.forward(feats(tf.gather(xb, idx) as tf.Tensor2D)))
            .arraySync() as number[][];
          idx.forEach((r, j) => {
            const mask = allowedMask(items[r].parent);
            let best = -1;
            let bv = -Infinity;
            logits[j].forEach((v, c) => {
              if (mask[c] === 0 && v > bv) {
                bv = v;
                best = c;
              }
            });
            childLabel[r] = best;
          });
        }
      }
      const pOne = tf
        .oneHot(
          tf.tensor1d(
            items.map((it) => it.parent),
            "int32",
          ),
          parents,
        )
        .toFloat() as tf.Tensor2D;
      const cOne = tf
        .oneHot(
          tf.tensor1d(
            childLabel.map((c) => Math.max(c, 0)),
            "int32",
          ),
          children,
        )
        .toFloat() as tf.Tensor2D;
      const cm = tf.tensor1d(childLabel.map((c) => (c >= 0 ? 1 : 0)));
      return { x: xb, p: pOne, c: cOne, cm };
    },
  };
  await train({ variables: () => [...trunk.variables(), ...headP.variables(), ...headC.variables()] }, source, {
    steps,
    batchSize: B,
    seed: opts.seed,
    lr: opts.lr,
    objective: (b) => {
      const h = feats(b.x);
      const lp = tf.losses.softmaxCrossEntropy(b.p, headP.forward(h));
      const per = tf.losses.softmaxCrossEntropy(b.c, headC.forward(h), undefined, tf.Reduction.NONE);
      const lc = tf.div(tf.sum(tf.mul(per, b.cm)), tf.maximum(tf.sum(b.cm), 1));
      return tf.add(lp, lc) as tf.Scalar;
    },
    onProgress: opts.onProgress,
    label: opts.label,
  });
  const argmax = (t: tf.Tensor2D) => Array.from(tf.argMax(t, 1).dataSync());
  return {
    predict: (xs, n) =>
      tf.tidy(() => {
        const h = feats(tf.tensor2d(xs, [n, dim]));
        return { parent: argmax(headP.forward(h)), child: argmax(headC.forward(h)) };
      }),
    dispose: () => {
      trunk.dispose();
      headP.dispose();
      headC.dispose();
    },
  };
}
