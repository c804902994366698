// Merging a finished sweep: once every job of a (paper, config) has its result in the local
// cache, runPaper reads them (no computation), combines the seeds and computes checks and
// figures. A preset sweep writes results/<id>/summary.json, figures/<id>/ and the report
// results/summary.{md,json} like `npm run repro`; a grid sweep writes each point under
// results/<id>/grid/<hash>/summary.json plus a table results/<id>/grid/summary.md, and never
// touches the preset's results. A (paper, config) with a failed job is not merged: the report
// marks it failed with the job's error.
import * as path from "path";
import { toJson, writeFileAtomic } from "../io/json";
import { figuresDir, resultsDir } from "../io/paths";
import { fmtMeasured } from "../papers/report";
import { getPaper } from "../papers/registry";
import { isTimingKey, PaperSummaryFile, runPaper } from "../papers/run";
import { hasResult } from "./sweep-exec";
import { jobLabel, pointHash, SweepJob, SweepPlan } from "./sweep-plan";
import {
  mergeOutcomes,
  NotebookOutcome,
  overviewJson,
  readOverview,
  readPaperSummaries,
  summaryMarkdown,
} from "./summary";

export interface FailedJob {
  job: SweepJob;
  attempts: number;
  error: string;
}

/** One merged (paper, grid point). */
export interface MergedPoint {
  paper: string;
  point: number;
  status: "ok" | "failed";
  errors: string[];
  evidence: { hold: number; total: number };
  /** Where its summary.json was written (null when failed). */
  file: string | null;
}

const firstLine = (s: string) => s.split("\n")[0].slice(0, 300);

function counts(checks: PaperSummaryFile["checks"], kind: "evidence" | "sanity") {
  const k = checks.filter((c) => c.kind === kind);
  return { hold: k.filter((c) => c.pass).length, total: k.length };
}

/** Merges every (paper, point) of the plan; `jobSeconds` sums compute time per paper (report column). */
export async function mergeSweep(
  plan: SweepPlan,
  failed: FailedJob[],
  onLine: (line: string) => void = () => {},
): Promise<MergedPoint[]> {
  const isGrid = plan.grid.length > 0;
  const merged: MergedPoint[] = [];
  const fileOf = new Map<string, PaperSummaryFile>();
  for (const paper of plan.papers) {
    for (let point = 0; point < plan.points.length; point++) {
      const jobs = plan.jobs.filter((j) => j.paper === paper && j.point === point);
      const errors = failed
        .filter((f) => f.job.paper === paper && f.job.point === point)
        .map((f) => `sweep job ${jobLabel(f.job, plan)} failed after ${f.attempts} attempt(s): ${firstLine(f.error)}`);
      for (const j of jobs)
        if (!errors.length && !hasResult(j)) errors.push(`sweep job ${jobLabel(j, plan)} has no result in the cache`);
      const base = { paper, point, errors, evidence: { hold: 0, total: 0 } };
      if (errors.length) {
        merged.push({ ...base, status: "failed", file: null });
        onLine(`FAILED ${paper}${isGrid ? ` point ${point}` : ""}: ${errors[0]}`);
        continue;
      }
      const config = jobs[0].config;
      // Every seed is cached, so runPaper only reads, combines and computes the checks.
      const run = await runPaper(paper, { size: plan.size, config, write: !isGrid, workers: 1 });
      let file = run.summaryFile;
      if (isGrid) {
        const all = getPaper(paper).summary?.(run.result, config) ?? {};
        const out: PaperSummaryFile & { grid: Record<string, unknown> } = {
          id: paper,
          citation: run.citation,
          claim: run.claim,
          size: plan.size,
          seeds: config.seeds,
          config,
          grid: plan.points[point],
          backend: run.backend,
          checks: run.checks,
          summary: run.summary,
          figures: [],
          provenance: {
            codeVersion: run.codeVersion,
            runId: process.env.INITLAB_RUN_ID ?? null,
            computeSeconds: Math.round(run.computeSeconds * 10) / 10,
            cached: run.cached,
            timings: Object.fromEntries(Object.entries(all).filter(([k]) => isTimingKey(k))),
          },
        };
        file = path.join(resultsDir(plan.size), paper, "grid", pointHash(config), "summary.json");
        writeFileAtomic(file, toJson(out, 2) + "\n");
        fileOf.set(`${paper}#${point}`, out);
      }
      const ev = counts(run.checks, "evidence");
      merged.push({ ...base, status: "ok", evidence: ev, file });
      onLine(`ok     ${paper}${isGrid ? ` point ${point}` : ""}: evidence ${ev.hold}/${ev.total}`);
    }
  }
  if (isGrid) writeGridTables(plan, merged, fileOf);
  return merged;
}

/** results/<id>/grid/summary.md: one row per grid point of this sweep. */
function writeGridTables(plan: SweepPlan, merged: MergedPoint[], files: Map<string, PaperSummaryFile>): void {
  const keys = plan.grid.map((g) => g.key);
  for (const paper of plan.papers) {
    const rows = [
      `# ${paper}: grid sweep (size \`${plan.size}\`)`,
      "",
      `Each point is the \`${plan.size}\` preset with the values shown; seeds ${plan.jobs.find((j) => j.paper === paper)?.config.seeds.join(", ")}. Folders hold each point's summary.json.`,
      "",
      `| point | ${keys.join(" | ")} | evidence | evidence measured | status |`,
      `|---|${keys.map(() => "---|").join("")}---|---|---|`,
    ];
    for (const m of merged.filter((x) => x.paper === paper)) {
      const f = files.get(`${paper}#${m.point}`);
      const cfg = plan.jobs.find((j) => j.paper === paper && j.point === m.point)!.config;
      const ev = f ? f.checks.filter((c) => c.kind === "evidence") : [];
      const cell = (s: string) => s.replace(/\|/g, "\\|");
      rows.push(
        `| [${pointHash(cfg)}](${pointHash(cfg)}/summary.json) | ${keys.map((k) => cell(toJson(plan.points[m.point][k]))).join(" | ")} | ${f ? `${m.evidence.hold}/${m.evidence.total}` : "–"} | ${cell(ev.map((c) => fmtMeasured(c.measured)).join("; ") || "–")} | ${m.status === "ok" ? "ok" : `**failed**: ${cell(m.errors[0])}`} |`,
      );
    }
    writeFileAtomic(path.join(resultsDir(plan.size), paper, "grid", "summary.md"), rows.join("\n") + "\n");
  }
}

/** results/summary.{md,json} with the swept papers' outcomes (a preset sweep only), as repro writes them. */
export function writeReport(plan: SweepPlan, merged: MergedPoint[], jobSeconds: Map<string, number>): string[] {
  if (plan.grid.length) return plan.papers.map((p) => path.join(resultsDir(plan.size), p, "grid", "summary.md"));
  const results = resultsDir(plan.size);
  const outcomes: NotebookOutcome[] = merged.map((m) => ({
    id: m.paper,
    status: m.status,
    errors: m.errors,
    size: plan.size,
    wallSeconds: Math.round((jobSeconds.get(m.paper) ?? 0) * 10) / 10,
  }));
  const overviewFile = path.join(results, "summary.json");
  const all = mergeOutcomes(readOverview(overviewFile), outcomes);
  const papers = readPaperSummaries(results);
  writeFileAtomic(overviewFile, overviewJson(all, papers));
  const md = path.join(results, "summary.md");
  writeFileAtomic(md, summaryMarkdown(all, papers, path.relative(results, figuresDir(plan.size)) || "."));
  return [md, overviewFile];
}
