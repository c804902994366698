// Running sweep jobs: each job in its own worker thread (runParallel with one task), so that
// jobs never share the seeded global random state or a tfjs heap, several run at once, and
// the calling thread stays free (a queue worker keeps renewing its BullMQ locks meanwhile).
// Results travel as JSON text from src/io/json.ts (NaN survives); the local cache is written
// atomically by the submitter or collector, never by a worker.
import * as os from "os";
import * as path from "path";
import { fromJson, toJson } from "../io/json";
import { runParallel } from "../papers/parallel";
import { codeVersion, hasRunCache, readSeedCache, writeRunCache, writeSeedCache } from "../papers/run";
import { SweepJob } from "./sweep-plan";

/** What a job sends back: the result as toJson text, with where and how long it ran. */
export interface JobResult {
  id: string;
  paper: string;
  seed: number | null;
  codeVersion: string;
  seconds: number;
  host: string;
  /** toJson of the seed's (or the whole run's) result. */
  result: string;
}

/** Runs one job in a fresh worker thread. `papersModule` registers extra papers (absolute path). */
export async function computeJob(job: SweepJob, papersModule?: string): Promise<JobResult> {
  const t0 = Date.now();
  const task = {
    paper: job.paper,
    config: job.config,
    size: job.size,
    ...(job.seed === null ? {} : { seed: job.seed }),
    ...(papersModule ? { module: path.resolve(papersModule) } : {}),
  };
  let result: unknown;
  try {
    [result] = await runParallel([task], { workers: 1 });
  } catch (e) {
    // The job's own error, without runParallel's task numbering.
    throw new Error(String((e as Error).message ?? e).replace(/^runParallel: task 0 \([^)]*\) failed: /, ""));
  }
  return {
    id: job.id,
    paper: job.paper,
    seed: job.seed,
    codeVersion: codeVersion(),
    seconds: (Date.now() - t0) / 1000,
    host: os.hostname(),
    result: toJson(result),
  };
}

/** Whether the local cache already holds this job's result. */
export function hasResult(job: SweepJob): boolean {
  return job.seed === null
    ? hasRunCache(job.paper, job.size, job.config)
    : readSeedCache(job.paper, job.size, job.config, job.seed) !== null;
}

/** The cached result of a job as a JobResult (a worker answering from its own cache). */
export function cachedResult(job: SweepJob): JobResult | null {
  if (job.seed === null) return null; // whole-run records are read by runPaper itself
  const rec = readSeedCache(job.paper, job.size, job.config, job.seed);
  if (!rec) return null;
  return {
    id: job.id,
    paper: job.paper,
    seed: job.seed,
    codeVersion: rec.codeVersion,
    seconds: rec.computeSeconds,
    host: os.hostname(),
    result: toJson(rec.result),
  };
}

/** Writes a job's result into the local cache (atomically); refuses results of another code version. */
export function storeResult(job: SweepJob, r: JobResult): void {
  if (r.codeVersion !== job.codeVersion)
    throw new Error(
      `job ${job.id}: result computed by code version ${r.codeVersion}, the sweep's is ${job.codeVersion}; not stored`,
    );
  const value = fromJson(r.result, `result of job ${job.id}`);
  if (job.seed === null) writeRunCache(job.paper, job.size, job.config, value, r.seconds);
  else writeSeedCache(job.paper, job.size, job.config, job.seed, value, r.seconds);
}

export type JobEvent =
  | { kind: "start"; job: SweepJob; attempt: number }
  | { kind: "done"; job: SweepJob; result: JobResult }
  | { kind: "retry"; job: SweepJob; attempt: number; error: string }
  | { kind: "failed"; job: SweepJob; attempts: number; error: string };

export interface LocalOutcome {
  done: number;
  failed: Array<{ job: SweepJob; attempts: number; error: string }>;
}

/**
 * Runs jobs on this machine, `workers` at a time; a job that throws is retried up to
 * `attempts` times in all, then recorded as failed while the others go on.
 */
export async function runLocal(
  jobs: SweepJob[],
  opts: { workers: number; attempts: number; papersModule?: string; onEvent?: (e: JobEvent) => void },
): Promise<LocalOutcome> {
  const out: LocalOutcome = { done: 0, failed: [] };
  let next = 0;
  const slot = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      for (let attempt = 1; ; attempt++) {
        opts.onEvent?.({ kind: "start", job, attempt });
        try {
          const r = await computeJob(job, opts.papersModule);
          storeResult(job, r);
          out.done++;
          opts.onEvent?.({ kind: "done", job, result: r });
          break;
        } catch (e) {
          const error = String((e as Error).message ?? e);
          if (attempt >= opts.attempts) {
            out.failed.push({ job, attempts: attempt, error });
            opts.onEvent?.({ kind: "failed", job, attempts: attempt, error });
            break;
          }
          opts.onEvent?.({ kind: "retry", job, attempt, error });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, jobs.length)) }, slot));
  return out;
}
