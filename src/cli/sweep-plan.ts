// A sweep's jobs: papers × configs (the preset, or each point of a grid) × seeds. A paper with
// runSeed gives one job per seed (keyed by seedJobKey, cached with writeSeedCache); one without
// gives one job per config with the whole seed list (keyed by configHash). Keys include the
// code version, so a job is the same job exactly when its result would be the same.
import * as crypto from "crypto";
import { Size, SIZES, withOverrides } from "../core/types";
import { toJson } from "../io/json";
import { getPaper } from "../papers/registry";
import { codeVersion, configHash, seedJobKey } from "../papers/run";
import { PaperConfig } from "../papers/types";
import { CliUsageError } from "./flags";

/** One unit of work, as sent to a worker (JSON: configs and ids, never data). */
export interface SweepJob {
  /** Queue job id: paper, size and key (BullMQ ids may not contain ':'). */
  id: string;
  paper: string;
  size: Size;
  /** The whole config of this grid point, seeds included. */
  config: PaperConfig;
  /** The seed this job runs, or null for a paper without runSeed (the job runs every seed). */
  seed: number | null;
  key: string;
  /** Index of the grid point (0 without a grid). */
  point: number;
  codeVersion: string;
}

/** One grid value per key, e.g. { lr: 0.01, epochs: 4 }. */
export type GridPoint = Record<string, unknown>;

export interface SweepPlan {
  /** Short hash of the job ids: the same sweep gets the same id. */
  sweepId: string;
  papers: string[];
  size: Size;
  /** Seeds given with --seeds, or null for each paper's preset seeds. */
  seeds: number[] | null;
  /** Grid keys and values as given; empty for a preset sweep. */
  grid: Array<{ key: string; values: unknown[] }>;
  /** points[p] holds paper-independent grid values of point p ([{}] without a grid). */
  points: GridPoint[];
  jobs: SweepJob[];
}

const MAX_SEEDS = 100000;

/** "0..9", "0,3,7", "0..3,10..12": integers ≥ 0, no duplicates. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const p = part.trim();
    const range = /^(\d+)\.\.(\d+)$/.exec(p);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (lo > hi) throw new CliUsageError(`--seeds: range "${p}" runs backwards (write ${hi}..${lo})`);
      if (hi - lo + 1 + out.length > MAX_SEEDS) throw new CliUsageError(`--seeds: more than ${MAX_SEEDS} seeds`);
      for (let s = lo; s <= hi; s++) out.push(s);
    } else if (/^\d+$/.test(p)) out.push(Number(p));
    else
      throw new CliUsageError(
        `--seeds: "${p || text}" is not a seed (integer ≥ 0) or a range like 0..9 (got "${text}")`,
      );
  }
  const dup = out.find((s, i) => out.indexOf(s) !== i);
  if (dup !== undefined) throw new CliUsageError(`--seeds: seed ${dup} is given twice in "${text}"`);
  if (out.some((s) => !Number.isSafeInteger(s))) throw new CliUsageError(`--seeds: "${text}" has a seed too large`);
  return out;
}

/** Splits on commas outside brackets and quotes: "[64,32],[128,64]" → two values. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = "";
  for (const ch of text) {
    if (ch === '"') quote = !quote;
    else if (!quote && (ch === "[" || ch === "{")) depth++;
    else if (!quote && (ch === "]" || ch === "}")) depth--;
    if (ch === "," && depth === 0 && !quote) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
}

/** "lr=0.001,0.003": a key and its values (JSON where it parses, else the text). */
export function parseGridArg(text: string): { key: string; values: unknown[] } {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1)
    throw new CliUsageError(`--grid: "${text}" must look like key=v1,v2 (e.g. lr=0.001,0.003)`);
  const key = text.slice(0, eq).trim();
  if (key === "seeds") throw new CliUsageError("--grid: use --seeds for seeds, not --grid seeds=…");
  const values = splitTop(text.slice(eq + 1)).map((raw) => {
    const v = raw.trim();
    if (v === "") throw new CliUsageError(`--grid: "${text}" has an empty value`);
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  });
  const seen = new Set(values.map((v) => toJson(v)));
  if (seen.size !== values.length) throw new CliUsageError(`--grid: "${text}" repeats a value`);
  return { key, values };
}

/** Checks grid keys and value kinds against one paper's preset (clear errors). */
function checkGrid(paper: string, preset: PaperConfig, grid: SweepPlan["grid"]): void {
  for (const { key, values } of grid) {
    if (!(key in preset))
      throw new CliUsageError(
        `--grid: paper "${paper}" has no config key "${key}" (its keys: ${Object.keys(preset)
          .filter((k) => k !== "seeds")
          .join(", ")})`,
      );
    const want = kindOf((preset as unknown as Record<string, unknown>)[key]);
    for (const v of values)
      if (kindOf(v) !== want)
        throw new CliUsageError(
          `--grid: ${key}=${toJson(v)} for paper "${paper}" must be a ${want} like the preset's ${toJson((preset as unknown as Record<string, unknown>)[key])}`,
        );
  }
}

/** Every combination of the grid values, first key slowest. */
export function gridPoints(grid: SweepPlan["grid"]): GridPoint[] {
  let pts: GridPoint[] = [{}];
  for (const { key, values } of grid) pts = pts.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return pts;
}

/** The config of one paper at one grid point (the preset with the point's values and the seeds). */
export function pointConfig(paper: string, size: Size, point: GridPoint, seeds: number[] | null): PaperConfig {
  const preset = getPaper(paper).presets[size];
  const over: Record<string, unknown> = { ...point };
  if (seeds) over.seeds = seeds;
  return withOverrides(preset as PaperConfig, over as Partial<PaperConfig>);
}

/** Expands papers × grid points × seeds into jobs (validating everything first). */
export function planSweep(opts: {
  papers: string[];
  size: string;
  seeds?: number[] | null;
  grid?: SweepPlan["grid"];
}): SweepPlan {
  if (!(SIZES as readonly string[]).includes(opts.size))
    throw new CliUsageError(`--size: unknown size "${opts.size}" (known: ${SIZES.join(", ")})`);
  const size = opts.size as Size;
  if (opts.papers.length === 0) throw new CliUsageError("name at least one paper id");
  const dupPaper = opts.papers.find((p, i) => opts.papers.indexOf(p) !== i);
  if (dupPaper) throw new CliUsageError(`paper "${dupPaper}" is named twice`);
  const grid = opts.grid ?? [];
  const dupKey = grid.find((g, i) => grid.findIndex((h) => h.key === g.key) !== i);
  if (dupKey) throw new CliUsageError(`--grid: key "${dupKey.key}" is given twice`);
  for (const p of opts.papers) {
    try {
      getPaper(p);
    } catch (e) {
      throw new CliUsageError((e as Error).message.replace(/^id: /, ""));
    }
    checkGrid(p, getPaper(p).presets[size], grid);
  }
  const points = gridPoints(grid);
  const version = codeVersion();
  const jobs: SweepJob[] = [];
  for (const paper of opts.papers) {
    const def = getPaper(paper);
    points.forEach((pt, point) => {
      const config = pointConfig(paper, size, pt, opts.seeds ?? null);
      const base = { paper, size, config, point, codeVersion: version };
      if (def.runSeed) {
        for (const s of config.seeds) {
          const key = seedJobKey(paper, config, s);
          jobs.push({ ...base, id: `${paper}.${size}.${key}`, seed: s, key });
        }
      } else {
        const key = configHash(paper, config);
        jobs.push({ ...base, id: `${paper}.${size}.${key}`, seed: null, key });
      }
    });
  }
  // Two grid points can coincide (a value equal to the preset's is harmless, duplicates are not).
  const ids = new Set<string>();
  for (const j of jobs) {
    if (ids.has(j.id)) throw new CliUsageError(`two grid points of "${j.paper}" give the same config`);
    ids.add(j.id);
  }
  const sweepId = crypto
    .createHash("sha256")
    .update(jobs.map((j) => j.id).join("\n"))
    .digest("hex")
    .slice(0, 12);
  return { sweepId, papers: [...opts.papers], size, seeds: opts.seeds ?? null, grid, points, jobs };
}

/** A short, code-independent name for a grid point's config (its results folder). */
export function pointHash(config: PaperConfig): string {
  return crypto.createHash("sha256").update(toJson(config)).digest("hex").slice(0, 12);
}

/** "quickstart seed 3" / "quickstart lr=0.01 seed 3". */
export function jobLabel(job: SweepJob, plan?: Pick<SweepPlan, "points" | "grid">): string {
  const pt = plan && plan.grid.length ? plan.points[job.point] : {};
  const bits = Object.entries(pt).map(([k, v]) => `${k}=${toJson(v)}`);
  return [job.paper, ...bits, job.seed === null ? `seeds ${job.config.seeds.join(",")}` : `seed ${job.seed}`].join(" ");
}
