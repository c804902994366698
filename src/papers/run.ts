// il.runPaper: runs a registered paper at a size (or reads its cached result), computes its
// checks and figures, and writes results/<id>/summary.json and figures/<id>/ (smoke runs:
// under out/). The cache key is the paper id, the config and the library's code version.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { activeBackend, backendReady } from "../nn/backend";
import { seed } from "../core/random";
import { ProgressEvent, Size, sizeFromEnv, SIZES, withOverrides } from "../core/types";
import { fail } from "../core/validate";
import { fromJson, toJson, writeFileAtomic } from "../io/json";
import { cacheDir, figuresDir, resultsDir } from "../io/paths";
import { save } from "../plot/render";
import { validateChecks } from "./checks";
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
  provenance: { codeVersion: string; runId: string | null; computeSeconds: number; cached: boolean };
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

export function configHash(id: string, config: unknown): string {
  return crypto
    .createHash("sha256")
    .update(`${id}\0${toJson(config)}\0${codeVersion()}`)
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
    const result = (await paper.run(config, ctx)) as R;
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
  const summary = paper.summary ? paper.summary(result, config) : {};
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
    backend: activeBackend(),
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
