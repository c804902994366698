// The evaluation protocol every comparison follows: hyperparameters chosen on a validation
// split carved from the training data (never on test data), a grid extended when its
// winner sits at an edge, and head-to-head claims decided by the paired difference over
// seeds. The selection is part of the result, so the report can say which grid won.
import { fail } from "../core/validate";
import { Dataset, subset } from "../data/dataset";
import { Rng } from "../core/random";
import { Interval, pairedDifference } from "../metrics/intervals";
import { evidence } from "./checks";
import { Check } from "./types";

/** A seeded split of a training set into train and validation parts (the test set is never touched). */
export function validationSplit(ds: Dataset, fraction: number, seedValue: number): { train: Dataset; val: Dataset } {
  if (!(fraction > 0 && fraction < 1)) fail("fraction", `must lie in (0, 1), got ${fraction}`);
  const nVal = Math.round(ds.n * fraction);
  if (nVal < 1 || nVal >= ds.n) fail("fraction", `leaves an empty part for ${ds.n} examples`);
  const perm = new Rng(seedValue).permutation(ds.n);
  return {
    val: subset(ds, perm.slice(0, nVal), ds.name + ":val"),
    train: subset(ds, perm.slice(nVal), ds.name + ":train"),
  };
}

/** What a grid search chose: every value tried with its validation score, and the winner. */
export interface Selection {
  /** Values tried, in the order tried (extensions appended). */
  tried: number[];
  /** Validation score of each tried value (higher is better). */
  scores: number[];
  best: number;
  /** True when the first grid's winner sat at an edge and the grid was extended. */
  extended: boolean;
}

export interface SelectOptions {
  /** Multiply beyond an edge by this factor when the winner sits there (default 3). */
  factor?: number;
  /** Extensions allowed per side (default 2). */
  maxExtensions?: number;
}

/**
 * Picks the value with the best validation score (higher is better; NaN counts as worst).
 * While the winner is the smallest or largest value tried, one more value beyond that edge
 * (× or ÷ factor) is tried, up to maxExtensions per side.
 */
export async function selectOnValidation(
  grid: number[],
  score: (value: number) => Promise<number> | number,
  opts: SelectOptions = {},
): Promise<Selection> {
  if (!Array.isArray(grid) || grid.length === 0) fail("grid", "must be a non-empty array of positive numbers");
  if (!grid.every((v) => v > 0 && Number.isFinite(v))) fail("grid", "must hold positive finite numbers");
  const factor = opts.factor ?? 3;
  const maxExt = opts.maxExtensions ?? 2;
  if (!(factor > 1)) fail("opts.factor", `must be > 1, got ${factor}`);
  if (!Number.isInteger(maxExt) || maxExt < 0) fail("opts.maxExtensions", `must be an integer ≥ 0, got ${maxExt}`);
  const tried: number[] = [];
  const scores: number[] = [];
  const run = async (v: number) => {
    tried.push(v);
    const s = await score(v);
    scores.push(Number.isFinite(s) ? s : -Infinity);
  };
  for (const v of [...grid].sort((a, b) => a - b)) await run(v);
  const bestIdx = () => scores.reduce((b, s, i) => (s > scores[b] ? i : b), 0);
  let lowExt = 0;
  let highExt = 0;
  let extended = false;
  for (;;) {
    const b = tried[bestIdx()];
    const lo = Math.min(...tried);
    const hi = Math.max(...tried);
    if (b === lo && lowExt < maxExt) {
      lowExt++;
      extended = true;
      await run(lo / factor);
    } else if (b === hi && highExt < maxExt) {
      highExt++;
      extended = true;
      await run(hi * factor);
    } else break;
  }
  return { tried, scores, best: tried[bestIdx()], extended };
}

/**
 * An evidence check that `a` beats `b` (paired by seed): "greater" holds when the 95%
 * interval of mean(a − b) lies above `margin`; "less" when it lies below −margin.
 */
export function pairedCheck(
  claim: string,
  a: number[],
  b: number[],
  direction: "greater" | "less",
  opts: { margin?: number; figure?: string; what?: string } = {},
): Check {
  const margin = opts.margin ?? 0;
  const d: Interval = pairedDifference(a, b);
  const pass = d.n < 2 ? false : direction === "greater" ? d.lo > margin : d.hi < -margin;
  const rule =
    direction === "greater"
      ? `95% interval of the paired difference${opts.what ? ` (${opts.what})` : ""} above ${margin}`
      : `95% interval of the paired difference${opts.what ? ` (${opts.what})` : ""} below ${-margin}`;
  return evidence(claim, d, d.n < 2 ? `${rule} (needs ≥ 2 seeds)` : rule, pass, { figure: opts.figure });
}
