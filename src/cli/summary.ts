// results/summary.{json,md}: the claim-vs-measured report over all notebooks.
import * as fs from "fs";
import * as path from "path";
import { Check } from "../core/types";
import { checksMarkdown, fmtMeasured, NotebookReport } from "../papers/report";

export interface NotebookOutcome {
  notebook: string;
  status: "ok" | "failed";
  /** Why it failed (execution errors, stderr, missing checks). */
  errors: string[];
  size: string;
  /** Durations (wallSeconds from the runner, plus the notebook's own timing values). */
  timings: Record<string, number>;
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

/**
 * Summary keys that name a duration (ending in seconds/Seconds/ms/Ms, or an Overhead
 * ratio of durations) are timings: they vary run to run, so they are kept apart from
 * the measured numbers, which are identical for the same seed.
 */
export function isTimingKey(key: string): boolean {
  return /(^|[a-z0-9_ ])(seconds|Seconds|ms|Ms|overhead|Overhead|perSecond|PerSecond)$/.test(key);
}

/** On disk: notebooks without timings, then all timings in one separate object. */
export function summaryJson(s: Summary): string {
  const notebooks = s.notebooks.map(({ timings, ...rest }) => rest);
  const timings = Object.fromEntries(s.notebooks.map((n) => [n.notebook, n.timings]));
  return JSON.stringify({ notebooks, timings }, null, 2) + "\n";
}

export function readSummary(file: string): Summary {
  if (!fs.existsSync(file)) return { notebooks: [] };
  try {
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { notebooks?: NotebookOutcome[]; timings?: Record<string, Record<string, number>> };
    if (!Array.isArray(raw.notebooks)) return { notebooks: [] };
    return {
      notebooks: raw.notebooks.map((n) => {
        // Files from before timings were split out kept wallSeconds and timing keys inline.
        const { wallSeconds, ...rest } = n as NotebookOutcome & { wallSeconds?: number };
        const timings = raw.timings?.[n.notebook] ?? n.timings ?? { wallSeconds: wallSeconds ?? NaN };
        return { ...rest, timings: { ...(pick(n.summary, true) as Record<string, number>), ...timings }, summary: n.summary ? pick(n.summary, false) : undefined };
      }),
    };
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

function pick(summary: Record<string, number | string> | undefined, timing: boolean): Record<string, number | string> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([k]) => isTimingKey(k) === timing));
}

export function outcomeFrom(notebook: string, report: NotebookReport | null, run: { ok: boolean; errors: string[]; wall: number }, size: string): NotebookOutcome {
  const errors = [...run.errors];
  if (run.ok && !report) errors.push("the notebook reported no checks (il.reportChecks was not called)");
  return {
    notebook,
    status: errors.length === 0 ? "ok" : "failed",
    errors,
    size,
    // The runner's wall time wins over a notebook's own "wallSeconds" summary value.
    timings: { ...(pick(report?.summary, true) as Record<string, number>), wallSeconds: Math.round(run.wall * 10) / 10 },
    paper: report?.paper,
    claim: report?.claim,
    backend: report?.backend,
    checks: report?.checks ?? [],
    summary: report?.summary ? pick(report.summary, false) : undefined,
    figures: report?.figures,
  };
}

function firstLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  const msg = lines.find((l) => /Error|error TS|FAIL|failed|timed out|died/.test(l)) ?? lines[0] ?? s;
  return msg.length > 300 ? msg.slice(0, 300) + "…" : msg;
}

/** "2 min 19 s" / "31 s": wall times a reader scans in the overview. */
function fmtWall(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.round(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, "0")} s`;
}

/**
 * "Garrido et al. 2023" from a citation like "Garrido, Balestriero, Najman, LeCun. RankMe: …
 * ICML 2023." — short enough for the overview table; the full citation is in the section.
 * Falls back to the citation cut at a word boundary when it has no year.
 */
export function shortPaper(paper: string | undefined): string {
  if (!paper) return "";
  // A year, not the start of an arXiv id such as 2003.12345.
  const year = /\b((?:19|20)\d{2})\b(?!\.\d)/.exec(paper)?.[1];
  const names = paper.replace(/^\s*(?:[A-Z]\.\s*)+/, ""); // drop leading initials: "A. Power" → "Power"
  const m = /^([^,.&;()]+?)\s*(,|&|\band\b|\.|\(|$)/.exec(names);
  if (year && m && m[1].trim()) {
    const surname = (s: string) => s.trim().split(/\s+/).pop() ?? s;
    let who = surname(m[1]);
    const second = /^[^,.&;()]+/.exec(names.slice(m[0].length).replace(/^\s*(?:[A-Z]\.\s*)+/, ""))?.[0];
    if ((m[2] === "&" || m[2] === "and") && second) who += ` & ${surname(second)}`;
    else if (m[2] === ",") who += " et al.";
    return `${who} ${year}`;
  }
  if (paper.length <= 60) return paper;
  return paper.slice(0, 60).replace(/\s+\S*$/, "") + "…";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Markdown report: overview table, then one section per notebook with its key figure. */
export function summaryMarkdown(s: Summary, figuresRel: string): string {
  const out: string[] = ["# initlab: claim vs measured", ""];
  const ok = s.notebooks.filter((n) => n.status === "ok").length;
  const checks = s.notebooks.flatMap((n) => n.checks);
  const sizes = [...new Set(s.notebooks.map((n) => n.size))];
  out.push(
    `${s.notebooks.length} notebook${s.notebooks.length === 1 ? "" : "s"}, ${ok} ran cleanly; **${checks.filter((c) => c.pass).length} of ${checks.length} checks pass** (size preset${sizes.length === 1 ? "" : "s"}: ${sizes.map((z) => `\`${z}\``).join(", ") || "none"}).`,
    "",
    "Each section gives the paper's claim, the checks (each measured value against its pass rule), every measured value, and the key figure." +
      (sizes.includes("smoke") ? " `smoke` runs only show that the pipeline works; read effect sizes from `default` or `full` runs." : ""),
    "",
  );
  out.push("| notebook | paper | checks | run | size | wall time |", "|---|---|---|---|---|---|");
  for (const n of s.notebooks) {
    const p = n.checks.filter((c) => c.pass).length;
    const mark = n.checks.length === 0 ? "–" : p === n.checks.length ? `✅ ${p}/${n.checks.length}` : `❌ ${p}/${n.checks.length}`;
    const anchor = n.notebook.toLowerCase().replace(/[^a-z0-9_ -]/g, "").replace(/ /g, "-");
    out.push(`| [${cell(n.notebook)}](#${anchor}) | ${cell(shortPaper(n.paper))} | ${mark} | ${n.status === "ok" ? "ok" : "**failed**"} | \`${n.size}\` | ${fmtWall(n.timings.wallSeconds)} |`);
  }
  for (const n of s.notebooks) {
    out.push("", `## ${n.notebook}`, "");
    if (n.paper) out.push(`**Paper.** ${n.paper}`, "");
    if (n.claim) out.push(`**Claim.** ${n.claim}`, "");
    out.push(`**Run.** ${n.status === "ok" ? "ran cleanly" : "**failed**"} · size \`${n.size}\` · ${fmtWall(n.timings.wallSeconds)}${n.backend ? ` · backend ${n.backend}` : ""}`, "");
    if (n.errors.length) out.push("**Errors.**", "", ...n.errors.map((e) => `- ${firstLine(e)}`), "");
    if (n.checks.length) out.push(checksMarkdown(n.checks), "");
    const measured = Object.entries(n.summary ?? {});
    if (measured.length) {
      out.push(`<details><summary>All measured values (${measured.length})</summary>`, "", "| quantity | value |", "|---|---|");
      for (const [k, v] of measured) out.push(`| ${cell(k)} | ${cell(fmtMeasured(v))} |`);
      out.push("", "</details>", "");
    }
    const times = Object.entries(n.timings).filter(([k]) => k !== "wallSeconds");
    if (times.length) out.push(`Timings (vary run to run): ${times.map(([k, v]) => `${k} = ${fmtMeasured(v)}`).join(", ")}.`, "");
    const [key, ...rest] = n.figures ?? [];
    if (key) {
      out.push(`![${key}](${figuresRel}/${key}.png)`, "");
      if (rest.length) out.push(`More figures: ${rest.map((f) => `[${f}](${figuresRel}/${f}.png)`).join(", ")} (each also as \`.svg\` and vega-lite \`.vl.json\`).`, "");
    }
  }
  return out.join("\n") + "\n";
}
