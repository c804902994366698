// The claim-vs-measured report: results/summary.{md,json} built from every paper's
// results/<id>/summary.json (written by runPaper) and the runner's outcome per notebook.
// The headline counts evidence checks only; sanity checks are listed apart.
import * as fs from "fs";
import * as path from "path";
import { fromJson, toJson } from "../io/json";
import { isInterval } from "../metrics/intervals";
import { formatCitation, shortCitation } from "../papers/registry";
import { fmtMeasured, fmtNumber } from "../papers/report";
import type { PaperSummaryFile } from "../papers/run";
import { Check } from "../papers/types";

/** The runner's view of one notebook: did it run cleanly, and how long it took. */
export interface NotebookOutcome {
  id: string;
  status: "ok" | "failed";
  /** Why it failed (execution errors, stderr, no results written). */
  errors: string[];
  size: string;
  wallSeconds: number;
}

/** results/summary.json: the runner's outcomes (timings kept apart so same-seed runs compare equal). */
export interface Overview {
  notebooks: Array<Omit<NotebookOutcome, "wallSeconds">>;
  timings: Record<string, { wallSeconds: number; computeSeconds?: number }>;
}

export function readOverview(file: string): NotebookOutcome[] {
  if (!fs.existsSync(file)) return [];
  try {
    const raw = fromJson<Partial<Overview>>(fs.readFileSync(file, "utf8"), file);
    if (!Array.isArray(raw.notebooks)) return [];
    return raw.notebooks
      .filter((n) => n && typeof n.id === "string")
      .map((n) => ({
        ...n,
        errors: Array.isArray(n.errors) ? n.errors : [],
        wallSeconds: raw.timings?.[n.id]?.wallSeconds ?? NaN,
      }));
  } catch {
    return []; // an unreadable overview (e.g. the pre-registry format) is rebuilt from this run
  }
}

/** Replaces the outcomes of re-run notebooks, keeps the others, sorts by id. */
export function mergeOutcomes(old: NotebookOutcome[], fresh: NotebookOutcome[]): NotebookOutcome[] {
  const by = new Map(old.map((o) => [o.id, o]));
  for (const o of fresh) by.set(o.id, o);
  return [...by.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export function overviewJson(outcomes: NotebookOutcome[], papers: Map<string, PaperSummaryFile>): string {
  const o: Overview = {
    notebooks: outcomes.map(({ wallSeconds: _w, ...rest }) => rest),
    timings: Object.fromEntries(
      outcomes.map((n) => [
        n.id,
        { wallSeconds: n.wallSeconds, computeSeconds: papers.get(n.id)?.provenance.computeSeconds },
      ]),
    ),
  };
  return toJson(o, 2) + "\n";
}

function firstLine(s: string): string {
  const lines = s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const msg = lines.find((l) => /Error|error TS|FAIL|failed|timed out|died/.test(l)) ?? lines[0] ?? s;
  return msg.length > 300 ? msg.slice(0, 300) + "…" : msg;
}

/** "2 min 19 s" / "31 s". */
export function fmtWall(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.round(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, "0")} s`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const count = (cs: Check[], kind: Check["kind"]) => {
  const k = cs.filter((c) => c.kind === kind);
  return { hold: k.filter((c) => c.pass).length, total: k.length };
};
const mark = ({ hold, total }: { hold: number; total: number }) =>
  total === 0 ? "–" : `${hold === total ? "✅" : "❌"} ${hold}/${total}`;

function seedsText(p: PaperSummaryFile | undefined): string {
  if (!p) return "–";
  const n = p.seeds.length;
  const per = [...new Set(p.checks.filter((c) => c.kind === "evidence").map((c) => c.seeds))].sort((a, b) => a - b);
  return per.length && (per.length > 1 || per[0] !== n) ? `${n} (checks: ${per.join(", ")})` : String(n);
}

function checkTable(checks: Check[], figRel: string): string[] {
  const out = ["| claim | measured | pass rule | seeds | result |", "|---|---|---|---|---|"];
  for (const c of checks) {
    const m = cell(fmtMeasured(c.measured));
    const measured = c.figure ? `[${m}](${figRel}/${c.figure}.png)` : m;
    out.push(
      `| ${cell(c.claim)} | ${measured} | ${cell(c.expected)} | ${c.seeds} | ${c.pass ? "✅ holds" : "❌ fails"} |`,
    );
  }
  return out;
}

/** The Markdown report. `figuresRel` is the figures folder relative to the report. */
export function summaryMarkdown(
  outcomes: NotebookOutcome[],
  papers: Map<string, PaperSummaryFile>,
  figuresRel: string,
): string {
  const ids = [...new Set([...outcomes.map((o) => o.id), ...papers.keys()])].sort();
  const all = ids.flatMap((id) => papers.get(id)?.checks ?? []);
  const ev = count(all, "evidence");
  const sa = count(all, "sanity");
  const ok = outcomes.filter((o) => o.status === "ok").length;
  const sizes = [
    ...new Set(ids.map((id) => papers.get(id)?.size ?? outcomes.find((o) => o.id === id)?.size).filter(Boolean)),
  ];
  const out: string[] = ["# initlab: claim vs measured", ""];
  out.push(
    `${ids.length} paper${ids.length === 1 ? "" : "s"}, ${ok} of ${outcomes.length} notebooks ran cleanly. **Evidence: ${ev.hold} of ${ev.total} checks hold; sanity: ${sa.hold} of ${sa.total}** (size${sizes.length === 1 ? "" : "s"}: ${sizes.map((z) => `\`${z}\``).join(", ") || "none"}).`,
    "",
    "Evidence checks test a paper's claim at toy scale and could fail if the claim were false there; sanity checks are pipeline and construction checks (parameter counts, closed forms, the loss going down) and are never counted as evidence. " +
      "Measured values over several seeds show the mean and a 95% interval (Student t over seeds, or of the paired difference); the pass rule is stated on that interval. Each measured value links to the figure that shows it, where there is one." +
      (sizes.includes("smoke")
        ? " `smoke` runs only show that the pipeline works; read effects from `default` or `full` runs."
        : ""),
    "",
  );
  out.push(
    "| paper | citation | evidence | sanity | seeds | run | size | wall time |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const id of ids) {
    const p = papers.get(id);
    const o = outcomes.find((x) => x.id === id);
    const run = !o ? "not run" : o.status === "ok" ? "ok" : "**failed**";
    out.push(
      `| [${cell(id)}](#${id}) | ${p ? cell(shortCitation(p.citation)) : ""} | ${p ? mark(count(p.checks, "evidence")) : "–"} | ${p ? mark(count(p.checks, "sanity")) : "–"} | ${seedsText(p)} | ${run} | \`${p?.size ?? o?.size ?? "?"}\` | ${fmtWall(o?.wallSeconds ?? NaN)} |`,
    );
  }
  for (const id of ids) {
    const p = papers.get(id);
    const o = outcomes.find((x) => x.id === id);
    const figRel = `${figuresRel}/${id}`;
    out.push("", `## ${id}`, "");
    if (p) {
      out.push(
        `**Paper.** ${formatCitation(p.citation)}${p.citation.code ? ` · [code](${p.citation.code})` : ""}`,
        "",
        `**Claim.** ${p.claim}`,
        "",
      );
    }
    const runBits = [
      o ? (o.status === "ok" ? "ran cleanly" : "**failed**") : "not run by the runner",
      `size \`${p?.size ?? o?.size ?? "?"}\``,
    ];
    if (p) runBits.push(`seeds ${p.seeds.join(", ")}`, `backend ${p.backend}`);
    if (o) runBits.push(fmtWall(o.wallSeconds));
    out.push(`**Run.** ${runBits.join(" · ")}`, "");
    if (o?.errors.length) out.push("**Errors.**", "", ...o.errors.map((e) => `- ${cell(firstLine(e))}`), "");
    if (!p) continue;
    const evid = p.checks.filter((c) => c.kind === "evidence");
    const san = p.checks.filter((c) => c.kind === "sanity");
    if (evid.length)
      out.push(
        `**Evidence** (${count(evid, "evidence").hold} of ${evid.length} hold)`,
        "",
        ...checkTable(evid, figRel),
        "",
      );
    if (san.length)
      out.push(
        `**Sanity** (${count(san, "sanity").hold} of ${san.length}; not evidence)`,
        "",
        ...checkTable(san, figRel),
        "",
      );
    const measured = Object.entries(p.summary ?? {});
    if (measured.length) {
      out.push(
        `<details><summary>All measured values (${measured.length})</summary>`,
        "",
        "| quantity | value |",
        "|---|---|",
      );
      for (const [k, v] of measured)
        out.push(
          `| ${cell(k)} | ${cell(typeof v === "number" ? fmtNumber(v) : isInterval(v) ? fmtMeasured(v) : String(v))} |`,
        );
      out.push("", "</details>", "");
    }
    const [key, ...rest] = p.figures ?? [];
    if (key) {
      out.push(`![${key}](${figRel}/${key}.png)`, "");
      if (rest.length) out.push(`More figures: ${rest.map((f) => `[${f}](${figRel}/${f}.png)`).join(", ")}.`, "");
    }
  }
  return out.join("\n") + "\n";
}

/** Reads every results/<id>/summary.json under `dir`. */
export function readPaperSummaries(dir: string): Map<string, PaperSummaryFile> {
  const out = new Map<string, PaperSummaryFile>();
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const f = path.join(dir, e.name, "summary.json");
    if (!fs.existsSync(f)) continue;
    try {
      const s = fromJson<PaperSummaryFile>(fs.readFileSync(f, "utf8"), f);
      if (s && s.id === e.name && Array.isArray(s.checks)) out.set(s.id, s);
    } catch {
      // unreadable: reported as missing results by the runner
    }
  }
  return out;
}
