// The adapter benchmark's records aggregated per variant (means over seeds, sd where there
// are several) and shown as the cross-method table (HTML in a notebook, Markdown elsewhere).
import { displayBundle, escapeHtml } from "../core/display";
import { mean, std } from "../metrics/stats";
import { RunRecord } from "./benchmark";

/** One aggregated row: fixed columns plus loss@step, intruders@ε, ΔW statistics per layer and the entries' extras. */
export type BenchRow = Record<string, number | string>;

export interface AggregateSettings {
  earlySteps: number[];
  steps: number;
  epsilons: number[];
}

const m = (xs: number[]) => (xs.length ? mean(xs) : NaN);
const sd = (xs: number[]) => (xs.length > 1 ? std(xs) : 0);

/** Test-B loss at `step` (the evaluated point at or just before it). */
export function lossAt(r: RunRecord, step: number): number {
  let best = NaN;
  for (const p of r.curve) if (p.step <= step) best = p.testLossB;
  return best;
}

/** One row per variant (in record order): means over its seeds. */
export function aggregateRecords(records: RunRecord[], s: AggregateSettings, baseAccA: number): BenchRow[] {
  const ids = [...new Set(records.map((r) => r.id))];
  return ids.map((id) => {
    const rs = records.filter((r) => r.id === id);
    const row: BenchRow = {
      id,
      method: rs[0].method,
      tier: rs[0].tier,
      lr: rs[0].lr,
      seeds: rs.length,
      params: rs[0].params,
      initMs: m(rs.map((r) => r.initMs)),
      trainMs: m(rs.map((r) => r.trainMs)),
      accB: m(rs.map((r) => r.accB)),
      accBsd: sd(rs.map((r) => r.accB)),
      accA: m(rs.map((r) => r.accA)),
      forgetting: baseAccA - m(rs.map((r) => r.accA)),
      forgettingSd: sd(rs.map((r) => r.accA)),
      lossB: m(rs.map((r) => r.lossB)),
    };
    for (const st of s.earlySteps) if (st <= s.steps) row[`loss@${st}`] = m(rs.map((r) => lossAt(r, st)));
    for (const e of s.epsilons)
      row[`intruders@${e}`] = m(rs.map((r) => r.layers.reduce((acc, l) => acc + (l.intruders[String(e)] ?? 0), 0)));
    rs[0].layers.forEach((l, li) => {
      row[`normΔ${l.layer}`] = m(rs.map((r) => r.layers[li].frob));
      row[`stableRankΔ${l.layer}`] = m(rs.map((r) => r.layers[li].stableRank));
      row[`effRankΔ${l.layer}`] = m(rs.map((r) => r.layers[li].effRank));
      // Numerical rank among the kept top singular values: σ_i > 1e-4·σ_1 (float32 rounding floor).
      row[`numRankΔ${l.layer}`] = m(
        rs.map((r) => r.layers[li].sigma.filter((x) => x > 1e-4 * r.layers[li].sigma[0]).length),
      );
    });
    for (const k of Object.keys(rs[0].extra)) {
      const vals = rs.map((r) => r.extra[k]);
      row[k] = typeof vals[0] === "number" ? m(vals as number[]) : String(vals[0]);
    }
    return row;
  });
}

/** 3 significant digits, integers exact (the table's number format). */
function cell(v: number | string | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  const x = Number(v.toPrecision(3));
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : String(x);
}

const TABLE_COLS: Array<[string, string]> = [
  ["id", "method"],
  ["tier", "tier"],
  ["params", "trainable params"],
  ["lr", "lr"],
  ["initMs", "init ms"],
  ["loss@25", "loss@25"],
  ["loss@50", "loss@50"],
  ["loss@100", "loss@100"],
  ["accB", "acc B"],
  ["accBsd", "± sd"],
  ["forgetting", "forgetting A"],
  ["intruders@0.5", "intruders ε=.5"],
  ["intruders@0.7", "intruders ε=.7"],
  ["normΔW1", "‖ΔW1‖F"],
  ["stableRankΔW1", "stable rank ΔW1"],
  ["effRankΔW1", "eff. rank ΔW1"],
];

/** Records of a benchmark (or a view of it), with the settings their rows are aggregated under. */
export interface BenchRecords {
  records: RunRecord[];
  baseAccA: number;
  settings: AggregateSettings;
}

/**
 * The cross-method table (aggregated rows, or a benchmark result to aggregate) as Markdown;
 * shown as HTML in a notebook, printed elsewhere.
 */
export function showAdaptersTable(rowsOrResult: BenchRow[] | BenchRecords): string {
  const rows = Array.isArray(rowsOrResult)
    ? rowsOrResult
    : aggregateRecords(rowsOrResult.records, rowsOrResult.settings, rowsOrResult.baseAccA);
  const cols = TABLE_COLS.filter(([k]) => rows.some((r) => r[k] !== undefined));
  const md = [
    `| ${cols.map((c) => c[1]).join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cols.map(([k]) => cell(r[k])).join(" | ")} |`),
  ].join("\n");
  const html = `<table class="initlab-checks"><thead><tr>${cols.map((c) => `<th>${escapeHtml(c[1])}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${cols.map(([k]) => `<td>${escapeHtml(cell(r[k]))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  if (!displayBundle({ "text/html": html, "text/markdown": md, "text/plain": md })) process.stdout.write(md + "\n");
  return md;
}
