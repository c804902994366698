// Checks as a table in the notebook, and as JSON the headless runner collects into
// results/summary.{md,json}.
import * as fs from "fs";
import * as path from "path";
import { activeBackend } from "../core/backend";
import { ensureDir, resultsDir } from "../io/paths";
import { displayBundle, escapeHtml } from "../core/display";
import { fail } from "../core/validate";
import { Check, Size } from "../core/types";

export interface NotebookReport {
  notebook: string;
  paper?: string;
  claim?: string;
  size?: Size | string;
  backend?: string;
  checks: Check[];
  summary?: Record<string, number | string>;
  /** Figure names (files under figures/) worth showing in the report; first is the key figure. */
  figures?: string[];
}

export function fmtMeasured(v: number | string): string {
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** A Markdown table of checks. */
export function checksMarkdown(checks: Check[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = ["| claim | measured | expected | pass |", "|---|---|---|---|"];
  for (const c of checks) lines.push(`| ${esc(c.claim)} | ${esc(fmtMeasured(c.measured))} | ${esc(c.expected)} | ${c.pass ? "✅ pass" : "❌ fail"} |`);
  return lines.join("\n");
}

function checksHtml(checks: Check[]): string {
  const rows = checks
    .map((c) => `<tr><td style="text-align:left">${escapeHtml(c.claim)}</td><td>${escapeHtml(fmtMeasured(c.measured))}</td><td>${escapeHtml(c.expected)}</td><td style="color:${c.pass ? "#1a7f37" : "#cf222e"}">${c.pass ? "pass" : "FAIL"}</td></tr>`)
    .join("");
  return `<table class="initlab-checks"><thead><tr><th>claim</th><th>measured</th><th>expected</th><th>pass</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function checksText(checks: Check[]): string {
  return checks.map((c) => `[${c.pass ? "pass" : "FAIL"}] ${c.claim}: measured ${fmtMeasured(c.measured)}, expected ${c.expected}`).join("\n");
}

/** Validates a report's checks (each has claim, measured, expected, boolean pass). */
function validateChecks(checks: Check[]): void {
  if (!Array.isArray(checks)) fail("checks", "must be an array");
  checks.forEach((c, i) => {
    if (!c || typeof c.claim !== "string" || typeof c.expected !== "string" || typeof c.pass !== "boolean") {
      fail("checks", `entry ${i} must have claim (string), measured, expected (string) and pass (boolean)`);
    }
    if (typeof c.measured !== "number" && typeof c.measured !== "string") fail("checks", `entry ${i} measured must be a number or string`);
  });
}

/**
 * Shows the checks table in the notebook (text elsewhere) and writes
 * results/checks/<notebook>.json. Returns nothing so a notebook cell doesn't print it twice.
 */
export function reportChecks(report: NotebookReport): void {
  if (!report || typeof report.notebook !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(report.notebook)) {
    fail("report.notebook", "must be a file-name-safe notebook name");
  }
  validateChecks(report.checks);
  const full: NotebookReport = { ...report, backend: report.backend ?? activeBackend() };
  const dir = ensureDir(path.join(resultsDir(), "checks"));
  fs.writeFileSync(path.join(dir, `${report.notebook}.json`), JSON.stringify(full, null, 2) + "\n");
  const text = checksText(report.checks);
  if (!displayBundle({ "text/html": checksHtml(report.checks), "text/markdown": checksMarkdown(report.checks), "text/plain": text })) {
    process.stdout.write(text + "\n");
  }
}
