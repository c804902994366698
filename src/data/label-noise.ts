// Label noise as in Data Diet (data_diet/data.py): the labels of a random subset are
// permuted among themselves, so the class histogram is unchanged. An example is "noisy"
// only if its label actually changed (a permutation can map a label onto itself).
import { Rng } from "../core/random";
import { assertInRange, assertLabels, fail } from "../core/validate";

export interface LabelNoise {
  labels: Int32Array;
  /** True where the label differs from the original. */
  noisy: boolean[];
}

/** Permutes the labels of round(fraction·n) seeded random examples. */
export function addLabelNoise(labels: ArrayLike<number>, fraction: number, numClasses: number, seedValue: number): LabelNoise {
  if (!Number.isInteger(numClasses) || numClasses < 2) fail("numClasses", `must be an integer ≥ 2, got ${numClasses}`);
  assertLabels("labels", labels, numClasses);
  if (labels.length === 0) fail("labels", "is empty");
  assertInRange("fraction", fraction, 0, 1);
  if (!Number.isFinite(seedValue)) fail("seed", `must be a finite number, got ${seedValue}`);
  const rng = new Rng(seedValue);
  const n = labels.length;
  const chosen = rng.permutation(n).slice(0, Math.round(fraction * n));
  const perm = rng.permutation(chosen.length);
  const out = Int32Array.from(labels);
  chosen.forEach((i, k) => { out[i] = labels[chosen[perm[k]]]; });
  return { labels: out, noisy: Array.from(out, (y, i) => y !== labels[i]) };
}
