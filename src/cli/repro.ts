#!/usr/bin/env node
// The main job: execute notebooks headless (Debian's Jupyter + tslab), one at a time in the
// order the paper registry's `needs` give, then write the claim-vs-measured report from the
// per-paper results that runPaper wrote. A failing notebook never stops the others.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Size, SIZES } from "../core/types";
import { writeFileAtomic } from "../io/json";
import { figuresDir, projectRoot, resultsDir } from "../io/paths";
import "../papers/all";
import { defaultWorkers } from "../papers/parallel";
import { papers, runOrder } from "../papers/registry";
import { readPaperSummary } from "../papers/run";
import {
  mergeOutcomes,
  NotebookOutcome,
  overviewJson,
  readOverview,
  readPaperSummaries,
  summaryMarkdown,
} from "./summary";

interface Args {
  names: string[];
  size: string;
  dir: string;
  timeout: number;
  /** Seconds for a whole notebook (the runner stops it and its kernel after this). */
  notebookTimeout: number;
  out: string;
  /** Worker threads for the seeds of per-seed papers (INITLAB_WORKERS in the notebooks). */
  workers: number;
  /** Run nothing: rebuild results/summary.md and summary.json from the results files already there. */
  reportOnly: boolean;
}

const USAGE =
  "usage: npm run repro [-- <notebook names...>] [--size smoke|default|full] [--timeout SECONDS_PER_CELL] [--notebook-timeout SECONDS] [--workers N] [--dir NOTEBOOK_DIR] [--report-only]";

function parseArgs(argv: string[]): Args {
  const root = projectRoot();
  const a: Args = {
    names: [],
    size: process.env.INITLAB_SIZE || "default",
    dir: path.join(root, "notebooks"),
    timeout: 0,
    notebookTimeout: 0,
    out: path.join(root, "out", "notebooks"),
    workers: Number(process.env.INITLAB_WORKERS || defaultWorkers()),
    reportOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${t}: missing value\n${USAGE}`);
      return v;
    };
    if (t === "--size") a.size = val();
    else if (t.startsWith("--size=")) a.size = t.slice(7);
    else if (t === "--timeout") a.timeout = Number(val());
    else if (t === "--notebook-timeout") a.notebookTimeout = Number(val());
    else if (t === "--dir") a.dir = path.resolve(val());
    else if (t === "--workers") a.workers = Number(val());
    else if (t === "--report-only") a.reportOnly = true;
    else if (t === "--help" || t === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (t.startsWith("-")) throw new Error(`unknown option ${t}\n${USAGE}`);
    else a.names.push(t.replace(/\.ipynb$/, ""));
  }
  if (!SIZES.includes(a.size as never))
    throw new Error(`--size: unknown size "${a.size}" (known: ${SIZES.join(", ")})`);
  if (!a.timeout) a.timeout = a.size === "smoke" ? 600 : a.size === "default" ? 1800 : 7200;
  if (!Number.isFinite(a.timeout) || a.timeout <= 0) throw new Error("--timeout: must be a positive number of seconds");
  // A whole notebook gets more than one cell's limit; 3× the cell limit unless told.
  if (!a.notebookTimeout) a.notebookTimeout = 3 * a.timeout;
  if (!Number.isFinite(a.notebookTimeout) || a.notebookTimeout <= 0)
    throw new Error("--notebook-timeout: must be a positive number of seconds");
  if (!Number.isInteger(a.workers) || a.workers < 1)
    throw new Error(`--workers: must be a positive integer, got ${a.workers}`);
  return a;
}

function listNotebooks(a: Args): string[] {
  if (!fs.existsSync(a.dir)) throw new Error(`--dir: ${a.dir} does not exist`);
  const all = fs
    .readdirSync(a.dir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.slice(0, -6))
    .sort();
  const unknown = a.names.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`unknown notebook(s): ${unknown.join(", ")} (available: ${all.join(", ")})`);
  const chosen = a.names.length ? a.names : all;
  // Registered papers in `needs` order (a paper after those whose results it reads), then the rest.
  const registered = new Set(papers().map((p) => p.id));
  return [...runOrder(chosen.filter((n) => registered.has(n))), ...chosen.filter((n) => !registered.has(n)).sort()];
}

function fmt(s: number): string {
  return s < 60 ? `${s.toFixed(0)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

/** The runner child in flight (its own process group), so Ctrl-C can stop it and its kernel. */
let current: ReturnType<typeof spawn> | null = null;

function killGroup(sig: NodeJS.Signals): void {
  if (!current?.pid) return;
  try {
    process.kill(-current.pid, sig);
  } catch {
    // already gone
  }
}

function runOne(nb: string, a: Args, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; errors: string[]; wall: number }> {
  const root = projectRoot();
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(
      "/usr/bin/python3",
      [
        path.join(root, "scripts", "run_notebook.py"),
        "--in",
        path.join(a.dir, `${nb}.ipynb`),
        "--out",
        path.join(a.out, `${nb}.ipynb`),
        "--cwd",
        a.dir,
        "--timeout",
        String(a.timeout),
        "--notebook-timeout",
        String(a.notebookTimeout),
      ],
      // Own process group: a terminal's Ctrl-C reaches us, and we stop the runner on purpose.
      { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    current = child;
    // Backstop: the runner enforces the notebook timeout itself; if it hangs past it, kill the group.
    const backstop = setTimeout(() => killGroup("SIGKILL"), (a.notebookTimeout + 120) * 1000);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const tty = process.stdout.isTTY;
    const tick = setInterval(() => {
      if (tty) process.stdout.write(`\r  ${nb}: running ${fmt((Date.now() - t0) / 1000)}\x1b[K`);
    }, 1000);
    child.on("close", (code) => {
      clearInterval(tick);
      clearTimeout(backstop);
      current = null;
      if (tty) process.stdout.write("\r\x1b[K");
      const wall = (Date.now() - t0) / 1000;
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const r = JSON.parse(line) as { ok: boolean; errors: string[] };
        resolve({
          ok: r.ok && code === 0,
          errors: r.errors.length ? r.errors : code === 0 ? [] : [`runner exited with code ${code}`],
          wall,
        });
      } catch {
        resolve({
          ok: false,
          errors: [`notebook runner failed (exit ${code}): ${(err || out).trim().slice(-2000)}`],
          wall,
        });
      }
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const root = projectRoot();
  const size = a.size as Size;
  // --report-only runs no notebook; the report below merges the earlier outcomes with every results file.
  const names = a.reportOnly ? [] : listNotebooks(a);
  fs.mkdirSync(a.out, { recursive: true });
  const results = resultsDir(size);
  const runId = `${Date.now().toString(36)}-${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    INITLAB_SIZE: a.size,
    INITLAB_RUN_ID: runId,
    INITLAB_WORKERS: String(a.workers),
    JUPYTER_PATH: path.join(root, ".jupyter"),
    PATH: `${path.join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    PYTHONUNBUFFERED: "1",
  };
  console.log(
    `initlab repro: ${names.length} notebook(s), size ${a.size}, figures → ${figuresDir(size)}, results → ${results}`,
  );
  const outcomes: NotebookOutcome[] = [];
  // Ctrl-C: stop the notebook in flight (nbclient shuts its kernel down), record it and the ones
  // not run as failed, and still write the report; a second Ctrl-C kills the runner outright.
  let interrupted: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      killGroup("SIGKILL");
      return;
    }
    interrupted = sig;
    console.log(`\ninitlab repro: ${sig} received: stopping the running notebook; the report is still written`);
    killGroup("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const notRun: string[] = [];
  for (const [i, nb] of names.entries()) {
    if (interrupted) {
      notRun.push(nb); // keeps its previous entry in the report
      continue;
    }
    const r = await runOne(nb, a, env);
    if (interrupted) {
      r.ok = false;
      r.errors = [
        `interrupted (${interrupted}) after ${fmt(r.wall)}: the notebook was stopped before it finished`,
        ...r.errors,
      ];
    }
    const file = path.join(results, nb, "summary.json");
    const mine = readPaperSummary(nb, size);
    const errors = [...r.errors];
    if (r.ok && !(mine && mine.provenance?.runId === runId))
      errors.push(
        `the notebook wrote no results for paper "${nb}" (${path.relative(root, file)}): il.runPaper was not called for this id, or failed`,
      );
    const o: NotebookOutcome = {
      id: nb,
      status: errors.length ? "failed" : "ok",
      errors,
      size: a.size,
      wallSeconds: Math.round(r.wall * 10) / 10,
    };
    outcomes.push(o);
    const checks = o.status === "ok" && mine ? mine.checks : [];
    const ev = checks.filter((c) => c.kind === "evidence");
    console.log(
      `[${i + 1}/${names.length}] ${o.status === "ok" ? "ok    " : "FAILED"} ${nb}  ${fmt(o.wallSeconds)}  evidence ${ev.filter((c) => c.pass).length}/${ev.length}`,
    );
    for (const e of o.errors) console.log("    " + e.split("\n").slice(0, 6).join("\n    "));
  }
  const overviewFile = path.join(results, "summary.json");
  const merged = mergeOutcomes(readOverview(overviewFile), outcomes);
  const paperFiles = readPaperSummaries(results);
  writeFileAtomic(overviewFile, overviewJson(merged, paperFiles));
  const mdFile = path.join(results, "summary.md");
  // The atlas's section (and its page results/atlas/index.html) follows the per-paper report.
  const atlasSection = await (await import("../papers/atlas/page")).atlasReportSection(size);
  writeFileAtomic(
    mdFile,
    summaryMarkdown(merged, paperFiles, path.relative(results, figuresDir(size)) || ".") + atlasSection,
  );
  console.log("\nnotebook                         status  evidence  wall");
  for (const o of outcomes) {
    const ev = (o.status === "ok" ? (paperFiles.get(o.id)?.checks ?? []) : []).filter((c) => c.kind === "evidence");
    console.log(
      `${o.id.padEnd(32)} ${o.status.padEnd(7)} ${`${ev.filter((c) => c.pass).length}/${ev.length}`.padEnd(9)} ${fmt(o.wallSeconds)}`,
    );
  }
  console.log(`\nwrote ${path.relative(root, mdFile)} and ${path.relative(root, overviewFile)}`);
  if (notRun.length) console.log(`not run (interrupted): ${notRun.join(", ")}`);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (interrupted) return 130;
  return outcomes.every((o) => o.status === "ok") ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`initlab repro: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
