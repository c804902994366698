// Independent paper runs (seeds, sweep points) on several cores. tfjs-wasm runs
// single-threaded in Node (its threaded build needs a blob: worker Node cannot start), so
// the second core is used one level up: each worker_thread loads its own copy of the
// library (its own tfjs and wasm heap), runs a registered paper's `run(config)` and posts
// the result back. Runs are seeded, so a result is identical to the same run done
// sequentially.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { assertKnownOptions, fail } from "../core/validate";
import { ProgressEvent } from "../core/types";

export interface ParallelTask<C = unknown> {
  /** A registered paper's id. */
  paper: string;
  config: C;
  /** A module (absolute path) that registers the paper, to load instead of the whole paper list. */
  module?: string;
  /** Size passed to the run's context (default "default"). */
  size?: "smoke" | "default" | "full";
  /** Run only this seed through the paper's runSeed (papers that define it). */
  seed?: number;
  /** With seed, for a paper with seedParts: run only this part (absent: every part, merged). */
  part?: string;
}

export interface ParallelOptions {
  /** Worker threads (default: available cores, at most the number of tasks). */
  workers?: number;
  /** Progress of task `index`, forwarded from its worker. */
  onProgress?: (index: number, p: ProgressEvent) => void;
  /** The paper list module workers load (default: this library's papers/all, compiled or under tsx). */
  library?: string;
}

interface WorkerInit {
  library: string;
  registry: string;
  backend: string;
  run: string;
  tsxRegister: string | null;
}

type FromWorker =
  | { kind: "progress"; index: number; event: ProgressEvent }
  | { kind: "done"; index: number; result: unknown }
  | { kind: "error"; index: number; message: string; stack?: string };

// Plain CommonJS run by each worker (eval: no separate worker file to locate or compile).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
if (workerData.tsxRegister) require(workerData.tsxRegister);
parentPort.on("message", async (task) => {
  try {
    require(task.module || workerData.library);
    const { getPaper } = require(workerData.registry);
    await require(workerData.backend).backendReady(); // the same backend and kernels as runPaper
    const paper = getPaper(task.paper);
    const size = task.size || "default";
    const ctx = {
      size,
      onProgress: (event) => parentPort.postMessage({ kind: "progress", index: task.index, event }),
      // The parent resolved the needs first, so this reads them from the cache.
      need: async (id) => (await require(workerData.run).runPaper(id, { size, write: false })).result,
    };
    if (task.seed !== undefined && typeof paper.runSeed !== "function") throw new Error("paper " + task.paper + " has no runSeed; run it without a seed");
    let result;
    if (task.seed === undefined) result = await paper.run(task.config, ctx);
    else if (task.part !== undefined) result = await paper.runSeed(task.config, task.seed, { ...ctx, part: task.part });
    else if (typeof paper.seedParts === "function") {
      const parts = [];
      for (const part of paper.seedParts(task.config)) parts.push(await paper.runSeed(task.config, task.seed, { ...ctx, part }));
      result = paper.mergeParts(parts, task.config);
    } else result = await paper.runSeed(task.config, task.seed, ctx);
    parentPort.postMessage({ kind: "done", index: task.index, result });
  } catch (e) {
    parentPort.postMessage({ kind: "error", index: task.index, message: String(e && e.message || e), stack: e && e.stack });
  }
});
`;

/** The library entry a worker should load: compiled dist, or the TS source when running under tsx. */
function defaultLibrary(): WorkerInit {
  const here = __filename;
  if (here.endsWith(".ts")) {
    let tsx: string | null = null;
    try {
      tsx = require.resolve("tsx/cjs");
    } catch {
      fail(
        "opts.library",
        "running from TypeScript source without tsx installed; build with `npx tsc -p .` and use dist/",
      );
    }
    return {
      library: path.resolve(__dirname, "all.ts"),
      registry: path.resolve(__dirname, "registry.ts"),
      backend: path.resolve(__dirname, "..", "nn", "backend.ts"),
      run: path.resolve(__dirname, "run.ts"),
      tsxRegister: tsx,
    };
  }
  return {
    library: path.resolve(__dirname, "all.js"),
    registry: path.resolve(__dirname, "registry.js"),
    backend: path.resolve(__dirname, "..", "nn", "backend.js"),
    run: path.resolve(__dirname, "run.js"),
    tsxRegister: null,
  };
}

/** Default worker count: the machine's cores. */
export function defaultWorkers(): number {
  const avail = (os as { availableParallelism?: () => number }).availableParallelism;
  return Math.max(1, avail ? avail() : os.cpus().length);
}

/**
 * Runs independent paper runs in worker threads; results come back in task order.
 * Rejects (after stopping all workers) if any task fails, naming the task.
 */
export async function runParallel<C, R = unknown>(tasks: ParallelTask<C>[], opts: ParallelOptions = {}): Promise<R[]> {
  assertKnownOptions("opts", opts, ["workers", "onProgress", "library"]);
  if (!Array.isArray(tasks)) fail("tasks", "must be an array of { paper, config }");
  tasks.forEach((t, i) => {
    if (!t || typeof t.paper !== "string" || t.paper === "") fail(`tasks[${i}].paper`, "must be a registered paper id");
    if (t.config === undefined) fail(`tasks[${i}].config`, "is missing");
    if (t.module !== undefined && !path.isAbsolute(t.module))
      fail(`tasks[${i}].module`, `must be an absolute path, got "${t.module}"`);
  });
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1))
    fail("opts.workers", `must be a positive integer, got ${opts.workers}`);
  if (tasks.length === 0) return [];
  const def = defaultLibrary();
  const init: WorkerInit = opts.library
    ? {
        ...def,
        library: path.resolve(opts.library),
        tsxRegister: opts.library.endsWith(".ts") ? require.resolve("tsx/cjs") : def.tsxRegister,
      }
    : def;
  if (!fs.existsSync(init.library))
    fail("opts.library", `${init.library} does not exist (build the library with \`npx tsc -p .\`)`);
  const nWorkers = Math.min(opts.workers ?? defaultWorkers(), tasks.length);

  const results: R[] = new Array(tasks.length);
  let next = 0;
  let finished = 0;
  const workers: Worker[] = [];
  return new Promise<R[]>((resolve, reject) => {
    let failed = false;
    const stop = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const idle = new Set<Worker>();
    const feed = (w: Worker) => {
      if (next >= tasks.length) {
        idle.add(w); // no work left: its exit is expected
        void w.terminate();
        return;
      }
      const index = next++;
      w.postMessage({ ...tasks[index], index });
    };
    for (let k = 0; k < nWorkers; k++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: init });
      workers.push(w);
      w.on("message", (m: FromWorker) => {
        if (m.kind === "progress") opts.onProgress?.(m.index, m.event);
        else if (m.kind === "error")
          stop(new Error(`runParallel: task ${m.index} (${tasks[m.index].paper}) failed: ${m.message}`));
        else {
          results[m.index] = m.result as R;
          finished++;
          if (finished === tasks.length) {
            for (const x of workers) void x.terminate();
            resolve(results);
          } else feed(w);
        }
      });
      w.on("error", (e) => stop(new Error(`runParallel: a worker crashed: ${e.message}`)));
      w.on("exit", (code) => {
        if (code !== 0 && !idle.has(w) && finished < tasks.length)
          stop(new Error(`runParallel: a worker exited with code ${code}`));
      });
      feed(w);
    }
  });
}
