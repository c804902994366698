// The atlas's report section: results/atlas/index.html (a self-contained page: the table,
// sortable by any column with a few lines of inline script, the Spearman matrix and the
// predictors), results/atlas/table.json (the same data), and a Markdown section for
// results/summary.md. The data comes from the atlas run in the cache (same config and code
// version) or, failing that, from the table.json an earlier run wrote.
import * as fs from "fs";
import * as path from "path";
import { Size } from "../../core/types";
import { writeFileAtomic } from "../../io/json";
import { resultsDir } from "../../io/paths";
import { Interval } from "../../metrics/intervals";
import { getPaper } from "../registry";
import { hasRunCache, runPaper } from "../run";
import type { AtlasConfig } from "./config";
import { DIAGNOSTICS, DiagnosticKey } from "./diagnostics";
import type { AtlasResult } from "./run";
import type { Predictor } from "./table";
import { atlasView, BaseView } from "./view";

/** One base's part of the page. */
export interface PagePart {
  base: string;
  steps: number;
  rows: Array<{
    id: string;
    registry: string;
    recipe: string;
    na: string | null;
    lr: number[];
    cells: Partial<Record<DiagnosticKey, Interval>>;
  }>;
  correlation: { keys: DiagnosticKey[]; rho: number[][] };
  predictors: Record<"forgetting" | "accB", Predictor[]>;
}

export interface AtlasPageData {
  size: string;
  seeds: number[];
  parts: PagePart[];
}

const part = (v: BaseView, steps: number): PagePart => ({
  base: v.base,
  steps,
  rows: v.table.map((t) => ({ id: t.id, registry: t.registry, recipe: t.recipe, na: t.na, lr: t.lr, cells: t.cells })),
  correlation: v.correlation,
  predictors: v.predictors,
});

export function atlasPageData(r: AtlasResult, cfg: AtlasConfig, size: string): AtlasPageData {
  const v = atlasView(r, cfg);
  return {
    size,
    seeds: r.seeds.map((s) => s.seed),
    parts: [part(v, cfg.mlp.steps), ...(v.char && cfg.char ? [part(v.char, cfg.char.steps)] : [])],
  };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const label = (k: DiagnosticKey) => DIAGNOSTICS.find((d) => d.key === k)?.label ?? k;

/** A number with 3 significant digits (integers and large values without exponent noise). */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  return Number(x.toPrecision(3)).toString();
}

const cellText = (c: Interval | undefined) =>
  !c ? "n/a" : Number.isFinite(c.lo) ? `${fmt(c.mean)} [${fmt(c.lo)}, ${fmt(c.hi)}]` : fmt(c.mean);

function rhoColor(x: number): string {
  if (!Number.isFinite(x)) return "#eeeeee";
  const a = Math.min(1, Math.abs(x));
  const [r, g, b] = x >= 0 ? [178, 24, 43] : [33, 102, 172];
  return `rgba(${r},${g},${b},${(0.15 + 0.75 * a).toFixed(2)})`;
}

function predictorTable(ps: Predictor[], target: string): string {
  const body = [...ps]
    .sort((a, b) => Math.abs(b.interval.mean) - Math.abs(a.interval.mean))
    .map(
      (p) =>
        `<tr><td>${esc(label(p.diagnostic))}</td><td>${fmt(p.interval.mean)}</td><td>${fmt(p.interval.lo)}, ${fmt(p.interval.hi)}</td><td>${fmt(p.rhoMeans)}</td><td>${fmt(p.p)}</td></tr>`,
    )
    .join("");
  return `<h3>What predicts ${esc(target)}</h3><table class="plain"><thead><tr><th>diagnostic</th><th>ρ (mean over seeds)</th><th>95% interval</th><th>ρ on means</th><th>permutation p</th></tr></thead><tbody>${body}</tbody></table>`;
}

// Sorting: click a header; numeric columns sort by the mean held in data-v, n/a rows last.
const SORT_JS = `document.querySelectorAll("table.sortable th").forEach(function(th,i){th.addEventListener("click",function(){
var tb=th.closest("table").tBodies[0],rows=[].slice.call(tb.rows),asc=th.dataset.dir!=="asc";th.dataset.dir=asc?"asc":"desc";
rows.sort(function(a,b){var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;if(x===undefined||y===undefined){x=a.cells[i].textContent;y=b.cells[i].textContent;return asc?x.localeCompare(y):y.localeCompare(x);}
x=x===""?NaN:+x;y=y===""?NaN:+y;if(isNaN(x))return 1;if(isNaN(y))return -1;return asc?x-y:y-x;});rows.forEach(function(r){tb.appendChild(r);});});});`;

function partHtml(d: PagePart): string {
  const head = `<tr><th>row</th><th>recipe</th><th>lr</th>${DIAGNOSTICS.map((x) => `<th title="${esc(x.help)}">${esc(x.label)}</th>`).join("")}</tr>`;
  const body = d.rows
    .map((r) => {
      const lr = r.lr.length ? fmt(r.lr[0]) : "–";
      const cells = DIAGNOSTICS.map((x) => {
        const c = r.cells[x.key];
        return `<td data-v="${c && Number.isFinite(c.mean) ? c.mean : ""}">${esc(cellText(c))}</td>`;
      }).join("");
      const recipe = r.na ? `${r.recipe} — n/a: ${r.na}` : r.recipe;
      return `<tr class="${esc(r.registry)}"><td>${esc(r.id)}</td><td>${esc(recipe)}</td><td data-v="${r.lr[0] ?? ""}">${lr}</td>${cells}</tr>`;
    })
    .join("\n");
  const { keys, rho } = d.correlation;
  const corr = `<table class="plain corr"><thead><tr><th></th>${keys.map((k) => `<th>${esc(label(k))}</th>`).join("")}</tr></thead><tbody>${keys
    .map(
      (k, i) =>
        `<tr><th>${esc(label(k))}</th>${rho[i].map((x) => `<td style="background:${rhoColor(x)}">${fmt(x)}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table>`;
  return `<h2>${esc(d.base)} base: ${d.steps} fine-tuning steps per row</h2>
<table class="sortable"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<h3>Spearman rank correlation between diagnostics (across rows, means over seeds)</h3>
${corr}
${predictorTable(d.predictors.forgetting, "forgetting")}
${predictorTable(d.predictors.accB, "task-B accuracy")}`;
}

/** The self-contained HTML page. */
export function atlasHtml(d: AtlasPageData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>initlab atlas</title>
<style>body{font-family:"DejaVu Sans",sans-serif;font-size:13px;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}td:nth-child(1),td:nth-child(2){text-align:left}
table.sortable th{cursor:pointer;background:#f3f3f3}tr.optimizer td:first-child{color:#1f77b4}tr.mask td:first-child{color:#2ca02c}
tr.init td:first-child{color:#9467bd}tr.growth td{color:#888}.corr td{text-align:center}</style></head><body>
<h1>initlab atlas: every registered method under every diagnostic</h1>
<p>Each row fine-tunes the same pretrained base with one registered method; each row's learning rate was selected on a validation split. Seeds ${d.seeds.join(", ")} (size ${esc(d.size)}). Cells: mean [95% interval over seeds]. Click a column header to sort.</p>
${d.parts.map(partHtml).join("\n")}
<script>${SORT_JS}</script>
</body></html>
`;
}

/** The Markdown section of results/summary.md. */
export function atlasMarkdown(d: AtlasPageData): string {
  const cols: DiagnosticKey[] = ["accB", "hardAcc", "forgetting", "effRank", "intruders", "relChange", "rankMe"];
  const lines = [
    "",
    "## Atlas: every method under every diagnostic",
    "",
    `The sortable table with 95% intervals, the correlation matrices and the predictors: [atlas/index.html](atlas/index.html). Seeds ${d.seeds.join(", ")}; means over seeds below.`,
  ];
  for (const p of d.parts) {
    lines.push(
      "",
      `### ${p.base} base (${p.steps} steps per row)`,
      "",
      `| row | ${cols.map(label).join(" | ")} |`,
      `|---|${cols.map(() => "---:").join("|")}|`,
      ...p.rows.map((r) => `| ${r.id} | ${cols.map((k) => (r.na ? "n/a" : fmt(r.cells[k]?.mean))).join(" | ")} |`),
      "",
    );
    for (const [t, name] of [
      ["forgetting", "forgetting"],
      ["accB", "task-B accuracy"],
    ] as const) {
      const top = [...p.predictors[t]]
        .filter((x) => Number.isFinite(x.interval.mean))
        .sort((a, b) => Math.abs(b.interval.mean) - Math.abs(a.interval.mean))
        .slice(0, 3)
        .map(
          (x) =>
            `${label(x.diagnostic)} ρ = ${fmt(x.interval.mean)} [${fmt(x.interval.lo)}, ${fmt(x.interval.hi)}], p = ${fmt(x.p)}`,
        );
      lines.push(`- Strongest predictors of ${name}: ${top.join("; ") || "none"}.`);
    }
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * Writes results/atlas/index.html and table.json from the cached atlas run of this size (when
 * present) and returns the Markdown section; falls back to an earlier table.json; "" when neither exists.
 */
export async function atlasReportSection(size: Size): Promise<string> {
  const dir = path.join(resultsDir(size), "atlas");
  const json = path.join(dir, "table.json");
  const paper = getPaper("atlas");
  const cfg = paper.presets[size] as unknown as AtlasConfig;
  let data: AtlasPageData | null = null;
  try {
    if (hasRunCache("atlas", size, cfg)) {
      const run = await runPaper<AtlasResult, AtlasConfig>("atlas", { size, write: false });
      data = atlasPageData(run.result, cfg, size);
      fs.mkdirSync(dir, { recursive: true });
      writeFileAtomic(json, JSON.stringify(data, null, 1) + "\n");
      writeFileAtomic(path.join(dir, "index.html"), atlasHtml(data));
    } else if (fs.existsSync(json)) {
      data = JSON.parse(fs.readFileSync(json, "utf8")) as AtlasPageData;
    }
  } catch (e) {
    // The report must still be written: say why the section is missing instead.
    return `\n## Atlas\n\nNot written: ${(e as Error).message}\n`;
  }
  return data ? atlasMarkdown(data) : "";
}
