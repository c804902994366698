// What checks, figures, summary and the report page read: per base the table, the
// correlation matrix and the predictors of forgetting and accuracy, computed once per result.
import type { AtlasConfig } from "./config";
import type { RowSeed } from "./mlp-run";
import type { AtlasResult, MethodInfo } from "./run";
import { buildTable, correlationMatrix, Predictor, predictors, TableRow } from "./table";
import type { DiagnosticKey } from "./diagnostics";

export interface BaseView {
  /** "MLP" or "char LM". */
  base: string;
  table: TableRow[];
  records: RowSeed[];
  correlation: { keys: DiagnosticKey[]; rho: number[][] };
  predictors: Record<"forgetting" | "accB", Predictor[]>;
  seeds: number;
  trainedRows: number;
  baseAccA: number;
}

export interface AtlasView extends BaseView {
  kaBefore: number;
  char: BaseView | null;
}

function baseView(
  base: string,
  methods: MethodInfo[],
  seeds: Array<{ baseAccA: number; records: RowSeed[] }>,
  cfg: AtlasConfig,
): BaseView {
  const records = seeds.flatMap((s) => s.records);
  const table = buildTable(methods, records);
  return {
    base,
    table,
    records,
    correlation: correlationMatrix(table),
    predictors: {
      forgetting: predictors(table, records, "forgetting", cfg.permutations),
      accB: predictors(table, records, "accB", cfg.permutations),
    },
    seeds: seeds.length,
    trainedRows: table.filter((x) => x.na === null && x.cells.accB).length,
    baseAccA: seeds[0].baseAccA,
  };
}

const cache = new WeakMap<AtlasResult, AtlasView>();

export function atlasView(r: AtlasResult, cfg: AtlasConfig): AtlasView {
  const hit = cache.get(r);
  if (hit) return hit;
  const v: AtlasView = {
    ...baseView("MLP", r.methods, r.seeds, cfg),
    kaBefore: r.seeds.reduce((a, s) => a + s.kaBefore, 0) / r.seeds.length,
    char: r.char && r.char.seeds.length ? baseView("char LM", r.char.methods, r.char.seeds, cfg) : null,
  };
  cache.set(r, v);
  return v;
}
