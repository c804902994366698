// The atlas's table and its rank correlations: per row and diagnostic the mean and 95%
// interval over seeds; across trained rows the Spearman matrix of the diagnostics' means;
// and for the two questions (what predicts forgetting, what predicts accuracy) the per-seed
// Spearman correlations with their interval over seeds and a permutation p-value on the means.
import { Rng } from "../../core/random";
import { Interval, tInterval } from "../../metrics/intervals";
import { spearman } from "../../metrics/stats";
import { DiagnosticKey, DIAGNOSTICS, TIMING_KEYS } from "./diagnostics";
import type { RowSeed } from "./mlp-run";

/** One table row: per diagnostic the interval over seeds (null for rows without measurements). */
export interface TableRow {
  id: string;
  registry: string;
  name: string;
  /** The adapter benchmark variant a row ran, or a short recipe description. */
  recipe: string;
  na: string | null;
  lr: number[];
  cells: Partial<Record<DiagnosticKey, Interval>>;
}

export interface Predictor {
  diagnostic: DiagnosticKey;
  /** Spearman ρ across rows per seed, and its 95% interval over seeds. */
  perSeed: number[];
  interval: Interval;
  /** ρ on the rows' means and its two-sided permutation p-value. */
  rhoMeans: number;
  p: number;
}

/** Diagnostics that enter the correlations (timings excluded; constant columns give NaN). */
export const CORRELATED: DiagnosticKey[] = DIAGNOSTICS.map((d) => d.key).filter((k) => !TIMING_KEYS.includes(k));

/** Interval over seeds of a row's diagnostic (finite values only; all non-finite → NaN mean). */
function cell(xs: number[]): Interval {
  const f = xs.filter(Number.isFinite);
  if (!f.length) return { mean: NaN, lo: NaN, hi: NaN, n: 0, level: 0.95, method: "single" };
  return tInterval(f);
}

/** Builds the table rows from per-seed records (rows without records keep their n/a reason). */
export function buildTable(
  methods: Array<{ id: string; registry: string; name: string; recipe: string; na: string | null }>,
  records: RowSeed[],
): TableRow[] {
  return methods.map((m) => {
    const mine = records.filter((r) => r.id === m.id).sort((a, b) => a.seed - b.seed);
    const cells: TableRow["cells"] = {};
    if (mine.length) for (const d of DIAGNOSTICS) cells[d.key] = cell(mine.map((r) => r.diagnostics[d.key]));
    return { ...m, lr: mine.map((r) => r.lr), cells };
  });
}

/** Spearman ρ of two columns over the indices where both are finite (NaN with fewer than 3). */
export function spearmanFinite(x: number[], y: number[]): number {
  const idx = x.map((_, i) => i).filter((i) => Number.isFinite(x[i]) && Number.isFinite(y[i]));
  if (idx.length < 3) return NaN;
  return spearman(
    idx.map((i) => x[i]),
    idx.map((i) => y[i]),
  );
}

/** Two-sided permutation p-value of Spearman ρ (y shuffled `n` times with a seeded stream). */
export function permutationP(x: number[], y: number[], n: number, seedValue: number): number {
  const obs = spearmanFinite(x, y);
  if (!Number.isFinite(obs)) return NaN;
  const rng = new Rng(seedValue);
  let hits = 0;
  for (let t = 0; t < n; t++) {
    const perm = rng.permutation(y.length);
    if (
      Math.abs(
        spearmanFinite(
          x,
          perm.map((i) => y[i]),
        ),
      ) >=
      Math.abs(obs) - 1e-12
    )
      hits++;
  }
  return (hits + 1) / (n + 1);
}

/** The rows with measurements, and per diagnostic their means (row order). */
export function meanColumns(table: TableRow[]): { ids: string[]; cols: Record<DiagnosticKey, number[]> } {
  const trained = table.filter((r) => r.na === null && r.cells.accB);
  const cols = Object.fromEntries(
    DIAGNOSTICS.map((d) => [d.key, trained.map((r) => r.cells[d.key]?.mean ?? NaN)]),
  ) as Record<DiagnosticKey, number[]>;
  return { ids: trained.map((r) => r.id), cols };
}

/** Spearman matrix of the correlated diagnostics over the rows' means (NaN for constant columns). */
export function correlationMatrix(table: TableRow[]): { keys: DiagnosticKey[]; rho: number[][] } {
  const { cols } = meanColumns(table);
  return { keys: CORRELATED, rho: CORRELATED.map((a) => CORRELATED.map((b) => spearmanFinite(cols[a], cols[b]))) };
}

/** How every other diagnostic ranks the rows like `target` does: per seed, over seeds, and on the means. */
export function predictors(
  table: TableRow[],
  records: RowSeed[],
  target: DiagnosticKey,
  permutations: number,
): Predictor[] {
  const { ids, cols } = meanColumns(table);
  const seeds = [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b);
  return CORRELATED.filter((k) => k !== target).map((k, i) => {
    const perSeed = seeds.map((s) => {
      const rs = ids.map((id) => records.find((r) => r.id === id && r.seed === s));
      const ok = rs.filter((r): r is RowSeed => !!r);
      return spearmanFinite(
        ok.map((r) => r.diagnostics[k]),
        ok.map((r) => r.diagnostics[target]),
      );
    });
    const finite = perSeed.filter(Number.isFinite);
    return {
      diagnostic: k,
      perSeed,
      interval: finite.length
        ? tInterval(finite)
        : { mean: NaN, lo: NaN, hi: NaN, n: 0, level: 0.95, method: "single" as const },
      rhoMeans: spearmanFinite(cols[k], cols[target]),
      p: permutationP(cols[k], cols[target], permutations, 4242 + i),
    };
  });
}
