#!/usr/bin/env node
// The main job: execute notebooks headless (Debian's Jupyter + tslab), one at a time,
// collect their checks, write results/summary.{md,json}. A failing notebook never stops
// the others.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NotebookReport } from "../papers/report";
import { SIZES } from "../core/types";
import { figuresDir, projectRoot, resultsDir } from "../io/paths";
import { mergeOutcomes, NotebookOutcome, outcomeFrom, readSummary, summaryJson, summaryMarkdown } from "./summary";

interface Args {
  names: string[];
  size: string;
  dir: string;
  timeout: number;
  out: string;
}

const USAGE = "usage: npm run repro [-- <notebook names...>] [--size smoke|default|full] [--timeout SECONDS_PER_CELL] [--dir NOTEBOOK_DIR]";

function parseArgs(argv: string[]): Args {
  const root = projectRoot();
  const a: Args = { names: [], size: process.env.INITLAB_SIZE || "default", dir: path.join(root, "notebooks"), timeout: 0, out: path.join(root, "out", "notebooks") };
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
    else if (t === "--dir") a.dir = path.resolve(val());
    else if (t === "--help" || t === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (t.startsWith("-")) throw new Error(`unknown option ${t}\n${USAGE}`);
    else a.names.push(t.replace(/\.ipynb$/, ""));
  }
  if (!SIZES.includes(a.size as never)) throw new Error(`--size: unknown size "${a.size}" (known: ${SIZES.join(", ")})`);
  if (!a.timeout) a.timeout = a.size === "smoke" ? 600 : a.size === "default" ? 1800 : 7200;
  if (!Number.isFinite(a.timeout) || a.timeout <= 0) throw new Error("--timeout: must be a positive number of seconds");
  return a;
}

function listNotebooks(a: Args): string[] {
  if (!fs.existsSync(a.dir)) throw new Error(`--dir: ${a.dir} does not exist`);
  const all = fs.readdirSync(a.dir).filter((f) => f.endsWith(".ipynb")).map((f) => f.slice(0, -6)).sort();
  if (a.names.length === 0) return all;
  const unknown = a.names.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`unknown notebook(s): ${unknown.join(", ")} (available: ${all.join(", ")})`);
  return a.names;
}

function fmt(s: number): string {
  return s < 60 ? `${s.toFixed(0)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

function runOne(nb: string, a: Args, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; errors: string[]; wall: number }> {
  const root = projectRoot();
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn("/usr/bin/python3", [path.join(root, "scripts", "run_notebook.py"), "--in", path.join(a.dir, `${nb}.ipynb`), "--out", path.join(a.out, `${nb}.ipynb`), "--cwd", a.dir, "--timeout", String(a.timeout)], { env, stdio: ["ignore", "pipe", "pipe"] });
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
      if (tty) process.stdout.write("\r\x1b[K");
      const wall = (Date.now() - t0) / 1000;
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const r = JSON.parse(line) as { ok: boolean; errors: string[] };
        resolve({ ok: r.ok && code === 0, errors: r.errors.length ? r.errors : code === 0 ? [] : [`runner exited with code ${code}`], wall });
      } catch {
        resolve({ ok: false, errors: [`notebook runner failed (exit ${code}): ${(err || out).trim().slice(-2000)}`], wall });
      }
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const root = projectRoot();
  const names = listNotebooks(a);
  fs.mkdirSync(a.out, { recursive: true });
  const results = resultsDir();
  const checksDir = path.join(results, "checks");
  fs.mkdirSync(checksDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    INITLAB_SIZE: a.size,
    INITLAB_FIGURES: figuresDir(),
    INITLAB_RESULTS: results,
    JUPYTER_PATH: path.join(root, ".jupyter"),
    PATH: `${path.join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    PYTHONUNBUFFERED: "1",
  };
  console.log(`initlab repro: ${names.length} notebook(s), size ${a.size}, figures → ${figuresDir()}, results → ${results}`);
  const outcomes: NotebookOutcome[] = [];
  for (const [i, nb] of names.entries()) {
    const checksFile = path.join(checksDir, `${nb}.json`);
    fs.rmSync(checksFile, { force: true }); // never report a previous run's checks
    const r = await runOne(nb, a, env);
    let report: NotebookReport | null = null;
    if (fs.existsSync(checksFile)) report = JSON.parse(fs.readFileSync(checksFile, "utf8"));
    const o = outcomeFrom(nb, report, r, a.size);
    outcomes.push(o);
    const p = o.checks.filter((c) => c.pass).length;
    console.log(`[${i + 1}/${names.length}] ${o.status === "ok" ? "ok    " : "FAILED"} ${nb}  ${fmt(o.timings.wallSeconds)}  checks ${p}/${o.checks.length}`);
    for (const e of o.errors) console.log("    " + e.split("\n").slice(0, 6).join("\n    "));
  }
  const jsonFile = path.join(results, "summary.json");
  const summary = mergeOutcomes(readSummary(jsonFile), outcomes);
  fs.writeFileSync(jsonFile, summaryJson(summary));
  const mdFile = path.join(results, "summary.md");
  fs.writeFileSync(mdFile, summaryMarkdown(summary, path.relative(results, figuresDir()) || "."));
  console.log("\nnotebook                         status  checks  wall");
  for (const o of outcomes) {
    console.log(`${o.notebook.padEnd(32)} ${o.status.padEnd(7)} ${`${o.checks.filter((c) => c.pass).length}/${o.checks.length}`.padEnd(7)} ${fmt(o.timings.wallSeconds)}`);
  }
  console.log(`\nwrote ${path.relative(root, mdFile)} and ${path.relative(root, jsonFile)}`);
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
