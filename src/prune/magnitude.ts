// Magnitude pruning: remove the smallest |w|, globally (one threshold over all layers) or per
// layer (each layer loses its own fraction), optionally only among the weights a previous
// mask kept — the step iterative magnitude pruning repeats. Ties break by position (the
// earlier index is pruned first), so masks are deterministic.
import { assertKnownOptions, fail } from "../core/validate";
import { LayerMask, MaskSet } from "./mask";

export type PruneScope = "global" | "layer";

export interface MagnitudeMaskOptions {
  scope: PruneScope;
}

function assertFraction(arg: string, v: number): void {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) fail(arg, `must lie in [0, 1], got ${v}`);
}

/** Indices of `idx` sorted by ascending score (stable: equal scores keep index order). */
function ascending(idx: number[], score: (i: number) => number): number[] {
  return idx.sort((a, b) => score(a) - score(b) || a - b);
}

/**
 * 0/1 masks of the same shapes as `weights` that prune the `sparsity` fraction with the
 * smallest |w|: round(sparsity · n) entries of every layer ("layer"), or of all layers pooled
 * ("global").
 */
export function magnitudeMask(weights: number[][][], sparsity: number, opts: MagnitudeMaskOptions): number[][][] {
  assertKnownOptions("opts", opts, ["scope"]);
  if (!Array.isArray(weights) || weights.length === 0) fail("weights", "must be a non-empty array of matrices");
  const flat = weights.map((w, l) => {
    if (!Array.isArray(w) || w.length === 0 || !Array.isArray(w[0]) || w[0].length === 0)
      fail(`weights[${l}]`, "must be a non-empty 2-D array");
    const cols = w[0].length;
    const out = new Float32Array(w.length * cols);
    w.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols)
        fail(`weights[${l}]`, `row ${i} has ${row?.length} entries; expected ${cols}`);
      row.forEach((v, j) => {
        if (typeof v !== "number" || !Number.isFinite(v))
          fail(`weights[${l}]`, `entry [${i}][${j}] is ${String(v)}; expected a finite number`);
        out[i * cols + j] = v;
      });
    });
    return out;
  });
  const shapes = weights.map((w) => [w.length, w[0].length]);
  const scope = opts?.scope;
  if (scope !== "global" && scope !== "layer") fail("opts.scope", `must be "global" or "layer", got ${String(scope)}`);
  assertFraction("sparsity", sparsity);
  const rates = scope === "layer" ? weights.map(() => sparsity) : sparsity;
  return pruneByMagnitude(flat, MaskSet.ones(shapes), rates).toArrays();
}

/**
 * A new mask that additionally prunes, among the entries `mask` keeps, the fraction `rate`
 * with the smallest |w| (rounded to whole weights). A number prunes globally over all layers;
 * an array gives each layer its own rate (Frankle & Carbin: 20% hidden, 10% output).
 */
export function pruneByMagnitude(weights: Float32Array[], mask: MaskSet, rate: number | number[]): MaskSet {
  if (!(mask instanceof MaskSet)) fail("mask", "must be a MaskSet");
  mask.checkFlat("weights", weights);
  weights.forEach((w, l) => {
    for (let i = 0; i < w.length; i++)
      if (!Number.isFinite(w[i])) fail(`weights[${l}]`, `entry ${i} is ${w[i]}; expected a finite number`);
  });
  const out = mask.clone();
  if (Array.isArray(rate)) {
    if (rate.length !== weights.length)
      fail("rate", `has ${rate.length} entries; expected one per layer (${weights.length})`);
    rate.forEach((r, l) => {
      assertFraction(`rate[${l}]`, r);
      const alive = [...out.layers[l].data.keys()].filter((i) => out.layers[l].data[i]);
      const k = Math.round(r * alive.length);
      for (const i of ascending(alive, (j) => Math.abs(weights[l][j])).slice(0, k)) out.layers[l].data[i] = 0;
    });
    return out;
  }
  assertFraction("rate", rate);
  // Global: pool (layer, index) pairs of alive entries and prune the k smallest |w| overall.
  const offs: number[] = [];
  let total = 0;
  for (const m of out.layers) {
    offs.push(total);
    total += m.data.length;
  }
  const alive: number[] = [];
  out.layers.forEach((m: LayerMask, l) => m.data.forEach((v, i) => v && alive.push(offs[l] + i)));
  const layerOf = (g: number) => {
    let l = offs.length - 1;
    while (offs[l] > g) l--;
    return l;
  };
  const mag = new Float64Array(total);
  weights.forEach((w, l) => w.forEach((v, i) => (mag[offs[l] + i] = Math.abs(v))));
  const k = Math.round(rate * alive.length);
  for (const g of ascending(alive, (j) => mag[j]).slice(0, k)) {
    const l = layerOf(g);
    out.layers[l].data[g - offs[l]] = 0;
  }
  return out;
}

/**
 * The per-round rate that reaches `finalDensity` after `rounds` equal rounds of
 * "prune `rate` of what remains": 1 − finalDensity^(1/rounds).
 */
export function rateForRounds(finalDensity: number, rounds: number): number {
  if (!(finalDensity > 0 && finalDensity <= 1)) fail("finalDensity", `must lie in (0, 1], got ${finalDensity}`);
  if (!Number.isInteger(rounds) || rounds < 1) fail("rounds", `must be a positive integer, got ${rounds}`);
  return 1 - Math.pow(finalDensity, 1 / rounds);
}
