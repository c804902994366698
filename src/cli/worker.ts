// `initlab worker --queue redis://host:port [--concurrency N]`: pulls sweep jobs from the
// BullMQ queue and runs each in its own worker thread (the main thread keeps the job locks
// alive, so a long job is not taken for stalled). Data sets are loaded here, from this
// checkout; only configs come in and results go out. A job from a different code version is
// refused and put back in the queue for a matching worker, never run.
import { DelayedError, Job, Worker } from "bullmq";
import * as path from "path";
import { codeVersion } from "../papers/run";
import { CliIO, CliUsageError, parseFlags } from "./flags";
import { cachedResult, computeJob } from "./sweep-exec";
import { SweepJob } from "./sweep-plan";
import { connectRedis, DEFAULT_QUEUE_NAME, parseRedisUrl, probeRedis, redact } from "./sweep-redis";
import { loadPapers } from "./sweep-args";

export interface WorkerOptions {
  url: URL;
  name: string;
  concurrency: number;
  papersModule?: string;
  /** BullMQ lock duration and stalled-check interval (ms): how soon a dead worker's job is retried. */
  lockMs: number;
  stalledMs: number;
  /** How long a refused job waits before it is offered again (ms). */
  refuseDelayMs: number;
}

/** Runs until SIGINT/SIGTERM (finishing the jobs in hand) or `stop` resolves; returns the exit code. */
export async function runWorker(o: WorkerOptions, io: CliIO, stop?: Promise<void>): Promise<number> {
  await probeRedis(o.url);
  const mine = codeVersion();
  const client = connectRedis(o.url);
  const processor = async (job: Job, token?: string): Promise<string> => {
    const d = job.data as SweepJob;
    if (d.codeVersion !== mine) {
      const msg = `worker ${process.pid} refused job ${job.id}: this checkout's code version is ${mine}, the sweep's is ${d.codeVersion} (update and rebuild this checkout, or submit from a matching one)`;
      io.err(msg + "\n");
      await job.updateProgress({ refused: msg });
      // Back to the queue, without using an attempt, for a worker whose code matches.
      await job.moveToDelayed(Date.now() + o.refuseDelayMs, token);
      throw new DelayedError();
    }
    io.out(`start ${job.id} (attempt ${job.attemptsMade + 1})\n`);
    const hit = cachedResult(d);
    const r = hit ?? (await computeJob(d, o.papersModule));
    io.out(`done ${job.id} in ${r.seconds.toFixed(1)} s${hit ? " (from this machine's cache)" : ""}\n`);
    return JSON.stringify(r);
  };
  const worker = new Worker(o.name, processor, {
    connection: client as never,
    concurrency: o.concurrency,
    lockDuration: o.lockMs,
    stalledInterval: o.stalledMs,
    maxStalledCount: 3,
  });
  worker.on("failed", (job, err) => {
    if (job && !(err instanceof DelayedError))
      io.err(`job ${job.id} attempt ${job.attemptsMade} failed: ${String(err.message).split("\n")[0]}\n`);
  });
  worker.on("error", (e) => io.err(`worker: ${e.message}\n`));
  await worker.waitUntilReady();
  io.out(
    `initlab worker ${process.pid}: queue "${o.name}" at ${redact(o.url.toString())}, concurrency ${o.concurrency}, code version ${mine}\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    void stop?.then(onSignal);
  });
  io.out("initlab worker: stopping (finishing the jobs in hand)\n");
  await worker.close();
  await client.quit().catch(() => client.disconnect());
  return 0;
}

/** `initlab worker ...` (see WORKER_USAGE). */
export async function workerMain(args: string[], io: CliIO): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    queue: "string",
    concurrency: "number",
    name: "string",
    papers: "string",
    "lock-ms": "number",
    "stalled-ms": "number",
    "refuse-delay-ms": "number",
  });
  if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
  if (typeof flags.queue !== "string") throw new CliUsageError("--queue redis://host:port is required");
  const int = (name: string, def: number, min: number) => {
    const v = flags[name] ?? def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min)
      throw new CliUsageError(`--${name}: must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const papersModule = typeof flags.papers === "string" ? path.resolve(flags.papers) : undefined;
  loadPapers(papersModule);
  return runWorker(
    {
      url: parseRedisUrl(flags.queue),
      name: typeof flags.name === "string" ? flags.name : DEFAULT_QUEUE_NAME,
      concurrency: int("concurrency", 1, 1),
      papersModule,
      lockMs: int("lock-ms", 30000, 500),
      stalledMs: int("stalled-ms", 30000, 200),
      refuseDelayMs: int("refuse-delay-ms", 5000, 0),
    },
    io,
  );
}
