#!/usr/bin/env node
// `npm run sweep -- <paper ids...>`: expands papers × configs × seeds into jobs, runs the ones
// whose results are not cached (locally on worker threads, or on a BullMQ queue that
// `initlab worker` processes pull from), stores the results in the local cache and merges
// them into the per-paper results and the report. `initlab sweep status|collect` follow a
// sweep submitted with --detach.
import * as fs from "fs";
import * as path from "path";
import { fromJson, toJson, writeFileAtomic } from "../io/json";
import { cacheDir } from "../io/paths";
import { codeVersion } from "../papers/run";
import { CliIO, CliUsageError, parseFlags } from "./flags";
import { parseSweepArgs, loadPapers } from "./sweep-args";
import { SWEEP_USAGE } from "./sweep-commands";
import { hasResult, JobResult, runLocal, storeResult } from "./sweep-exec";
import { FailedJob, mergeSweep, writeReport } from "./sweep-merge";
import { jobLabel, SweepJob, SweepPlan } from "./sweep-plan";
import { ProgressPrinter } from "./sweep-progress";
import { submitJobs, waitForJobs } from "./sweep-queue";
import { DEFAULT_QUEUE_NAME, openQueue, parseRedisUrl, redact } from "./sweep-redis";

/** What `--detach` leaves for `sweep status|collect` (no password: the URL is given again). */
interface Manifest {
  sweepId: string;
  name: string;
  url: string;
  attempts: number;
  createdAt: string;
  papersModule?: string;
  plan: SweepPlan;
}

const manifestDir = () => path.join(cacheDir(), "sweeps");

function writeManifest(m: Manifest): string {
  const f = path.join(manifestDir(), `${m.sweepId}.json`);
  writeFileAtomic(f, toJson(m, 2) + "\n");
  return f;
}

function readManifest(id: string | undefined): Manifest {
  const dir = manifestDir();
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^[0-9a-f]+\.json$/.test(f)) : [];
  let file: string;
  if (id !== undefined) {
    if (!/^[0-9a-f]{6,}$/.test(id)) throw new CliUsageError(`--sweep: "${id}" is not a sweep id (hex)`);
    const hit = files.filter((f) => f.startsWith(id));
    if (hit.length !== 1)
      throw new Error(
        `--sweep: ${hit.length ? "ambiguous" : "no"} sweep "${id}" under ${dir} (known: ${files.map((f) => f.slice(0, -5)).join(", ") || "none"})`,
      );
    file = hit[0];
  } else {
    if (!files.length)
      throw new Error(`no detached sweep under ${dir}: submit one with npm run sweep -- … --queue URL --detach`);
    file = files.sort((a, b) => fs.statSync(path.join(dir, b)).mtimeMs - fs.statSync(path.join(dir, a)).mtimeMs)[0];
  }
  return fromJson<Manifest>(fs.readFileSync(path.join(dir, file), "utf8"), file);
}

/** Merges the sweep, writes the report and prints where; the exit code is 1 when a job failed. */
async function finish(plan: SweepPlan, failed: FailedJob[], seconds: Map<string, number>, io: CliIO): Promise<number> {
  io.out(`merging ${plan.papers.length} paper(s)${plan.grid.length ? ` × ${plan.points.length} grid points` : ""}\n`);
  const merged = await mergeSweep(plan, failed, (l) => io.out(`  ${l}\n`));
  const files = writeReport(plan, merged, seconds);
  io.out(`wrote ${files.map((f) => path.relative(process.cwd(), f) || f).join(", ")}\n`);
  if (failed.length) {
    io.err(`${failed.length} job(s) failed:\n`);
    for (const f of failed) io.err(`  ${jobLabel(f.job, plan)}: ${f.error.split("\n")[0]}\n`);
  }
  return failed.length ? 1 : 0;
}

function storeAndCount(seconds: Map<string, number>) {
  return (job: SweepJob, r: JobResult) => {
    storeResult(job, r);
    seconds.set(job.paper, (seconds.get(job.paper) ?? 0) + r.seconds);
  };
}

/** Follows queued jobs to the end, storing each result as it arrives. */
async function follow(
  url: URL,
  name: string,
  plan: SweepPlan,
  todo: SweepJob[],
  io: CliIO,
  onQueue?: (q: Awaited<ReturnType<typeof openQueue>>) => Promise<boolean>,
): Promise<number> {
  const q = await openQueue(url, name);
  try {
    if (onQueue && !(await onQueue(q))) return 0;
    const seconds = new Map<string, number>();
    const cached = plan.jobs.length - todo.length;
    const bar = new ProgressPrinter(io, cached);
    const refusals = new Set<string>();
    const failed = await waitForJobs(q.queue, todo, storeAndCount(seconds), {
      alreadyDone: cached,
      onProgress: (p) => {
        for (const r of p.refused)
          if (!refusals.has(r)) {
            refusals.add(r);
            bar.note(r);
          }
        bar.update(p);
      },
    });
    bar.end();
    io.out(`all ${plan.jobs.length} jobs have a result (${bar.seconds().toFixed(1)} s)\n`);
    return await finish(plan, failed, seconds, io);
  } finally {
    await q.close();
  }
}

/** The whole `npm run sweep` job; returns the exit code. */
export async function runSweep(argv: string[], io: CliIO): Promise<number> {
  const a = parseSweepArgs(argv);
  const { plan } = a;
  const todo = plan.jobs.filter((j) => !hasResult(j));
  const cached = plan.jobs.length - todo.length;
  const where = a.queue
    ? `queue "${a.name}" at ${redact(a.queue.toString())}`
    : `this machine (${a.workers} worker threads)`;
  io.out(
    `initlab sweep ${plan.sweepId}: ${plan.jobs.length} jobs (${plan.papers.join(", ")}; size ${plan.size}; ${plan.points.length} config(s)), ${cached} already cached, on ${where}\n`,
  );
  if (!a.queue) {
    const seconds = new Map<string, number>();
    const bar = new ProgressPrinter(io, cached);
    let running = 0;
    let waiting = todo.length;
    const counts = { done: cached, failed: 0 };
    const show = () => bar.update({ ...counts, running, waiting, total: plan.jobs.length });
    show();
    const out = await runLocal(todo, {
      workers: a.workers,
      attempts: a.attempts,
      papersModule: a.papersModule,
      onEvent: (e) => {
        if (e.kind === "start") {
          running++;
          if (e.attempt === 1) waiting--;
        } else running--;
        if (e.kind === "done") {
          counts.done++;
          seconds.set(e.job.paper, (seconds.get(e.job.paper) ?? 0) + e.result.seconds);
        }
        if (e.kind === "failed") counts.failed++;
        if (e.kind === "retry")
          bar.note(`retrying ${jobLabel(e.job, plan)} (attempt ${e.attempt} failed: ${e.error.split("\n")[0]})`);
        show();
      },
    });
    bar.end();
    io.out(`all ${plan.jobs.length} jobs have a result (${bar.seconds().toFixed(1)} s)\n`);
    return finish(plan, out.failed, seconds, io);
  }
  const url = a.queue;
  return follow(url, a.name, plan, todo, io, async (q) => {
    const added = await submitJobs(q.queue, todo, a.attempts);
    const f = writeManifest({
      sweepId: plan.sweepId,
      name: a.name,
      url: redact(url.toString()),
      attempts: a.attempts,
      createdAt: new Date().toISOString(),
      papersModule: a.papersModule,
      plan,
    });
    io.out(
      `submitted ${added} job(s) (${todo.length - added} were already queued); sweep record ${path.relative(process.cwd(), f)}\n`,
    );
    if (a.detach) {
      io.out(
        `detached: follow with  npx initlab sweep status --queue ${redact(url.toString())} --sweep ${plan.sweepId}\n` +
          `           merge with  npx initlab sweep collect --queue ${redact(url.toString())} --sweep ${plan.sweepId}\n`,
      );
      return false;
    }
    return true;
  });
}

/** `initlab sweep <ids...>` (as npm run sweep) or `initlab sweep status|collect`. */
export async function sweepMain(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "status" && sub !== "collect") return runSweep(args, io);
  const { flags, positionals } = parseFlags(rest, { queue: "string", sweep: "string", name: "string" });
  if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
  if (typeof flags.queue !== "string") throw new CliUsageError("--queue redis://host:port is required");
  const url = parseRedisUrl(flags.queue);
  const m = readManifest(typeof flags.sweep === "string" ? flags.sweep : undefined);
  loadPapers(m.papersModule);
  const name = typeof flags.name === "string" ? flags.name : m.name || DEFAULT_QUEUE_NAME;
  const todo = m.plan.jobs.filter((j) => !hasResult(j));
  if (sub === "status") {
    const q = await openQueue(url, name);
    try {
      const states = await Promise.all(
        todo.map(async (j) => (await q.queue.getJob(j.id))?.getState() ?? Promise.resolve("missing")),
      );
      const n = (s: string) => states.filter((x) => x === s).length;
      io.out(
        `sweep ${m.sweepId} (${m.plan.papers.join(", ")}, size ${m.plan.size}, submitted ${m.createdAt}): ` +
          `${m.plan.jobs.length - todo.length} collected, ${n("completed")} done and not collected, ${n("active")} running, ` +
          `${n("waiting") + n("delayed") + n("prioritized")} waiting, ${n("failed")} failed, ${n("missing")} not in the queue\n`,
      );
    } finally {
      await q.close();
    }
    return 0;
  }
  const mine = codeVersion();
  const theirs = m.plan.jobs[0]?.codeVersion;
  if (theirs && theirs !== mine)
    throw new Error(
      `this checkout's code version is ${mine}, sweep ${m.sweepId} was submitted at ${theirs}; collect from a matching checkout`,
    );
  return follow(url, name, m.plan, todo, io);
}

if (require.main === module) {
  const io: CliIO = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
  sweepMain(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (e) => {
      const msg = String((e as Error).message ?? e).split("\n")[0];
      io.err(`initlab sweep: ${msg}\n${e instanceof CliUsageError ? `usage: ${SWEEP_USAGE}\n` : ""}`);
      process.exit(e instanceof CliUsageError ? 2 : 1);
    },
  );
}
