// Prune-and-regrow for dynamic sparse training (SET: Mocanu et al. 2018; RigL: Evci et al.
// 2020): per layer, drop the smallest-|w| fraction of the active weights that may change,
// then grow as many inactive entries by a rule — random (SET), largest |gradient| (RigL),
// or never-yet-active entries ("unfired", chosen at random among them). Each layer keeps
// its count, so the density allocation is preserved.
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { MaskSet } from "./mask";

export type GrowthRule = "random" | "gradient" | "unfired";
export const GROWTH_RULES: readonly GrowthRule[] = ["random", "gradient", "unfired"];

export interface DropAndGrowOptions {
  /** Fraction of each layer's droppable active weights replaced (in [0, 1]). */
  fraction: number;
  growth: GrowthRule;
  rng: Rng;
  /** Dense gradients ∂L/∂(w ⊙ m) for the "gradient" rule. */
  grads?: Float32Array[];
  /** Entries that may be dropped (default: all); frozen weights of earlier tasks are not. */
  droppable?: MaskSet;
  /** Entries that may be grown (default: all). */
  growable?: MaskSet;
  /** Entries that were ever active, for the "unfired" rule (falls back to random when none are left). */
  everActive?: MaskSet;
}

export interface DropAndGrowResult {
  mask: MaskSet;
  /** Entries newly grown (callers usually set their weights to 0). */
  grown: MaskSet;
  /** Entries dropped. */
  dropped: MaskSet;
}

const KEYS = ["fraction", "growth", "rng", "grads", "droppable", "growable", "everActive"];

/** One drop-and-grow update of `mask` given the current weights. */
export function dropAndGrow(weights: Float32Array[], mask: MaskSet, opts: DropAndGrowOptions): DropAndGrowResult {
  assertKnownOptions("opts", opts, KEYS);
  if (!(mask instanceof MaskSet)) fail("mask", "must be a MaskSet");
  mask.checkFlat("weights", weights);
  if (!(opts.fraction >= 0 && opts.fraction <= 1)) fail("opts.fraction", `must lie in [0, 1], got ${opts.fraction}`);
  if (!GROWTH_RULES.includes(opts.growth))
    fail("opts.growth", `unknown rule "${String(opts.growth)}" (known: ${GROWTH_RULES.join(", ")})`);
  if (!(opts.rng instanceof Rng)) fail("opts.rng", "must be an Rng");
  if (opts.growth === "gradient") {
    if (!opts.grads) fail("opts.grads", 'is required for growth "gradient"');
    mask.checkFlat("opts.grads", opts.grads);
  }
  for (const k of ["droppable", "growable", "everActive"] as const) {
    const m = opts[k];
    if (m !== undefined && !(m instanceof MaskSet && m.layers.length === mask.layers.length))
      fail(`opts.${k}`, `must be a MaskSet with ${mask.layers.length} layers`);
  }
  const next = mask.clone();
  const grown = mask.clone();
  const dropped = mask.clone();
  grown.layers.forEach((m) => m.data.fill(0));
  dropped.layers.forEach((m) => m.data.fill(0));
  next.layers.forEach((m, l) => {
    const w = weights[l];
    const canDrop = opts.droppable?.layers[l].data;
    const canGrow = opts.growable?.layers[l].data;
    const active = [...m.data.keys()].filter((i) => m.data[i] && (!canDrop || canDrop[i]));
    const k = Math.round(opts.fraction * active.length);
    if (k === 0) return;
    active.sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]) || a - b);
    for (const i of active.slice(0, k)) {
      m.data[i] = 0;
      dropped.layers[l].data[i] = 1;
    }
    // Candidates: inactive, growable, and not just dropped (else a drop could be undone at once).
    const cand = [...m.data.keys()].filter((i) => !m.data[i] && !dropped.layers[l].data[i] && (!canGrow || canGrow[i]));
    let pick: number[];
    if (opts.growth === "gradient") {
      const g = (opts.grads as Float32Array[])[l];
      pick = cand.sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]) || a - b).slice(0, k);
    } else {
      const ever = opts.everActive?.layers[l].data;
      const fresh = opts.growth === "unfired" && ever ? cand.filter((i) => !ever[i]) : cand;
      const pool = fresh.length >= k ? fresh : cand;
      const perm = opts.rng.permutation(pool.length);
      pick = perm.slice(0, k).map((j) => pool[j]);
    }
    for (const i of pick) {
      m.data[i] = 1;
      grown.layers[l].data[i] = 1;
    }
  });
  return { mask: next, grown, dropped };
}

/** RigL's cosine decay of the drop fraction: initial/2 · (1 + cos(π t / T)), 0 after T. */
export function cosineDropFraction(step: number, total: number, initial: number): number {
  if (!(total > 0)) fail("total", `must be positive, got ${total}`);
  if (!(initial >= 0 && initial <= 1)) fail("initial", `must lie in [0, 1], got ${initial}`);
  if (!(step >= 0)) fail("step", `must be ≥ 0, got ${step}`);
  return step >= total ? 0 : (initial / 2) * (1 + Math.cos((Math.PI * step) / total));
}
