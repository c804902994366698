// CLARA (Kaufman & Rousseeuw): k-medoids on random samples of the points, each sample's medoids
// scored on all n points; the best set wins. For n too large for an O(n²) swap phase.
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { assignFlat, flattenDissimilarity } from "./dissimilarity";
import { KMedoidsMethod, KMedoidsResult, kMedoidsFlat } from "./kmedoids";

export interface ClaraOptions {
  /** Method run on each sample (default "fasterpam"). */
  method?: KMedoidsMethod;
  /** Number of samples (default 5). */
  samples?: number;
  /** Points per sample (default 40 + 2k, capped at n). */
  sampleSize?: number;
  maxIter?: number;
  seed?: number;
}

/**
 * CLARA on an n×n dissimilarity matrix. Each sample after the first keeps the best medoids found
 * so far (as in the original), so the result never gets worse from one sample to the next.
 * `swaps`, `iterations` and `work` add up over the samples; the final assignment reads n·k more entries.
 */
export function clara(dissimilarity: number[][], k: number, opts: ClaraOptions = {}): KMedoidsResult {
  assertKnownOptions("opts", opts, ["method", "samples", "sampleSize", "maxIter", "seed"]);
  const { n, d } = flattenDissimilarity(dissimilarity);
  if (!Number.isInteger(k) || k < 1 || k > n) fail("k", `must be an integer in [1, ${n}], got ${k}`);
  const samples = opts.samples ?? 5;
  if (!Number.isInteger(samples) || samples < 1) fail("opts.samples", `must be a positive integer, got ${samples}`);
  const size = Math.min(n, opts.sampleSize ?? 40 + 2 * k);
  if (!Number.isInteger(size) || size < k) fail("opts.sampleSize", `must be an integer ≥ k = ${k}, got ${size}`);
  const method = opts.method ?? "fasterpam";
  const rng = new Rng(opts.seed ?? 0);
  let best: KMedoidsResult | null = null;
  let swaps = 0;
  let iterations = 0;
  let work = 0;
  for (let s = 0; s < samples; s++) {
    const keep: number[] = best ? (best as KMedoidsResult).medoids : [];
    const pool = rng.permutation(n).filter((i) => !keep.includes(i));
    const idx: number[] = [...keep, ...pool.slice(0, size - keep.length)];
    const m = idx.length;
    const sub = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) sub[a * m + b] = d[idx[a] * n + idx[b]];
    const r = kMedoidsFlat(sub, m, k, { method, init: "build", maxIter: opts.maxIter });
    swaps += r.swaps;
    iterations += r.iterations;
    work += r.work + n * k;
    const medoids: number[] = r.medoids.map((i) => idx[i]);
    const full = assignFlat(d, n, medoids);
    if (!best || full.loss < best.loss)
      best = { medoids, labels: full.labels, loss: full.loss, swaps, iterations, work };
  }
  return { ...(best as KMedoidsResult), swaps, iterations, work };
}
