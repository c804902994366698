// Checks and figures of a paper run, shown in a notebook (HTML table, evidence and sanity
// apart) or as text elsewhere; measured values formatted the same way as in the report.
import { displayBundle, escapeHtml } from "../core/display";
import { Interval, isInterval } from "../metrics/intervals";
import { show } from "../plot/render";
import { Check, Measured } from "./types";
import type { PaperRun } from "./run";

/** A number as the report prints it (4 significant digits; integers exact). */
export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

function fmtInterval(iv: Interval): string {
  if (iv.n < 2 || !Number.isFinite(iv.lo)) return `${fmtNumber(iv.mean)} (1 seed)`;
  const what = iv.method === "bootstrap" ? "bootstrap" : "t";
  return `${fmtNumber(iv.mean)} [${fmtNumber(iv.lo)}, ${fmtNumber(iv.hi)}] (${Math.round(iv.level * 100)}% ${what}, n=${iv.n})`;
}

export function fmtMeasured(v: Measured): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return fmtNumber(v);
  if (isInterval(v)) return fmtInterval(v);
  return String(v);
}

/** "evidence: 5 of 7 hold; sanity: 3 of 3". */
export function checkCounts(checks: Check[]): string {
  const e = checks.filter((c) => c.kind === "evidence");
  const s = checks.filter((c) => c.kind === "sanity");
  return `evidence: ${e.filter((c) => c.pass).length} of ${e.length} hold; sanity: ${s.filter((c) => c.pass).length} of ${s.length}`;
}

const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A Markdown table of checks (kind, claim, measured, rule, seeds, result). */
export function checksMarkdown(checks: Check[]): string {
  const lines = ["| kind | claim | measured | pass rule | seeds | result |", "|---|---|---|---|---|---|"];
  for (const c of checks) {
    const fig = c.figure ? ` ([figure](${c.figure}))` : "";
    lines.push(
      `| ${c.kind} | ${esc(c.claim)}${fig} | ${esc(fmtMeasured(c.measured))} | ${esc(c.expected)} | ${c.seeds} | ${c.pass ? "✅ holds" : "❌ fails"} |`,
    );
  }
  return lines.join("\n");
}

function checksHtml(checks: Check[]): string {
  const block = (kind: Check["kind"], title: string) => {
    const cs = checks.filter((c) => c.kind === kind);
    if (!cs.length) return "";
    const rows = cs
      .map(
        (c) =>
          `<tr><td style="text-align:left">${escapeHtml(c.claim)}</td><td>${escapeHtml(fmtMeasured(c.measured))}</td><td>${escapeHtml(c.expected)}</td><td>${c.seeds}</td><td style="color:${c.pass ? "#1a7f37" : "#cf222e"}">${c.pass ? "holds" : "FAILS"}</td></tr>`,
      )
      .join("");
    return `<p><b>${title}</b></p><table class="initlab-checks initlab-${kind}"><thead><tr><th>claim</th><th>measured</th><th>pass rule</th><th>seeds</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>`;
  };
  return (
    `<p>${escapeHtml(checkCounts(checks))}</p>` +
    block("evidence", "Evidence (tests the paper's claim)") +
    block("sanity", "Sanity (pipeline and construction checks, not evidence)")
  );
}

export function checksText(checks: Check[]): string {
  return [
    checkCounts(checks),
    ...checks.map(
      (c) =>
        `[${c.kind} ${c.pass ? "holds" : "FAILS"}] ${c.claim}: measured ${fmtMeasured(c.measured)}, rule ${c.expected} (${c.seeds} seed${c.seeds === 1 ? "" : "s"})`,
    ),
  ].join("\n");
}

/** Shows a run's checks (a table in a notebook, text elsewhere). Returns nothing so a cell prints it once. */
export function showChecks(run: Pick<PaperRun, "checks">): void {
  const text = checksText(run.checks);
  if (
    !displayBundle({
      "text/html": checksHtml(run.checks),
      "text/markdown": checksMarkdown(run.checks),
      "text/plain": text,
    })
  )
    process.stdout.write(text + "\n");
}

/** Shows every figure of a run inline (the files were written by runPaper). */
export async function showFigures(run: Pick<PaperRun, "figures">, names?: string[]): Promise<void> {
  for (const f of run.figures) if (!names || names.includes(f.name)) await show(f.spec);
}

/** The measured values of a run as a small table (notebooks). */
export function showSummary(run: Pick<PaperRun, "summary">): void {
  const rows = Object.entries(run.summary);
  const text = rows.map(([k, v]) => `${k}: ${typeof v === "number" ? fmtNumber(v) : v}`).join("\n");
  const html = `<table class="initlab-summary"><tbody>${rows.map(([k, v]) => `<tr><td style="text-align:left">${escapeHtml(k)}</td><td>${escapeHtml(typeof v === "number" ? fmtNumber(v) : v)}</td></tr>`).join("")}</tbody></table>`;
  if (!displayBundle({ "text/html": html, "text/plain": text })) process.stdout.write(text + "\n");
}
