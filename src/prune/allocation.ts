// How a global density budget is split across layers: uniform (every layer the same density)
// or Erdős–Rényi(-Kernel) (Mocanu et al. 2018; Evci et al. 2020, RigL): layer l gets density
// ε·s_l with s_l = Σ dims / Π dims (ERK) or (n_in + n_out)/(n_in · n_out) over the last two
// dims (ER), ε solved so the parameter-weighted mean is the budget. A layer whose density
// would exceed 1 is made dense and ε is re-solved for the rest (largest s_l first), so the
// overall density is exactly the budget.
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { assertShapes, MaskSet } from "./mask";

export interface ErkOptions {
  /** true (default): ERK, s = Σ dims / Π dims; false: ER, s over the last two dims only. */
  erk?: boolean;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function assertDensity(density: number): void {
  if (typeof density !== "number" || !(density > 0 && density <= 1))
    fail("density", `must lie in (0, 1], got ${density}`);
}

/** Per-layer densities of the Erdős–Rényi(-Kernel) allocation of a global `density`. */
export function erkDensities(shapes: number[][], density: number, opts: ErkOptions = {}): number[] {
  assertKnownOptions("opts", opts, ["erk"]);
  assertShapes("shapes", shapes);
  assertDensity(density);
  const erk = opts.erk ?? true;
  if (typeof erk !== "boolean") fail("opts.erk", `must be a boolean, got ${typeof erk}`);
  const n = shapes.map(prod);
  const score = shapes.map((s) => {
    if (erk) return s.reduce((a, b) => a + b, 0) / prod(s);
    if (s.length < 2) fail("shapes", `ER needs at least 2 dimensions per layer, got [${s}]`);
    const [a, b] = s.slice(-2);
    return (a + b) / (a * b);
  });
  const budget = density * n.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    let fixed = 0;
    let weighted = 0;
    n.forEach((nl, l) => (dense.has(l) ? (fixed += nl) : (weighted += score[l] * nl)));
    if (weighted === 0) return n.map(() => 1);
    const eps = (budget - fixed) / weighted;
    // The sparse layer with the largest score is the first to overflow.
    let worst = -1;
    n.forEach((_, l) => {
      if (!dense.has(l) && eps * score[l] > 1 && (worst < 0 || score[l] > score[worst])) worst = l;
    });
    if (worst < 0) return n.map((_, l) => (dense.has(l) ? 1 : eps * score[l]));
    dense.add(worst);
  }
}

/** Every layer at the same density. */
export function uniformDensities(shapes: number[][], density: number): number[] {
  assertShapes("shapes", shapes);
  assertDensity(density);
  return shapes.map(() => density);
}

/**
 * A random mask with exactly round(d_l · n_l) kept entries per layer, chosen uniformly
 * (a seeded permutation), optionally only among entries `allowed` marks with 1.
 */
export function randomMask(shapes: number[][], densities: number[], rng: Rng, allowed?: MaskSet): MaskSet {
  assertShapes("shapes", shapes);
  if (!Array.isArray(densities) || densities.length !== shapes.length)
    fail("densities", `must hold one density per layer (${shapes.length})`);
  densities.forEach((d, l) => {
    if (!(d >= 0 && d <= 1)) fail(`densities[${l}]`, `must lie in [0, 1], got ${d}`);
  });
  if (!(rng instanceof Rng)) fail("rng", "must be an Rng");
  const out = MaskSet.ones(shapes);
  out.layers.forEach((m, l) => {
    m.data.fill(0);
    const pool = allowed ? [...m.data.keys()].filter((i) => allowed.layers[l].data[i]) : [...m.data.keys()];
    const k = Math.min(pool.length, Math.round(densities[l] * m.data.length));
    const perm = rng.permutation(pool.length);
    for (let j = 0; j < k; j++) m.data[pool[perm[j]]] = 1;
  });
  return out;
}
