// Submitting a sweep's jobs to the BullMQ queue and following them: every job's id is its
// paper, size and key (code version included), so adding a job that is already queued does
// nothing and re-submitting after a crash only adds what is missing. Results come back as the
// jobs' return values; the caller stores them into its local cache and removes the job.
import { Job, Queue } from "bullmq";
import { fromJson } from "../io/json";
import { JobResult } from "./sweep-exec";
import { FailedJob } from "./sweep-merge";
import { SweepJob } from "./sweep-plan";

/** Bounded retries with a short fixed pause; results stay in Redis until collected. */
export function jobOptions(job: SweepJob, attempts: number) {
  return {
    jobId: job.id,
    attempts,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
}

/** Adds the jobs that are not queued yet; a job that failed before is queued afresh. */
export async function submitJobs(queue: Queue, jobs: SweepJob[], attempts: number): Promise<number> {
  let added = 0;
  for (const job of jobs) {
    const old = await queue.getJob(job.id);
    if (old) {
      const state = await old.getState();
      if (state !== "failed") continue; // queued, running or done: nothing to add
      await old.remove();
    }
    await queue.add(job.paper, job, jobOptions(job, attempts));
    added++;
  }
  return added;
}

export interface QueueProgress {
  done: number;
  running: number;
  failed: number;
  waiting: number;
  total: number;
  /** Messages of workers that refused a job (code version), newest per job. */
  refused: string[];
}

/** Parses a job's return value (JSON text of a JobResult). */
export function parseReturn(job: SweepJob, value: unknown): JobResult {
  const r = fromJson<JobResult>(typeof value === "string" ? value : JSON.stringify(value), `result of job ${job.id}`);
  if (!r || typeof r.result !== "string" || r.id !== job.id) throw new Error(`job ${job.id}: malformed result`);
  return r;
}

/** One look at every pending job: stores finished results (via `store`) and returns the counts. */
export async function pollJobs(
  queue: Queue,
  pending: Map<string, SweepJob>,
  failed: FailedJob[],
  store: (job: SweepJob, r: JobResult) => void,
  total: number,
): Promise<QueueProgress> {
  const p: QueueProgress = { done: 0, running: 0, failed: 0, waiting: 0, total, refused: [] };
  const looks = await Promise.all(
    [...pending.values()].map(async (job) => {
      const j = (await queue.getJob(job.id)) as Job | undefined;
      return { job, j, state: j ? await j.getState() : "missing" };
    }),
  );
  for (const { job, j, state } of looks) {
    if (state === "completed" && j) {
      store(job, parseReturn(job, j.returnvalue));
      pending.delete(job.id);
      await j.remove().catch(() => {});
    } else if (state === "failed" && j) {
      failed.push({ job, attempts: j.attemptsMade, error: j.failedReason || "failed" });
      pending.delete(job.id);
    } else if (state === "missing") {
      failed.push({
        job,
        attempts: 0,
        error: "the job is no longer in the queue (Redis flushed?); re-submit the sweep",
      });
      pending.delete(job.id);
    } else if (state === "active") p.running++;
    else {
      p.waiting++;
      const prog = j?.progress as { refused?: string } | undefined;
      if (prog && typeof prog === "object" && typeof prog.refused === "string") p.refused.push(prog.refused);
    }
  }
  p.failed = failed.length;
  p.done = total - pending.size - p.failed;
  return p;
}

/** Polls until every job has a result (done or failed); `onProgress` sees each look. */
export async function waitForJobs(
  queue: Queue,
  jobs: SweepJob[],
  store: (job: SweepJob, r: JobResult) => void,
  opts: { pollMs?: number; alreadyDone?: number; onProgress?: (p: QueueProgress) => void } = {},
): Promise<FailedJob[]> {
  const pending = new Map(jobs.map((j) => [j.id, j]));
  const failed: FailedJob[] = [];
  const total = jobs.length + (opts.alreadyDone ?? 0);
  for (;;) {
    const p = await pollJobs(queue, pending, failed, store, total);
    opts.onProgress?.(p);
    if (pending.size === 0) return failed;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}
