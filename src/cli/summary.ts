// results/summary.{json,md}: the claim-vs-measured report over all notebooks.
import * as fs from "fs";
import * as path from "path";
import { Check } from "../experiments/types";
import { checksMarkdown, fmtMeasured, NotebookReport } from "../experiments/report";

export interface NotebookOutcome {
  notebook: string;
  status: "ok" | "failed";
  /** Why it failed (execution errors, stderr, missing checks). */
  errors: string[];
  size: string;
  wallSeconds: number;
  paper?: string;
  claim?: string;
  backend?: string;
  checks: Check[];
  summary?: Record<string, number | string>;
  figures?: string[];
}

export interface Summary {
  notebooks: NotebookOutcome[];
}

export function readSummary(file: string): Summary {
  if (!fs.existsSync(file)) return { notebooks: [] };
  try {
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as Summary;
    return Array.isArray(s.notebooks) ? s : { notebooks: [] };
  } catch {
    return { notebooks: [] };
  }
}

/** Replaces the outcomes of re-run notebooks, keeps the others, sorts by name. */
export function mergeOutcomes(old: Summary, fresh: NotebookOutcome[]): Summary {
  const byName = new Map(old.notebooks.map((n) => [n.notebook, n]));
  for (const n of fresh) byName.set(n.notebook, n);
  return { notebooks: [...byName.values()].sort((a, b) => a.notebook.localeCompare(b.notebook)) };
}

export function outcomeFrom(notebook: string, report: NotebookReport | null, run: { ok: boolean; errors: string[]; wall: number }, size: string): NotebookOutcome {
  const errors = [...run.errors];
  if (run.ok && !report) errors.push("the notebook reported no checks (il.reportChecks was not called)");
  return {
    notebook,
    status: errors.length === 0 ? "ok" : "failed",
    errors,
    size,
    wallSeconds: Math.round(run.wall * 10) / 10,
    paper: report?.paper,
    claim: report?.claim,
    backend: report?.backend,
    checks: report?.checks ?? [],
    summary: report?.summary,
    figures: report?.figures,
  };
}

function firstLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  const msg = lines.find((l) => /Error|error TS|FAIL|failed|timed out|died/.test(l)) ?? lines[0] ?? s;
  return msg.length > 300 ? msg.slice(0, 300) + "…" : msg;
}

/** Markdown report: overview table, then one section per notebook with its key figure. */
export function summaryMarkdown(s: Summary, figuresRel: string): string {
  const out: string[] = ["# initlab: claim vs measured", ""];
  const ok = s.notebooks.filter((n) => n.status === "ok").length;
  const checks = s.notebooks.flatMap((n) => n.checks);
  out.push(`${s.notebooks.length} notebooks, ${ok} ran cleanly; ${checks.filter((c) => c.pass).length} of ${checks.length} checks pass.`, "");
  out.push("| notebook | paper | checks passed | run | size | wall time |", "|---|---|---|---|---|---|");
  for (const n of s.notebooks) {
    const p = n.checks.filter((c) => c.pass).length;
    out.push(`| [${n.notebook}](#${n.notebook.toLowerCase().replace(/[^a-z0-9-]/g, "")}) | ${(n.paper ?? "").replace(/\|/g, "\\|")} | ${p}/${n.checks.length} | ${n.status === "ok" ? "ok" : "**failed**"} | ${n.size} | ${n.wallSeconds.toFixed(0)} s |`);
  }
  for (const n of s.notebooks) {
    out.push("", `## ${n.notebook}`, "");
    if (n.paper) out.push(`**Paper.** ${n.paper}`, "");
    if (n.claim) out.push(`**Claim.** ${n.claim}`, "");
    out.push(`**Run.** ${n.status}, size \`${n.size}\`, ${n.wallSeconds.toFixed(0)} s${n.backend ? `, backend ${n.backend}` : ""}.`, "");
    if (n.errors.length) out.push("**Errors.**", "", ...n.errors.map((e) => `- ${firstLine(e)}`), "");
    if (n.checks.length) out.push(checksMarkdown(n.checks), "");
    if (n.summary && Object.keys(n.summary).length) {
      out.push("Measured: " + Object.entries(n.summary).map(([k, v]) => `${k} = ${fmtMeasured(v)}`).join(", ") + ".", "");
    }
    const key = n.figures?.[0];
    if (key) out.push(`![${key}](${figuresRel}/${key}.png)`, "");
  }
  return out.join("\n") + "\n";
}
