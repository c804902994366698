// `npm run bench`: initlab against a numpy reference (scripts/bench_ref.py, Debian's
// /usr/bin/python3) in one command; prints ratios and writes results/bench.md.
// Each task runs numpy first, then initlab, on fresh inputs of the same shape, so load
// swings on a shared machine hit both sides of a ratio alike. Timing: one warm-up, then
// the median of `reps` calls; inputs are drawn outside the timed region.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { eigh, svd, svdTopK, linalgPath, linalgPathReason, setLinalgPath, LinalgPath } from "../linalg";
import { projectRoot, resultsDir } from "../io/paths";
import { Rng } from "../core/random";
import { euclideanDistances, kMedoids, KMedoidsOptions } from "../cluster";

const PY = "/usr/bin/python3";
const USAGE = `usage: node dist/cli/bench.js [--quick] [--no-js] [--no-training] [--no-numpy] [--out FILE]
  --quick        one timed call per task and 1 of 12 RoBERTa layers in the intruder task
  --no-js        skip the pure-JS (ml-matrix) linalg rows
  --no-training  skip the training-step rows (src/bench/training.ts)
  --no-numpy     skip the numpy reference (ratios unavailable)
  --layers N     RoBERTa layers in the intruder task (default 12 = 72×768² + 24×768×3072)
  --threads N    OPENBLAS_NUM_THREADS for numpy and the addon alike (default: OpenBLAS's own, all cores);
                 1 gives stable ratios on a loaded machine, where busy-waiting BLAS threads thrash
  --only LIST    comma-separated subset of: svd,eigh,topk,intruders,kmedoids,training
  --out FILE     where to write the markdown table (default results/bench.md)`;
const GROUPS = ["svd", "eigh", "topk", "intruders", "kmedoids", "training"];

interface Row {
  task: string;
  initlabMs: number | null;
  numpyMs: number | null;
  /** Process CPU time (all threads): robust to other load on a shared machine. */
  initlabCpuMs?: number | null;
  numpyCpuMs?: number | null;
  path: string;
  notes: string;
}

interface Opts {
  quick: boolean;
  js: boolean;
  training: boolean;
  numpy: boolean;
  only: string[];
  layers: number;
  out: string;
  argv: string[];
}

function parseArgs(argv: string[]): Opts {
  const shown = argv.filter((a, i) => a !== "--out" && argv[i - 1] !== "--out"); // for the report header
  const o: Opts = {
    quick: false,
    js: true,
    training: true,
    numpy: true,
    only: GROUPS,
    layers: 12,
    out: path.join(resultsDir(), "bench.md"),
    argv: shown,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--no-js") o.js = false;
    else if (a === "--no-training") o.training = false;
    else if (a === "--no-numpy") o.numpy = false;
    else if (a === "--out" && argv[i + 1]) o.out = argv[++i];
    else if (a === "--layers" && argv[i + 1]) {
      o.layers = Number(argv[++i]);
      if (!Number.isInteger(o.layers) || o.layers < 1 || o.layers > 12) {
        console.log(`bench: --layers must be an integer in 1..12, got ${argv[i]}`);
        process.exit(2);
      }
    } else if (a === "--threads" && argv[i + 1]) {
      const t = Number(argv[++i]);
      if (!Number.isInteger(t) || t < 1) {
        console.log(`bench: --threads must be a positive integer, got ${argv[i]}`);
        process.exit(2);
      }
      // Read by OpenBLAS when it loads: before the addon is required and inherited by python.
      process.env.OPENBLAS_NUM_THREADS = String(t);
    } else if (a === "--only" && argv[i + 1]) {
      o.only = argv[++i].split(",");
      const bad = o.only.filter((g) => !GROUPS.includes(g));
      if (bad.length) {
        console.log(`bench: unknown group(s) ${bad.join(", ")} in --only (known: ${GROUPS.join(", ")})`);
        process.exit(2);
      }
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.log(`bench: unknown argument "${a}"\n${USAGE}`);
      process.exit(2);
    }
  }
  return o;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Timing {
  ms: number;
  cpuMs: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median wall and CPU ms of `reps` calls after one warm-up call (or a cheaper warm-up). */
function timeMs(fn: () => unknown, reps: number, warmup: (() => unknown) | null = fn): Timing {
  if (warmup) warmup();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    const c = cpuNow();
    fn();
    wall.push(performance.now() - t);
    cpu.push(cpuNow() - c);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

const rng = new Rng(20261128);
function randn(m: number, n: number, std = 1): number[][] {
  return Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal() * std));
}
function symmetric(n: number): number[][] {
  const a = randn(n, n);
  return a.map((row, i) => row.map((v, j) => (v + a[j][i]) / 2));
}

// ---- numpy reference -------------------------------------------------------------------

interface PyTask {
  id: string;
  kind: string;
  [k: string]: unknown;
}
interface PyOut {
  numpy: string;
  blas: string[];
  python: string;
  tasks: Record<string, { ms: number; [k: string]: unknown }>;
}

let numpyInfo: { numpy: string; blas: string[]; python: string } | null = null;
let numpyMissing = "";

function numpyRef(o: Opts, task: PyTask): { ms: number; [k: string]: unknown } | null {
  if (!o.numpy || numpyMissing) return null;
  try {
    const out = execFileSync(
      PY,
      [path.join(projectRoot(), "scripts", "bench_ref.py"), JSON.stringify({ tasks: [task] })],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 1 << 24,
      },
    );
    const j = JSON.parse(out) as PyOut;
    numpyInfo = { numpy: j.numpy, blas: j.blas, python: j.python };
    return j.tasks[task.id] ?? null;
  } catch (e) {
    const msg = String((e as { stderr?: string }).stderr || (e as Error).message);
    numpyMissing = /No module named .?numpy/.test(msg)
      ? "numpy is not installed for /usr/bin/python3"
      : `numpy reference failed: ${msg.trim().split("\n").pop()}`;
    return null;
  }
}

// ---- rows ------------------------------------------------------------------------------

const rows: Row[] = [];
function both(
  t: Timing,
  ref: { ms: number; [k: string]: unknown } | null,
): Pick<Row, "initlabMs" | "numpyMs" | "initlabCpuMs" | "numpyCpuMs"> {
  const refCpu = ref && typeof ref.cpuMs === "number" ? ref.cpuMs : null;
  return { initlabMs: t.ms, numpyMs: ref?.ms ?? null, initlabCpuMs: t.cpuMs, numpyCpuMs: refCpu };
}
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b != null && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a";
function addRow(r: Row): void {
  rows.push(r);
  const f = (x: number | null) => (x == null ? "—" : x.toFixed(1));
  console.log(
    `${r.task.padEnd(44)} initlab ${f(r.initlabMs).padStart(9)} ms   numpy ${f(r.numpyMs).padStart(9)} ms   ${ratio(r.initlabMs, r.numpyMs).padStart(8)}` +
      `   cpu ${ratio(r.initlabCpuMs, r.numpyCpuMs).padStart(7)}   ${r.path}${r.notes ? "  (" + r.notes + ")" : ""}`,
  );
}

function paths(o: Opts, jsAllowed: boolean): LinalgPath[] {
  const ps: LinalgPath[] = [];
  setLinalgPath(null);
  if (linalgPath() === "native") ps.push("native");
  if (o.js && jsAllowed) ps.push("js");
  if (!ps.includes("js") && ps.length === 0) ps.push("js"); // no addon: the js path is all there is
  return ps;
}

function withPath<R>(p: LinalgPath, fn: () => R): R {
  setLinalgPath(p);
  try {
    return fn();
  } finally {
    setLinalgPath(null);
  }
}

function benchSvd(o: Opts, n: number): void {
  const reps = o.quick ? 1 : n >= 1024 ? 2 : 3;
  const ref = numpyRef(o, { id: `svd-${n}`, kind: "svd", n, reps });
  const a = randn(n, n);
  const small = randn(32, 32);
  for (const p of paths(o, n <= 512)) {
    const t = withPath(p, () =>
      p === "js"
        ? timeMs(
            () => svd(a),
            1,
            () => svd(small),
          )
        : timeMs(() => svd(a), reps),
    );
    addRow({
      task: `full SVD ${n}×${n} (U, S, V)`,
      ...both(t, ref),
      path: `linalg ${p}`,
      notes: p === "js" ? "1 call" : "",
    });
  }
}

function benchEigh(o: Opts, n: number): void {
  const reps = o.quick ? 1 : n >= 1024 ? 2 : 3;
  const ref = numpyRef(o, { id: `eigh-${n}`, kind: "eigh", n, reps });
  const a = symmetric(n);
  const small = symmetric(32);
  for (const p of paths(o, n <= 512)) {
    const t = withPath(p, () =>
      p === "js"
        ? timeMs(
            () => eigh(a),
            1,
            () => eigh(small),
          )
        : timeMs(() => eigh(a), reps),
    );
    addRow({
      task: `symmetric eig ${n}×${n}`,
      ...both(t, ref),
      path: `linalg ${p}`,
      notes: p === "js" ? "1 call" : "",
    });
  }
}

/**
 * k-medoids on 1,000 random points in 8 dimensions, k = 20: PAM (BUILD + SWAP), FastPAM1 (the same
 * result, faster swaps) and FasterPAM (eager swaps from a random init). No numpy reference (numpy has
 * no k-medoids); the notes give each method's loss relative to PAM's and its speed-up over PAM.
 */
function benchKMedoids(o: Opts): void {
  const [n, dim, k] = [1000, 8, 20];
  const d = euclideanDistances(randn(n, dim));
  const reps = o.quick ? 1 : 3;
  const runs: Array<[string, KMedoidsOptions]> = [
    ["PAM", { method: "pam" }],
    ["FastPAM1", { method: "fastpam1" }],
    ["FasterPAM (random init)", { method: "fasterpam", init: "random", seed: 1 }],
  ];
  let pam = { ms: NaN, loss: NaN };
  for (const [name, opts] of runs) {
    let loss = NaN;
    const t = timeMs(() => (loss = kMedoids(d, k, opts).loss), reps);
    if (name === "PAM") pam = { ms: t.ms, loss };
    addRow({
      task: `k-medoids ${name}, n=${n}, k=${k}`,
      initlabMs: t.ms,
      numpyMs: null,
      initlabCpuMs: t.cpuMs,
      path: "js (src/cluster)",
      notes: `loss / PAM's ${(loss / pam.loss).toFixed(4)}; ${(pam.ms / t.ms).toFixed(1)}× PAM's speed`,
    });
  }
}

function benchTopK(o: Opts): void {
  const [m, n, k, oversample, powerIters] = [768, 3072, 10, 10, 2];
  const reps = o.quick ? 1 : 3;
  const ref = numpyRef(o, { id: "topk", kind: "topk", m, n, k, oversample, powerIters, reps });
  const a = randn(m, n);
  const exact = withPath(paths(o, false)[0], () => svd(a, { vectors: false }).S);
  for (const p of paths(o, true)) {
    let S: number[] = [];
    const t = withPath(p, () => timeMs(() => (S = svdTopK(a, k, { oversample, powerIters, seed: 1 }).S), reps));
    const err = Math.max(...S.map((s, i) => Math.abs(s - exact[i]) / exact[i]));
    const full = ref?.fullSvdMs != null ? `; numpy full SVD (values only) ${Number(ref.fullSvdMs).toFixed(0)} ms` : "";
    addRow({
      task: `top-${k} SVD ${m}×${n} (randomized, p=${oversample}, q=${powerIters})`,
      ...both(t, ref),
      path: `linalg ${p}`,
      notes: `same algorithm in numpy; max rel. error of S vs exact ${err.toExponential(1)} (Gaussian matrix: flat spectrum, the hard case)${full}`,
    });
  }
}

type IntruderFn = (base: number[][], tuned: number[][], opts: { k: number; epsilon: number }) => { count: number };

function intruderFunction(): { fn: IntruderFn; source: string } {
  try {
    // Another module of the library; guard so the bench runs without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: optional, or only when the bench needs it
    const mod = require("../metrics/intruders") as { intruderDimensions?: IntruderFn };
    if (typeof mod.intruderDimensions === "function")
      return { fn: mod.intruderDimensions, source: "intruderDimensions" };
  } catch {
    // fall through to the local equivalent
  }
  const fn: IntruderFn = (base, tuned, { k, epsilon }) => {
    const U0 = svd(base).U;
    const Ut = svd(tuned).U;
    let count = 0;
    for (let j = 0; j < k; j++) {
      let best = 0;
      for (let i = 0; i < U0[0].length; i++) {
        let dot = 0;
        for (let q = 0; q < U0.length; q++) dot += Ut[q][j] * U0[q][i];
        best = Math.max(best, Math.abs(dot));
      }
      if (best < epsilon) count++;
    }
    return { count };
  };
  return { fn, source: "local svd equivalent" };
}

function benchIntruders(o: Opts): void {
  // RoBERTa-base: 12 layers × (6 matrices 768×768 + 2 of 768×3072) = 72 + 24.
  // Without the addon each 768² SVD takes ~10 s, so the pure-JS run covers one layer.
  const p = paths(o, false)[0];
  const layers = o.quick || p === "js" ? 1 : o.layers;
  const shapes: Array<[number, number, number]> = [
    [768, 768, 6 * layers],
    [768, 3072, 2 * layers],
  ];
  const ref = numpyRef(o, { id: "intruders", kind: "intruders", shapes });
  const { fn, source } = intruderFunction();
  let total = 0;
  let cpu = 0;
  let count = 0;
  withPath(p, () => {
    for (const [m, n, num] of shapes) {
      for (let r = 0; r < num; r++) {
        const base = randn(m, n, 0.02);
        const up = randn(m, 8);
        const down = randn(8, n);
        const tuned = base.map((row, i) =>
          row.map((v, j) => v + 0.002 * up[i].reduce((s, u, q) => s + u * down[q][j], 0)),
        );
        const t = performance.now();
        const c = cpuNow();
        count += fn(base, tuned, { k: 10, epsilon: 0.5 }).count;
        total += performance.now() - t;
        cpu += cpuNow() - c;
      }
    }
  });
  addRow({
    task: `intruder analysis, RoBERTa-base shapes, ${layers} of 12 layers (${shapes[0][2]}×768², ${shapes[1][2]}×768×3072 pairs)`,
    ...both({ ms: total, cpuMs: cpu }, ref),
    path: `linalg ${p}`,
    notes: `${source}, k=10, ε=0.5, 2 full SVDs per pair; ${count} intruders found`,
  });
}

// ---- training steps (src/bench/training.ts, optional) -----------------------------------

interface TrainBench {
  name: string;
  msPerStep: number;
  backend: string;
  notes?: string;
}
type TrainFn = () => Promise<TrainBench>;

function trainingRef(): Map<string, number> {
  const out = new Map<string, number>();
  const script = path.join(projectRoot(), "scripts", "bench_ref_training.py");
  if (!fs.existsSync(script) || numpyMissing) return out;
  try {
    const j = JSON.parse(
      execFileSync(PY, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 }),
    ) as unknown;
    const visit = (v: unknown, key?: string): void => {
      if (typeof v === "number" && key) out.set(key, v);
      else if (Array.isArray(v)) v.forEach((x) => visit(x));
      else if (v && typeof v === "object") {
        const rec = v as Record<string, unknown>;
        const ms = rec.msPerStep ?? rec.ms;
        if (typeof rec.name === "string" && typeof ms === "number") out.set(rec.name, ms);
        else for (const [k2, x] of Object.entries(rec)) visit(x, k2);
      }
    };
    visit(j);
  } catch (e) {
    console.log(`bench: training reference failed: ${String((e as Error).message).split("\n")[0]}`);
  }
  return out;
}

// ---- PyTorch reference for the training steps (scripts/bench_ref_torch.py) --------------

interface TorchTiming {
  ms: number;
  cpuMs: number;
}
let torchVersion = "";
let torchMissing = "";
const TORCH_THREADS = [1, 2];

/** PyTorch's times per task and thread count; empty (with torchMissing set) when torch is absent. */
function torchRef(): Map<string, Map<number, TorchTiming>> {
  const out = new Map<string, Map<number, TorchTiming>>();
  const script = path.join(projectRoot(), "scripts", "bench_ref_torch.py");
  try {
    const j = JSON.parse(
      execFileSync(PY, [script, TORCH_THREADS.join(",")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 900_000,
      }),
    ) as { error?: string; torch?: string; threads?: Record<string, Record<string, TorchTiming>> };
    if (j.error) {
      torchMissing = j.error;
      return out;
    }
    torchVersion = j.torch ?? "?";
    for (const [t, tasks] of Object.entries(j.threads ?? {}))
      for (const [name, v] of Object.entries(tasks)) {
        if (!out.has(name)) out.set(name, new Map());
        out.get(name)!.set(Number(t), v);
      }
  } catch (e) {
    torchMissing = `PyTorch reference failed: ${String((e as Error).message).split("\n")[0]}`;
  }
  return out;
}

interface TorchRow {
  task: string;
  /** initlab's configuration: "wasm" or "native/Nt". */
  config: string;
  initlabMs: number;
  initlabCpuMs: number | null;
  flops: number | null;
  /** PyTorch's faster thread count for this task, and its timing. */
  torchThreads: number | null;
  torch: TorchTiming | null;
  notes: string;
}
const torchRows: TorchRow[] = [];
const goals: string[] = [];

const TRAIN_BENCHES = ["benchMatmul", "benchMlpStep", "benchTransformerStep", "benchConvStep", "benchLoraStep"];

async function benchTraining(): Promise<void> {
  let mod: Record<string, unknown>;
  let kernels: typeof import("../nn/native-kernels");
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: optional, or only when the bench needs it
    mod = require("../bench/training") as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, after the backend
    kernels = require("../nn/native-kernels") as typeof import("../nn/native-kernels");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, after the backend
    await (require("../nn/backend") as typeof import("../nn/backend")).backendReady();
  } catch (e) {
    console.log(`bench: training-step benchmarks unavailable (${String((e as Error).message).split("\n")[0]})`);
    return;
  }
  const ref = trainingRef();
  const torch = torchRef();
  if (torchMissing) console.log(`bench: ${torchMissing}; the PyTorch columns are n/a`);
  // initlab in each configuration: wasm kernels, then native at 1 and 2 BLAS threads.
  const nativeOk = (() => {
    try {
      kernels.setKernelPath("native");
      return true;
    } catch {
      return false;
    }
  })();
  const configs: Array<{ path: "wasm" | "native"; threads: number }> = [
    { path: "wasm", threads: 1 },
    ...(nativeOk ? [1, 2].map((threads) => ({ path: "native" as const, threads })) : []),
  ];
  const defaultTag = kernels.plannedKernelTag();
  const sgemmRate = new Map<string, number>();
  const results = new Map<string, Map<string, TrainBench & { cpuMs?: number; flops?: number }>>();
  for (const c of configs) {
    kernels.setKernelPath(c.path);
    if (c.path === "native") kernels.setBlasThreads(c.threads);
    const tag = c.path === "wasm" ? "wasm" : `native/${c.threads}t`;
    for (const name of TRAIN_BENCHES) {
      const fn = mod[name] as TrainFn | undefined;
      if (typeof fn !== "function") continue;
      try {
        const measureSplit = name === "benchMlpStep" && c.path === "native";
        if (measureSplit) kernels.setKernelTiming(true);
        const r = (await fn()) as TrainBench & { cpuMs?: number; flops?: number };
        let notes = r.notes ?? "";
        if (measureSplit) {
          const k = kernels.kernelTiming();
          kernels.setKernelTiming(false);
          const rate = k.flops / k.ms / 1e6;
          const peak = sgemmRate.get(tag);
          notes += `; its matmuls alone: ${rate.toFixed(1)} GFLOP/s${peak ? ` = ${((100 * rate) / peak).toFixed(0)}% of the 1024² sgemm rate` : ""}`;
          if (peak && c.threads === 2)
            goals.push(`MLP step's matmuls at ≥ 70% of sgemm at 1024² (${tag}): ${((100 * rate) / peak).toFixed(0)}%`);
        }
        if (name === "benchMatmul" && r.flops) sgemmRate.set(tag, r.flops / r.msPerStep / 1e6);
        if (!results.has(r.name)) results.set(r.name, new Map());
        results.get(r.name)!.set(tag, { ...r, notes });
        if (tag === defaultTag || (defaultTag === "wasm" && c.path === "wasm")) {
          const refMs =
            ref.get(r.name) ?? [...ref.entries()].find(([k]) => k.toLowerCase() === r.name.toLowerCase())?.[1] ?? null;
          if (refMs !== null || name !== "benchLoraStep")
            addRow({ task: r.name, initlabMs: r.msPerStep, numpyMs: refMs, path: `${r.backend} (${tag})`, notes });
        }
        const t = torch.get(r.name);
        const best = t ? [...t.entries()].sort((a, b) => a[1].ms - b[1].ms)[0] : null;
        torchRows.push({
          task: r.name,
          config: tag,
          initlabMs: r.msPerStep,
          initlabCpuMs: r.cpuMs ?? null,
          flops: r.flops ?? null,
          torchThreads: best ? best[0] : null,
          torch: best ? best[1] : null,
          notes,
        });
      } catch (e) {
        console.log(`bench: ${name} (${tag}) failed: ${String((e as Error).message).split("\n")[0]}`);
      }
    }
  }
  kernels.setKernelPath(defaultTag === "wasm" ? "wasm" : "native");
  if (nativeOk) kernels.setBlasThreads(Number(defaultTag.match(/native\/(\d+)t/)?.[1] ?? 1));
  // Goals of issue #15, best initlab configuration against PyTorch's best thread count.
  for (const [task, limit] of [
    ["MLP", 1.0],
    ["conv net", 1.5],
    ["tiny transformer", 1.5],
  ] as const) {
    const rowsFor = torchRows.filter((r) => r.task.startsWith(task) && r.torch);
    if (!rowsFor.length) continue;
    const best = rowsFor.sort((a, b) => a.initlabMs - b.initlabMs)[0];
    const ratioV = best.initlabMs / best.torch!.ms;
    goals.push(
      `${task} step ≤ ${limit.toFixed(1)}× PyTorch: ${ratioV.toFixed(2)}× (initlab ${best.config} vs PyTorch ${best.torchThreads} thread(s)) — ${ratioV <= limit ? "met" : "missed"}`,
    );
  }
  for (const r of torchRows) {
    const f = (x: number | null | undefined) => (x == null ? "—" : x.toFixed(1));
    console.log(
      `${r.task.slice(0, 40).padEnd(40)} ${r.config.padEnd(10)} initlab ${f(r.initlabMs).padStart(8)} ms   PyTorch ${f(r.torch?.ms).padStart(8)} ms (${r.torchThreads ?? "—"}t)   ${ratio(r.initlabMs, r.torch?.ms).padStart(7)}   cpu ${ratio(r.initlabCpuMs, r.torch?.cpuMs).padStart(7)}`,
    );
  }
  for (const g of goals) console.log(`goal: ${g}`);
}

function torchMarkdown(): string[] {
  if (!torchRows.length) return [];
  const f = (x: number | null | undefined) => (x == null ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const gf = (flops: number | null, ms: number | null | undefined) =>
    flops && ms ? (flops / ms / 1e6).toFixed(1) : "—";
  return [
    "## Training steps against PyTorch",
    "",
    torchMissing
      ? `PyTorch reference unavailable: ${torchMissing}.`
      : `PyTorch ${torchVersion} on the CPU (Debian's python3-torch, ${PY}), measured in this run at ${TORCH_THREADS.join(" and ")} thread(s); the reference is the faster of the two per task (its thread count is shown). The same shapes, loss and optimizer (Adam, epsilon 1e-7) as initlab's step.`,
    "initlab runs each step with tfjs-wasm's own kernels (`wasm`) and with initlab's OpenBLAS kernels at 1 and 2 BLAS threads (`native/1t`, `native/2t`; the default is `native/1t`, see README). GFLOP/s counts the step's matmul and convolution FLOPs (forward and backward) over its wall time.",
    "",
    "| task | initlab kernels | initlab ms | PyTorch ms (threads) | ratio | CPU-time ratio | initlab GFLOP/s | PyTorch GFLOP/s | notes |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ...torchRows.map(
      (r) =>
        `| ${r.task} | ${r.config} | ${f(r.initlabMs)} | ${r.torch ? `${f(r.torch.ms)} (${r.torchThreads})` : "—"} | ${ratio(r.initlabMs, r.torch?.ms)} | ${ratio(r.initlabCpuMs, r.torch?.cpuMs)} | ${gf(r.flops, r.initlabMs)} | ${gf(r.flops, r.torch?.ms)} | ${r.notes} |`,
    ),
    "",
    ...(goals.length ? ["Goals (issue #15):", "", ...goals.map((g) => `- ${g}`), ""] : []),
  ];
}

// ---- report ----------------------------------------------------------------------------

function nativeBlas(): string {
  try {
    const libs = new Set<string>();
    for (const line of fs.readFileSync("/proc/self/maps", "utf8").split("\n")) {
      const p = line.trim().split(/\s+/).pop() ?? "";
      if (/blas|lapack\.so/.test(p)) libs.add(fs.realpathSync(p));
    }
    return [...libs].join(", ") || "none loaded";
  } catch {
    return "unknown";
  }
}

function markdown(o: Opts, startLoad: number[], endLoad: number[], wallS: number): string {
  const f = (x: number | null) => (x == null ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const cpus = os.cpus();
  const lines = [
    "# initlab benchmark",
    "",
    `Generated by \`npm run bench${o.argv.length ? " -- " + o.argv.join(" ") : ""}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC in ${wallS.toFixed(0)} s.`,
    "Ratio = initlab ms / numpy ms (lower is better; 1.00× = parity). Median of repeated calls after a warm-up",
    "(the pure-JS rows and the intruder task: one call). numpy and initlab run one after the other per task.",
    "CPU-time ratio = the same ratio over process CPU time (all threads): on a shared machine it is the steadier of",
    "the two, since waiting for a core does not count; with OPENBLAS_NUM_THREADS=1 it is the single-core cost.",
    "",
    "| task | initlab ms | numpy ms | ratio | CPU-time ratio | path / backend | notes |",
    "|---|---:|---:|---:|---:|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.task} | ${f(r.initlabMs)} | ${f(r.numpyMs)} | ${ratio(r.initlabMs, r.numpyMs)} | ${ratio(r.initlabCpuMs, r.numpyCpuMs)} | ${r.path} | ${r.notes} |`,
    ),
    "",
    "## Machine",
    "",
    `- CPU: ${cpus.length} × ${cpus[0]?.model ?? "unknown"}; memory ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- Load average (1/5/15 min) at start ${startLoad.map((x) => x.toFixed(1)).join(" / ")}, at end ${endLoad.map((x) => x.toFixed(1)).join(" / ")}` +
      (startLoad[0] > cpus.length ? " — the machine was shared; absolute times are inflated, ratios less so" : ""),
    `- Node ${process.version}; initlab linalg default path: ${linalgPath()}${linalgPath() === "js" ? ` (${linalgPathReason()})` : ""}; addon BLAS/LAPACK: ${nativeBlas()}`,
    numpyInfo
      ? `- numpy ${numpyInfo.numpy} (Python ${numpyInfo.python}, ${PY}); BLAS/LAPACK: ${numpyInfo.blas.join(", ")}`
      : `- numpy reference unavailable: ${numpyMissing || "skipped (--no-numpy)"}; ratios are n/a`,
    `- OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? "(unset: OpenBLAS uses all cores, for numpy and the addon alike)"}`,
    "",
    ...torchMarkdown(),
  ];
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const t0 = performance.now();
  const startLoad = os.loadavg();
  setLinalgPath(null);
  console.log(
    `initlab bench: linalg path ${linalgPath()}${linalgPath() === "js" ? ` (${linalgPathReason()})` : ""}; load ${startLoad[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  const on = (g: string) => o.only.includes(g);
  if (on("svd")) for (const n of [256, 512, 1024]) benchSvd(o, n);
  if (on("eigh")) for (const n of [512, 1024]) benchEigh(o, n);
  if (on("topk")) benchTopK(o);
  if (on("intruders")) benchIntruders(o);
  if (on("kmedoids")) benchKMedoids(o);
  if (o.training && on("training")) await benchTraining();
  if (numpyMissing) console.log(`bench: ${numpyMissing}; ratios unavailable`);
  const md = markdown(o, startLoad, os.loadavg(), (performance.now() - t0) / 1000);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, md);
  console.log(`wrote ${o.out}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.log(`bench failed: ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}
