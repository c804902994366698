// Aggregation of the adapter benchmark's per-run records into the cross-method table,
// plot series and the card's checks (mean over seeds; sd where there are several).
import * as fs from "fs";
import * as path from "path";
import { ensureDir, resultsDir } from "../../io/paths";
import { displayBundle, escapeHtml } from "../../core/display";
import { mean, std } from "../../metrics/stats";
import { RunRecord } from "./bench";
import { fmtMeasured } from "../report";
import { Check, check, ExperimentResult } from "../../core/types";

type Row = Record<string, number | string>;

export interface AggregateSettings { earlySteps: number[]; steps: number; epsilons: number[] }

const m = (xs: number[]) => (xs.length ? mean(xs) : NaN);
const sd = (xs: number[]) => (xs.length > 1 ? std(xs) : 0);

/** Test-B loss at `step` (the evaluated point at or just before it). */
export function lossAt(r: RunRecord, step: number): number {
  let best = NaN;
  for (const p of r.curve) if (p.step <= step) best = p.testLossB;
  return best;
}

/** One row per variant: means over seeds. */
export function aggregate(records: RunRecord[], s: AggregateSettings, baseAccA: number): Row[] {
  const ids = [...new Set(records.map((r) => r.id))];
  return ids.map((id) => {
    const rs = records.filter((r) => r.id === id);
    const row: Row = {
      id, method: rs[0].method, tier: rs[0].tier, lr: rs[0].lr, seeds: rs.length, params: rs[0].params,
      initMs: m(rs.map((r) => r.initMs)), trainMs: m(rs.map((r) => r.trainMs)),
      accB: m(rs.map((r) => r.accB)), accBsd: sd(rs.map((r) => r.accB)),
      accA: m(rs.map((r) => r.accA)), forgetting: baseAccA - m(rs.map((r) => r.accA)), forgettingSd: sd(rs.map((r) => r.accA)),
      lossB: m(rs.map((r) => r.lossB)),
    };
    for (const st of s.earlySteps) if (st <= s.steps) row[`loss@${st}`] = m(rs.map((r) => lossAt(r, st)));
    for (const e of s.epsilons) row[`intruders@${e}`] = m(rs.map((r) => r.layers.reduce((acc, l) => acc + (l.intruders[String(e)] ?? 0), 0)));
    rs[0].layers.forEach((l, li) => {
      row[`normΔ${l.layer}`] = m(rs.map((r) => r.layers[li].frob));
      row[`stableRankΔ${l.layer}`] = m(rs.map((r) => r.layers[li].stableRank));
      row[`effRankΔ${l.layer}`] = m(rs.map((r) => r.layers[li].effRank));
      // Numerical rank among the kept top singular values: σ_i > 1e-4·σ_1 (float32 rounding floor).
      row[`numRankΔ${l.layer}`] = m(rs.map((r) => r.layers[li].sigma.filter((x) => x > 1e-4 * r.layers[li].sigma[0]).length));
    });
    for (const k of Object.keys(rs[0].extra)) {
      const vals = rs.map((r) => r.extra[k]);
      row[k] = typeof vals[0] === "number" ? m(vals as number[]) : String(vals[0]);
    }
    return row;
  });
}

/** Plot series: per-run curves, seed-mean curves, spectra (first seed), intruder counts, accuracy vs params. */
export function seriesOf(records: RunRecord[], rows: Row[], epsilons: number[]): Record<string, Row[]> {
  const curves: Row[] = records.flatMap((r) => r.curve.map((p) => ({ id: r.id, tier: r.tier, seed: r.seed, ...p })));
  const meanCurves: Row[] = [];
  for (const id of new Set(records.map((r) => r.id))) {
    const rs = records.filter((r) => r.id === id);
    rs[0].curve.forEach((p, i) => meanCurves.push({
      id, tier: rs[0].tier, step: p.step,
      testLossB: m(rs.map((r) => r.curve[i].testLossB)), testAccB: m(rs.map((r) => r.curve[i].testAccB)), testAccA: m(rs.map((r) => r.curve[i].testAccA)),
    }));
  }
  const firstSeed = (id: string) => records.find((r) => r.id === id) as RunRecord;
  const spectra: Row[] = rows.flatMap((row) => firstSeed(row.id as string).layers.flatMap((l) => l.sigma.map((sigma, i) => ({ id: row.id, tier: row.tier, layer: `Δ${l.layer}`, index: i + 1, sigma }))).filter((x) => (x.sigma as number) > 0));
  const intruders: Row[] = rows.flatMap((row) => epsilons.map((e) => ({ id: row.id, tier: row.tier, epsilon: e, intruders: row[`intruders@${e}`] as number })));
  const accVsParams: Row[] = rows.map((row) => ({ id: row.id, tier: row.tier, params: row.params, accB: row.accB, forgetting: row.forgetting }));
  const runs: Row[] = records.map((r) => ({ id: r.id, seed: r.seed, lr: r.lr, params: r.params, initMs: r.initMs, trainMs: r.trainMs, accA: r.accA, accB: r.accB, lossB: r.lossB }));
  return { table: rows, curves, meanCurves, spectra, intruders, accVsParams, runs };
}

const find = (rows: Row[], method: string, tier?: string) => rows.find((r) => r.method === method && (!tier || r.tier === tier));
const f3 = (x: number) => fmtMeasured(Number(x.toPrecision(4)));

/** The cross-method checks of the compare notebook (only those whose methods were run). */
export function compareChecks(rows: Row[], s: AggregateSettings): Check[] {
  const checks: Check[] = [];
  const full = find(rows, "full");
  const mid = rows.filter((r) => r.tier === "mid");
  if (full && mid.length) {
    const worst = mid.reduce((a, b) => ((b.forgetting as number) > (a.forgetting as number) ? b : a));
    checks.push(check("Full FT forgets task A more than every mid-tier adapter (card §3 prediction)", `full ${f3(full.forgetting as number)} vs max adapter ${f3(worst.forgetting as number)} (${worst.id})`, "full > every adapter", (full.forgetting as number) > (worst.forgetting as number)));
    const low = mid.filter((r) => (r.accB as number) < (full.accB as number) - 0.02);
    checks.push(check("Every mid-tier adapter ends within 2 points of full FT's task-B accuracy (card: 'all within ~1–2 pts' on an easy toy)", `${mid.length - low.length}/${mid.length} within; full FT ${f3(full.accB as number)}${low.length ? `; below: ${low.map((r) => `${r.id} ${f3(r.accB as number)}`).join(", ")}` : ""}`, "all within 0.02", low.length === 0));
  }
  const early = Math.max(...s.earlySteps.filter((x) => x <= s.steps && x <= 100));
  const ga = find(rows, "lora-ga"), pi = find(rows, "pissa"), lo = find(rows, "lora", "mid");
  if (ga && pi && lo && Number.isFinite(early)) {
    const k = `loss@${early}`;
    const [a, b, c] = [ga[k], pi[k], lo[k]] as number[];
    checks.push(check(`Early convergence ordering at step ${early}: loss(LoRA-GA) < loss(PiSSA) < loss(LoRA) (card §3 prediction)`, `${f3(a)} / ${f3(b)} / ${f3(c)}`, "GA < PiSSA < LoRA", a < b && b < c));
  }
  const sv = find(rows, "svfit");
  if (sv && lo) {
    const e = s.epsilons.includes(0.5) ? 0.5 : s.epsilons[0];
    checks.push(check(`SVFit creates no more intruders (ε = ${e}, k = 10, both matrices) than LoRA r=4: its ΔW lives in W0's singular frame`, `${f3(sv[`intruders@${e}`] as number)} vs ${f3(lo[`intruders@${e}`] as number)}`, "SVFit ≤ LoRA", (sv[`intruders@${e}`] as number) <= (lo[`intruders@${e}`] as number)));
  }
  const dora = find(rows, "dora");
  if (lo && dora) {
    const r = lo.numRankΔW1 as number, d = dora.effRankΔW1 as number;
    checks.push(check("Structure: LoRA r=4's ΔW1 has numerical rank ≤ 4; DoRA's ΔW1 is not low-rank (entropy effective rank > 4)", `LoRA numerical rank ${f3(r)}, DoRA effective rank ${f3(d)}`, "≤ 4 and > 4", r <= 4 && d > 4));
  }
  return checks;
}

/** Summary + series + checks for a set of records. */
export function summariseRecords(records: RunRecord[], cfg: AggregateSettings & { seeds: number }, baseAccA: number): ExperimentResult {
  const rows = aggregate(records, cfg, baseAccA);
  const summary: Record<string, number | string> = { baseAccA, seeds: cfg.seeds, steps: cfg.steps };
  for (const r of rows) summary[`${r.id}: params / accB / forgetting`] = `${r.params} / ${f3(r.accB as number)} / ${f3(r.forgetting as number)}`;
  return { series: seriesOf(records, rows, cfg.epsilons), checks: compareChecks(rows, cfg), summary };
}

const TABLE_COLS: Array<[string, string]> = [
  ["id", "method"], ["tier", "tier"], ["params", "trainable params"], ["lr", "lr"], ["initMs", "init ms"],
  ["loss@25", "loss@25"], ["loss@50", "loss@50"], ["loss@100", "loss@100"], ["accB", "acc B"], ["accBsd", "± sd"],
  ["forgetting", "forgetting A"], ["intruders@0.5", "intruders ε=.5"], ["intruders@0.7", "intruders ε=.7"],
  ["normΔW1", "‖ΔW1‖F"], ["stableRankΔW1", "stable rank ΔW1"], ["effRankΔW1", "eff. rank ΔW1"],
];

/** The cross-method table as Markdown (also written to results/<name>.md) and shown as HTML in a notebook. */
export function showAdaptersTable(rows: Row[], name = "adapters-compare-table"): string {
  const cols = TABLE_COLS.filter(([k]) => rows.some((r) => r[k] !== undefined));
  const cell = (v: number | string | undefined) => (v === undefined ? "" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : fmtMeasured(Number(v.toPrecision(3)))) : v);
  const md = [`| ${cols.map((c) => c[1]).join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${cols.map(([k]) => cell(r[k])).join(" | ")} |`)].join("\n");
  const html = `<table class="initlab-checks"><thead><tr>${cols.map((c) => `<th>${escapeHtml(c[1])}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${cols.map(([k]) => `<td>${escapeHtml(cell(r[k]))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const dir = ensureDir(resultsDir());
  fs.writeFileSync(path.join(dir, `${name}.md`), md + "\n");
  if (!displayBundle({ "text/html": html, "text/markdown": md, "text/plain": md })) process.stdout.write(md + "\n");
  return md;
}
