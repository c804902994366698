// `initlab analyze --report DIR`: one self-contained HTML page (figures inlined as SVG, no
// scripts, no network) plus every figure as SVG, PNG and PDF and the JSON report, so the
// folder reads offline and the figures drop into a paper.
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../io/json";
import { save } from "../plot/render";
import { barChart, lineChart, Row, VegaLiteSpec } from "../plot/specs";
import type { AnalyzeReport, AnalyzeTensorRow } from "./analyze-stream";

/** Layer index (first `.<digits>.` in the name) and module type (the part before `.weight`). */
export function layerAndModule(name: string): { layer: number | null; module: string } {
  const m = /(?:^|\.)(\d+)\./.exec(name);
  const parts = name.replace(/\.(weight|bias)$/, "").split(".");
  return { layer: m ? Number(m[1]) : null, module: parts[parts.length - 1] || name };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const num = (v: number | null, d = 4) =>
  v === null || !Number.isFinite(v) ? "n/a" : Number(v.toPrecision(d)).toString();

export interface ReportFigure {
  name: string;
  caption: string;
  spec: VegaLiteSpec;
}

/** The per-layer figures of a report (none when there is nothing to plot). */
export function reportFigures(rep: AnalyzeReport): ReportFigure[] {
  const t = rep.tensors.map((r: AnalyzeTensorRow) => ({ ...r, ...layerAndModule(r.name) }));
  if (!t.length) return [];
  const figs: ReportFigure[] = [];
  const layerLabel = (l: number | null) => (l === null ? "other" : String(l));
  // Intruders summed per layer and module type (stacked bars).
  const sums = new Map<string, Row>();
  for (const r of t) {
    const key = `${layerLabel(r.layer)}\u0000${r.module}`;
    const row = sums.get(key) ?? { layer: layerLabel(r.layer), module: r.module, intruders: 0 };
    row.intruders = (row.intruders as number) + r.intruders;
    sums.set(key, row);
  }
  figs.push({
    name: "intruders-per-layer",
    caption: `Intruder dimensions per layer and module type (k=${rep.options.k}, ε=${rep.options.epsilon})`,
    spec: barChart([...sums.values()], {
      x: "layer",
      y: "intruders",
      color: "module",
      title: "Intruder dimensions per layer",
      yTitle: "intruder dimensions",
    }),
  });
  const layered = t.filter((r) => r.layer !== null);
  const erRows: Row[] = [];
  for (const r of layered) {
    if (r.effectiveRankBase !== null)
      erRows.push({ layer: r.layer, module: r.module, checkpoint: "base", rank: r.effectiveRankBase });
    if (r.effectiveRankTuned !== null)
      erRows.push({ layer: r.layer, module: r.module, checkpoint: "tuned", rank: r.effectiveRankTuned });
  }
  if (erRows.length)
    figs.push({
      name: "effective-rank",
      caption: "Effective rank before (base) and after (tuned), per layer, one panel per module type",
      spec: lineChart(erRows, {
        x: "layer",
        y: "rank",
        color: "checkpoint",
        facet: "module",
        yTitle: "effective rank",
        width: 220,
        height: 140,
      }),
    });
  const rc = layered
    .filter((r) => Number.isFinite(r.relativeChange))
    .map((r) => ({ layer: r.layer, module: r.module, change: r.relativeChange }));
  if (rc.length)
    figs.push({
      name: "relative-change",
      caption: "Relative change ‖W_tuned − W_base‖_F / ‖W_base‖_F per layer and module type",
      spec: lineChart(rc, {
        x: "layer",
        y: "change",
        color: "module",
        title: "Relative weight change",
        yTitle: "relative change",
      }),
    });
  return figs;
}

/** Writes DIR/index.html, DIR/report.json and DIR/figures/<name>.{svg,png,pdf,vl.json}. */
export async function writeAnalyzeReport(
  rep: AnalyzeReport,
  dir: string,
  info: { base: string; tuned: string },
): Promise<{ html: string; figures: string[] }> {
  fs.mkdirSync(dir, { recursive: true });
  const figDir = path.join(dir, "figures");
  const figs = reportFigures(rep);
  const parts: string[] = [];
  for (const f of figs) {
    const saved = await save(f.spec, f.name, figDir);
    const svg = fs.readFileSync(saved.svg, "utf8").replace(/^<\?xml[^>]*>\s*/, "");
    const rel = (p: string) => esc(path.relative(dir, p).split(path.sep).join("/"));
    parts.push(
      `<figure id="${esc(f.name)}">${svg}<figcaption>${esc(f.caption)} — <a href="${rel(saved.svg)}">SVG</a> · ` +
        `<a href="${rel(saved.png)}">PNG</a> · <a href="${rel(saved.pdf)}">PDF</a></figcaption></figure>`,
    );
  }
  const rows = rep.tensors
    .map(
      (t) =>
        `<tr><td>${esc(t.name)}</td><td>${t.shape.join("×")}</td><td>${t.intruders}</td><td>${num(t.relativeChange)}</td>` +
        `<td>${num(t.effectiveRankBase)} → ${num(t.effectiveRankTuned)}</td><td>${num(t.stableRankBase)} → ${num(t.stableRankTuned)}</td></tr>`,
    )
    .join("\n");
  const skipped = rep.skipped.map((s) => `<li>${esc(s.name)}: ${esc(s.reason)}</li>`).join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>initlab analyze: ${esc(info.tuned)} vs ${esc(info.base)}</title>
<style>body{font-family:"DejaVu Sans",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
figure{margin:1.5em 0}svg{max-width:100%;height:auto}</style></head>
<body>
<h1>Checkpoint analysis</h1>
<p>base: <code>${esc(info.base)}</code><br>tuned: <code>${esc(info.tuned)}</code></p>
<p><strong>${rep.totals.intruders}</strong> intruder dimension(s) in ${rep.totals.tensors} tensor(s)
(top k=${rep.options.k} left singular vectors of the tuned [out, in] weights, ε=${rep.options.epsilon}).</p>
${parts.join("\n")}
<h2>Tensors</h2>
<table><thead><tr><th>tensor</th><th>shape</th><th>intruders</th><th>rel. change</th><th>effective rank</th><th>stable rank</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Skipped (${rep.skipped.length})</h2>
<ul>
${skipped}
</ul>
<p>Data: <a href="report.json">report.json</a>. Written by <code>initlab analyze --report</code>; no scripts, no network.</p>
</body></html>
`;
  const htmlFile = path.join(dir, "index.html");
  writeFileAtomic(path.join(dir, "report.json"), JSON.stringify(rep, null, 1) + "\n");
  writeFileAtomic(htmlFile, html);
  return { html: htmlFile, figures: figs.map((f) => f.name) };
}
