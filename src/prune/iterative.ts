// Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020):
// train, prune a fraction of the surviving weights by magnitude, reset the survivors to the
// saved weights (the init, or an early step), and repeat. Training is the caller's (any
// train() call with a MaskedTraining hook), so the schedule and the model stay outside.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { MaskSet } from "./mask";
import { pruneByMagnitude } from "./magnitude";
import { rewindWeights, snapshotWeights } from "./sparse-train";

export interface ImpOptions<T> {
  /** The prunable weights (biases excluded). */
  vars: tf.Variable[];
  /** Prune rounds after the dense run (rounds + 1 trainings in all). */
  rounds: number;
  /** Fraction of the surviving weights pruned per round: one global rate, or one per layer. */
  rate: number | number[];
  /** Values rewound to after each round (default: the variables' values when called = init). */
  rewindTo?: Float32Array[];
  /** Extra variables (e.g. biases) reset to their values at call time each round. */
  resetAlso?: tf.Variable[];
  /** Trains the rewound, masked model; returns what the caller wants kept per round. */
  train: (mask: MaskSet, round: number) => Promise<T>;
}

export interface ImpRound<T> {
  round: number;
  density: number;
  mask: MaskSet;
  result: T;
}

/** Runs IMP: the dense round 0, then `rounds` prune-rewind-train rounds. */
export async function iterativeMagnitudePruning<T>(opts: ImpOptions<T>): Promise<ImpRound<T>[]> {
  if (!Number.isInteger(opts.rounds) || opts.rounds < 0)
    fail("opts.rounds", `must be an integer ≥ 0, got ${opts.rounds}`);
  if (typeof opts.train !== "function") fail("opts.train", "must be a function (mask, round) → Promise");
  const vars = opts.vars;
  const rewindTo = opts.rewindTo ?? snapshotWeights(vars);
  const extra = opts.resetAlso ?? [];
  const extraInit = extra.length ? snapshotWeights(extra) : [];
  let mask = MaskSet.ones(vars.map((v) => [...v.shape]));
  const out: ImpRound<T>[] = [];
  for (let round = 0; round <= opts.rounds; round++) {
    if (round > 0) {
      mask = pruneByMagnitude(snapshotWeights(vars), mask, opts.rate);
      rewindWeights(vars, rewindTo, mask);
      if (extra.length) rewindWeights(extra, extraInit);
    }
    const result = await opts.train(mask, round);
    out.push({ round, density: mask.density(), mask, result });
  }
  return out;
}
