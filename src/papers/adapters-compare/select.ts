// The benchmark's learning-rate protocol, shared by both bases: every variant with a grid of
// its own tries its family's lr × the grid multipliers on the seed's validation split
// (selectOnValidation, extended past an edge winner) and keeps the winner's run; a variant
// with lrFrom trains once at the lr its source selected on the same seed.
import { fail } from "../../core/validate";
import { selectOnValidation, Selection } from "../protocol";
import { RunRecord, VariantSpec } from "./bench";

export interface GridOptions {
  /** Multipliers of the family lr. */
  grid: number[];
  factor: number;
  extensions: number;
  /** Grid centre per lr family. */
  lrs: Record<string, number>;
}

/** A trained run: its validation loss (what selection reads) and whatever finish() needs. */
export interface Candidate<P> {
  valLoss: number;
  payload: P;
}

/**
 * Runs the variants (own-grid ones first), returns their records in the given order and the
 * selections. With `fixed` (variant id → lr, e.g. the lrs another seed selected), every variant
 * trains once at its given lr and nothing is selected.
 */
export async function runWithSelection<P>(
  variants: VariantSpec[],
  g: GridOptions,
  trainAt: (v: VariantSpec, lr: number) => Promise<Candidate<P>>,
  finish: (payload: P, lr: number) => RunRecord,
  fixed?: Record<string, number>,
): Promise<{ records: RunRecord[]; selections: Record<string, Selection> }> {
  const chosen: Record<string, number> = {};
  const selections: Record<string, Selection> = {};
  const byId = new Map<string, RunRecord>();
  const order = [...variants.filter((v) => !v.lrFrom), ...variants.filter((v) => v.lrFrom)];
  for (const v of order) {
    let lr: number;
    let best: Candidate<P>;
    if (fixed) {
      lr = fixed[v.id];
      if (!(lr > 0) || !Number.isFinite(lr)) fail("fixed", `has no positive lr for variant "${v.id}"`);
      best = await trainAt(v, lr);
    } else if (v.lrFrom) {
      lr = chosen[v.lrFrom];
      if (!(lr > 0)) fail(`variant "${v.id}".lrFrom`, `"${v.lrFrom}" did not run (add it to the variants run)`);
      best = await trainAt(v, lr);
    } else {
      const runs = new Map<number, Candidate<P>>();
      const sel = await selectOnValidation(
        g.grid.map((m) => g.lrs[v.family] * m),
        async (x) => {
          const c = await trainAt(v, x);
          runs.set(x, c);
          return -c.valLoss;
        },
        { factor: g.factor, maxExtensions: g.extensions },
      );
      selections[v.id] = sel;
      lr = sel.best;
      best = runs.get(lr) as Candidate<P>;
    }
    chosen[v.id] = lr;
    byId.set(v.id, finish(best.payload, lr));
  }
  return { records: variants.map((v) => byId.get(v.id) as RunRecord), selections };
}
