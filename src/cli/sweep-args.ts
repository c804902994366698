// Command-line arguments of `npm run sweep` and `initlab sweep status|collect`, validated
// with clear errors (unknown papers, bad seed ranges, grid keys the preset does not have).
import * as fs from "fs";
import * as path from "path";
import "../papers/all";
import { defaultWorkers } from "../papers/parallel";
import { CliUsageError } from "./flags";
import { parseGridArg, parseSeeds, planSweep, SweepPlan } from "./sweep-plan";
import { DEFAULT_QUEUE_NAME, parseRedisUrl } from "./sweep-redis";

export interface SweepArgs {
  plan: SweepPlan;
  /** null: run locally on worker threads. */
  queue: URL | null;
  name: string;
  detach: boolean;
  workers: number;
  attempts: number;
  papersModule?: string;
}

/** Loads an extra module of paper definitions (papers outside src/papers, test fixtures). */
export function loadPapers(module?: string): void {
  if (!module) return;
  if (!fs.existsSync(module)) throw new CliUsageError(`--papers: ${module} does not exist`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(module);
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 1)
    throw new CliUsageError(`${flag}: must be a positive integer, got "${v}"`);
  return n;
}

export function parseSweepArgs(argv: string[]): SweepArgs {
  const ids: string[] = [];
  const gridArgs: string[] = [];
  const seen = new Set<string>();
  let size = "default";
  let seeds: number[] | null = null;
  let queue: URL | null = null;
  let name = DEFAULT_QUEUE_NAME;
  let detach = false;
  let workers = defaultWorkers();
  let attempts = 2;
  let papersModule: string | undefined;
  let inGrid = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = () => {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined || (eq < 0 && v.startsWith("--"))) throw new CliUsageError(`${flag} needs a value`);
      return v;
    };
    if (!flag.startsWith("-")) {
      if (raw.includes("=")) {
        if (!inGrid) throw new CliUsageError(`"${raw}" looks like a grid value: write --grid ${raw}`);
        gridArgs.push(raw);
      } else {
        inGrid = false;
        ids.push(raw);
      }
      continue;
    }
    inGrid = false;
    if (flag !== "--grid" && seen.has(flag)) throw new CliUsageError(`${flag} is given twice`);
    seen.add(flag);
    if (flag === "--size") size = value();
    else if (flag === "--seeds") seeds = parseSeeds(value());
    else if (flag === "--grid") {
      gridArgs.push(value());
      inGrid = true;
    } else if (flag === "--queue") queue = parseRedisUrl(value());
    else if (flag === "--name") name = value();
    else if (flag === "--detach") {
      if (eq > 0) throw new CliUsageError("--detach takes no value");
      detach = true;
    } else if (flag === "--workers") workers = positiveInt("--workers", value());
    else if (flag === "--attempts") attempts = positiveInt("--attempts", value());
    else if (flag === "--papers") papersModule = path.resolve(value());
    else throw new CliUsageError(`unknown flag "${flag}"`);
  }
  if (detach && !queue) throw new CliUsageError("--detach needs --queue (a local sweep runs in this process)");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
    throw new CliUsageError(`--name: "${name}" must be letters, digits, '_', '.', '-'`);
  loadPapers(papersModule);
  const plan = planSweep({ papers: ids, size, seeds, grid: gridArgs.map(parseGridArg) });
  return { plan, queue, name, detach, workers, attempts, papersModule };
}
