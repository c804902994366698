// il.runPaper: runs a registered paper at a size (or reads its cached result), computes its
// checks and figures, and writes results/<id>/summary.json and figures/<id>/ (smoke runs:
// under out/). The cache key is the paper id, the config and the library's code version.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { activeBackend, backendReady } from "../nn/backend";
import { kernelTag, plannedKernelTag } from "../nn/native-kernels";
import { seed } from "../core/random";
import { ProgressEvent, Size, sizeFromEnv, SIZES, withOverrides } from "../core/types";
import { fail } from "../core/validate";
import { fromJson, toJson, writeFileAtomic } from "../io/json";
import { cacheDir, figuresDir, resultsDir } from "../io/paths";
import { save } from "../plot/render";
import { validateChecks } from "./checks";
import { runParallel } from "./parallel";
import { getPaper } from "./registry";
import { Check, Citation, Figure, PaperConfig, PaperContext } from "./types";

export interface RunPaperOptions<C = PaperConfig> {
  /** Size preset (default: INITLAB_SIZE, else "default"). */
  size?: Size;
  /** Overrides of the preset's fields (unknown keys are rejected). Results are not written when set. */
  config?: Partial<C>;
  onProgress?: (p: ProgressEvent) => void;
  /** Read and write the result cache (default true). */
  cache?: boolean;
  /** Write results/<id>/summary.json and figure files (default: true unless config overrides are given). */
  write?: boolean;
  /**
   * Worker threads for the seeds of a paper that defines runSeed (default: INITLAB_WORKERS,
   * else 1). Results are identical to sequential runs; each seed is cached on its own.
   */
  workers?: number;
}

export interface PaperRun<R = unknown, C = PaperConfig> {
  id: string;
  citation: Citation;
  claim: string;
  size: Size;
  config: C;
  result: R;
  checks: Check[];
  figures: Figure[];
  summary: Record<string, number | string>;
  /** True when the result came from the cache. */
  cached: boolean;
  /** Seconds the result took to compute (from the cache record when cached). */
  computeSeconds: number;
  backend: string;
  codeVersion: string;
  /** Where summary.json was written, or null. */
  summaryFile: string | null;
}

/** On-disk per-paper results (results/<id>/summary.json). */
export interface PaperSummaryFile {
  id: string;
  citation: Citation;
  claim: string;
  size: Size;
  seeds: number[];
  config: unknown;
  backend: string;
  checks: Check[];
  summary: Record<string, number | string>;
  figures: string[];
  /** Varies run to run; kept apart so same-seed runs compare equal elsewhere. */
  provenance: {
    codeVersion: string;
    runId: string | null;
    computeSeconds: number;
    cached: boolean;
    /** Summary values that are durations (keys ending in seconds/Seconds/ms/Ms/overhead/perSecond): they vary run to run. */
    timings: Record<string, number | string>;
  };
}

/**
 * Summary keys that name a duration (ending in seconds/Seconds/ms/Ms, or an overhead or
 * per-second rate): they vary run to run, so they are kept apart from measured values.
 */
export function isTimingKey(key: string): boolean {
  return /(^|[a-z0-9_ ])(seconds|Seconds|ms|Ms|overhead|Overhead|perSecond|PerSecond)(\b|$)/.test(key);
}

let version: string | null = null;

/** A hash of the library's code (the compiled or source files next to this module). */
export function codeVersion(): string {
  if (version) return version;
  const top = path.resolve(__dirname, "..");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith(".d.ts")) files.push(p);
    }
  };
  walk(top);
  const h = crypto.createHash("sha256");
  for (const f of files) h.update(path.relative(top, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  return (version = h.digest("hex").slice(0, 12));
}

/** The kernels in the cache key: results differ (slightly) between kernel paths and BLAS thread counts. */
function computeKey(): string {
  const k = plannedKernelTag();
  return k === "wasm" ? "" : `\0${k}`; // wasm keys as before, so existing caches stay valid
}

export function configHash(id: string, config: unknown): string {
  return crypto
    .createHash("sha256")
    .update(`${id}\0${toJson(config)}\0${codeVersion()}${computeKey()}`)
    .digest("hex")
    .slice(0, 16);
}

function cacheFile(id: string, size: Size, config: unknown): string {
  return path.join(cacheDir(), size, id, `${configHash(id, config)}.json`);
}

interface CacheRecord<R> {
  id: string;
  config: unknown;
  codeVersion: string;
  computeSeconds: number;
  result: R;
}

function readCache<R>(file: string, config: unknown): CacheRecord<R> | null {
  if (!fs.existsSync(file)) return null;
  try {
    const rec = fromJson<CacheRecord<R>>(fs.readFileSync(file, "utf8"), file);
    return toJson(rec.config) === toJson(config) && rec.codeVersion === codeVersion() ? rec : null;
  } catch {
    return null; // a corrupt cache entry is recomputed
  }
}

/** Stores a whole run's result as runPaper would have cached it (a sweep job that ran elsewhere). */
export function writeRunCache(id: string, size: Size, config: PaperConfig, result: unknown, seconds: number): void {
  const rec: CacheRecord<unknown> = { id, config, codeVersion: codeVersion(), computeSeconds: seconds, result };
  writeFileAtomic(cacheFile(id, size, config), toJson(rec));
}

/** Whether runPaper would find this whole run in the cache. */
export function hasRunCache(id: string, size: Size, config: PaperConfig): boolean {
  return readCache(cacheFile(id, size, config), config) !== null;
}

/**
 * Cache key of one seed's job: paper, config without its seed list, seed, code version (the
 * seed list too for a paper whose seed results read it: seedResultsReadSeedList).
 */
export function seedJobKey(id: string, config: PaperConfig, seedValue: number): string {
  const { seeds, ...rest } = config;
  if (getPaper(id).seedResultsReadSeedList === true)
    return configHash(`${id}#seed`, { config: rest, seed: seedValue, seeds });
  return configHash(`${id}#seed`, { config: rest, seed: seedValue });
}

function seedCacheFile(id: string, size: Size, config: PaperConfig, seedValue: number): string {
  return path.join(cacheDir(), size, id, `seed-${seedJobKey(id, config, seedValue)}.json`);
}

interface SeedRecord {
  id: string;
  seed: number;
  codeVersion: string;
  computeSeconds: number;
  result: unknown;
}

/** Reads one seed's cached result (null when absent, stale or unreadable). */
export function readSeedCache(id: string, size: Size, config: PaperConfig, seedValue: number): SeedRecord | null {
  const f = seedCacheFile(id, size, config, seedValue);
  if (!fs.existsSync(f)) return null;
  try {
    const r = fromJson<SeedRecord>(fs.readFileSync(f, "utf8"), f);
    return r.codeVersion === codeVersion() && r.seed === seedValue ? r : null;
  } catch {
    return null;
  }
}

export function writeSeedCache(
  id: string,
  size: Size,
  config: PaperConfig,
  seedValue: number,
  result: unknown,
  seconds: number,
): void {
  const rec: SeedRecord = { id, seed: seedValue, codeVersion: codeVersion(), computeSeconds: seconds, result };
  writeFileAtomic(seedCacheFile(id, size, config, seedValue), toJson(rec));
}

function workerCount(opt: number | undefined): number {
  const n = opt ?? (process.env.INITLAB_WORKERS ? Number(process.env.INITLAB_WORKERS) : 1);
  if (!Number.isInteger(n) || n < 1)
    fail(opt !== undefined ? "opts.workers" : "INITLAB_WORKERS", `must be a positive integer, got ${n}`);
  return n;
}

/** The per-seed path: cached seeds are read, the rest run (in workers when asked), then combined. */
async function runBySeed(
  paper: ReturnType<typeof getPaper>,
  config: PaperConfig,
  ctx: PaperContext,
  opts: { workers: number; cache: boolean },
): Promise<unknown> {
  const parts: unknown[] = new Array(config.seeds.length);
  const todo: number[] = [];
  config.seeds.forEach((s, i) => {
    const hit = opts.cache ? readSeedCache(paper.id, ctx.size, config, s) : null;
    if (hit) parts[i] = fromJson(toJson(hit.result));
    else todo.push(i);
  });
  // Needs are resolved here first, so that workers find them in the cache.
  for (const dep of paper.needs ?? []) await ctx.need(dep);
  const keep = (i: number, r: unknown, seconds: number) => {
    if (opts.cache) writeSeedCache(paper.id, ctx.size, config, config.seeds[i], r, seconds);
    parts[i] = fromJson(toJson(r));
  };
  // Units of work: one per seed, or one per (seed, part) when the paper splits its seeds.
  const partNames = paper.seedParts ? paper.seedParts(config) : null;
  if (
    partNames &&
    (!Array.isArray(partNames) || partNames.length === 0 || !partNames.every((x) => typeof x === "string"))
  )
    fail(`paper "${paper.id}".seedParts`, "must return a non-empty array of part names");
  const units = todo.flatMap((i) => (partNames ?? [undefined]).map((part) => ({ i, part })));
  const merge = (rs: unknown[]) => (partNames ? paper.mergeParts!(rs, config) : rs[0]);
  if (opts.workers > 1 && units.length > 1) {
    const t0 = Date.now();
    const out = await runParallel(
      units.map(({ i, part }) => ({
        paper: paper.id,
        config,
        seed: config.seeds[i],
        size: ctx.size,
        ...(part !== undefined ? { part } : {}),
      })),
      {
        workers: opts.workers,
        onProgress: (k, e) =>
          ctx.onProgress?.({
            ...e,
            label: `seed ${config.seeds[units[k].i]}${units[k].part ? ` ${units[k].part}` : ""}: ${e.label}`,
          }),
      },
    );
    const each = (Date.now() - t0) / 1000 / todo.length;
    todo.forEach((i) => keep(i, merge(units.flatMap((u, k) => (u.i === i ? [out[k]] : []))), each));
  } else {
    for (const i of todo) {
      const t0 = Date.now();
      const rs: unknown[] = [];
      for (const part of partNames ?? [undefined]) {
        seed(config.seeds[i]);
        rs.push(await paper.runSeed!(config, config.seeds[i], part === undefined ? ctx : { ...ctx, part }));
      }
      keep(i, merge(rs), (Date.now() - t0) / 1000);
    }
  }
  return paper.combine!(parts, config);
}

const inFlight = new Map<string, Promise<PaperRun>>();

/** Runs (or reads the cache of) a registered paper; see RunPaperOptions. */
export async function runPaper<R = unknown, C extends PaperConfig = PaperConfig>(
  id: string,
  opts: RunPaperOptions<C> = {},
): Promise<PaperRun<R, C>> {
  const paper = getPaper(id);
  const size = opts.size ?? sizeFromEnv();
  if (!(SIZES as readonly string[]).includes(size))
    fail("opts.size", `unknown size "${size}" (known: ${SIZES.join(", ")})`);
  const config = withOverrides(paper.presets[size] as unknown as C, opts.config ?? {});
  if (!Array.isArray(config.seeds) || config.seeds.length === 0)
    fail("config.seeds", "must be a non-empty array of seeds");
  const useCache = opts.cache ?? true;
  const write = opts.write ?? opts.config === undefined;
  await backendReady();
  const file = cacheFile(id, size, config);
  let rec = useCache ? readCache<R>(file, config) : null;
  const cached = !!rec;
  if (!rec) {
    const ctx: PaperContext = {
      size,
      onProgress: opts.onProgress,
      need: async <T>(dep: string) => {
        if (!(paper.needs ?? []).includes(dep))
          fail("need", `paper "${id}" reads "${dep}" but does not list it in needs`);
        const key = `${dep}:${size}`;
        if (!inFlight.has(key))
          inFlight.set(
            key,
            runPaper(dep, { size, onProgress: opts.onProgress, cache: useCache }).finally(() => inFlight.delete(key)),
          );
        return (await inFlight.get(key)!).result as T;
      },
    };
    seed(config.seeds[0]);
    const t0 = Date.now();
    const result = (
      paper.runSeed
        ? await runBySeed(paper, config, ctx, { workers: workerCount(opts.workers), cache: useCache })
        : await paper.run!(config, ctx)
    ) as R;
    rec = { id, config, codeVersion: codeVersion(), computeSeconds: (Date.now() - t0) / 1000, result };
    if (useCache) writeFileAtomic(file, toJson(rec));
    // Round-trip through JSON so a fresh run and a cached one give the same values.
    rec = fromJson<CacheRecord<R>>(toJson(rec));
  }
  const result = rec.result;
  const checks = paper.checks(result, config);
  validateChecks(checks, `paper "${id}" checks`);
  const figures = paper.figures(result, config);
  if (!Array.isArray(figures)) fail(`paper "${id}".figures`, "must return an array");
  const names = new Set<string>();
  for (const f of figures) {
    if (!f || typeof f.name !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/i.test(f.name))
      fail(`paper "${id}" figure`, `has an invalid name ${JSON.stringify(f?.name)}`);
    if (names.has(f.name)) fail(`paper "${id}" figure`, `name "${f.name}" is used twice`);
    names.add(f.name);
  }
  const allSummary = paper.summary ? paper.summary(result, config) : {};
  const summary = Object.fromEntries(Object.entries(allSummary).filter(([k]) => !isTimingKey(k)));
  const timings = Object.fromEntries(Object.entries(allSummary).filter(([k]) => isTimingKey(k)));
  const run: PaperRun<R, C> = {
    id,
    citation: paper.citation,
    claim: paper.claim,
    size,
    config,
    result,
    checks,
    figures,
    summary,
    cached,
    computeSeconds: rec.computeSeconds,
    backend: kernelTag() === "wasm" ? activeBackend() : `${activeBackend()} (${kernelTag()})`,
    codeVersion: codeVersion(),
    summaryFile: null,
  };
  if (write) {
    const figDir = path.join(figuresDir(size), id);
    for (const f of figures) await save(f.spec, f.name, figDir);
    const out: PaperSummaryFile = {
      id,
      citation: paper.citation,
      claim: paper.claim,
      size,
      seeds: config.seeds,
      config,
      backend: run.backend,
      checks,
      summary,
      figures: figures.map((f) => f.name),
      provenance: {
        codeVersion: run.codeVersion,
        runId: process.env.INITLAB_RUN_ID ?? null,
        computeSeconds: Math.round(rec.computeSeconds * 10) / 10,
        cached,
        timings,
      },
    };
    run.summaryFile = path.join(resultsDir(size), id, "summary.json");
    writeFileAtomic(run.summaryFile, toJson(out, 2) + "\n");
  }
  return run;
}

/** Reads results/<id>/summary.json (or null when absent or unreadable). */
export function readPaperSummary(id: string, size?: Size): PaperSummaryFile | null {
  const f = path.join(resultsDir(size), id, "summary.json");
  if (!fs.existsSync(f)) return null;
  try {
    return fromJson<PaperSummaryFile>(fs.readFileSync(f, "utf8"), f);
  } catch {
    return null;
  }
}
