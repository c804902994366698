// The atlas's run: per seed, the MLP base and its references, then every trained row (lr
// selected on the seed's validation split); combine gathers the seeds and the row list.
import { ProgressEvent } from "../../core/types";
import { fail } from "../../core/validate";
import { ADAPTERS_COMPARE_PRESETS } from "../adapters-compare/presets";
import type { BenchScale } from "../../adapters/benchmark";
import type { PaperContext } from "../types";
import type { AtlasConfig } from "./config";
import { labelAlignment } from "./diagnostics";
import { AtlasMethod, atlasMethods, Registry, registeredNames } from "./methods";
import { lrCentre, RowFailure, RowSeed, runMlpRows } from "./mlp-run";
import { mlpBase } from "./mlp-setup";
import { charLrCentre, charRows, runCharRows } from "./char-run";

/** A row as stored in the result (no functions, no variant configs). */
export interface MethodInfo {
  id: string;
  registry: Registry;
  name: string;
  recipe: string;
  na: string | null;
  lrCentre: number | null;
}

export interface AtlasSeedResult {
  seed: number;
  baseAccA: number;
  /** Kernel–label alignment of the base's features on the seed's probe set (the "before"). */
  kaBefore: number;
  records: RowSeed[];
  /** Rows that could not run on this base and seed, with the reason. */
  failed: RowFailure[];
}

/** The char base's part: its rows (a subset of the atlas's) and per seed its records. */
export interface CharPart {
  methods: MethodInfo[];
  seeds: Array<{ seed: number; baseAccA: number; records: RowSeed[]; failed: RowFailure[] }>;
}

export interface AtlasResult {
  methods: MethodInfo[];
  /** The char base's rows and records (absent when config.char is null). */
  char?: CharPart;
  /** The registries' names when the atlas ran (the sanity check compares them with the current ones). */
  registered: Record<Registry, string[]>;
  seeds: AtlasSeedResult[];
}

/** The adapter benchmark's scale (its default preset): the mid variant each adapter row runs. */
export function atlasScale(cfg: AtlasConfig): BenchScale {
  const b = ADAPTERS_COMPARE_PRESETS.default;
  return { ...b, hidden: cfg.mlp.hidden, sweepRanks: [] };
}

function describe(cfg: AtlasConfig, m: AtlasMethod, rows: AtlasMethod[]): MethodInfo {
  let recipe: string;
  let na = m.na;
  if (m.registry === "adapter") recipe = m.variant ? `adapter: ${m.variant.id}` : "n/a";
  else if (m.registry === "optimizer") recipe = `full FT with ${m.name}`;
  else if (m.registry === "mask") recipe = `sparse FT (Adam), ${m.name} mask at density ${cfg.maskDensity}`;
  else if (m.registry === "init") recipe = `full FT (Adam), head B init ${m.name}`;
  else recipe = "n/a";
  // The default head init under full-FT Adam is exactly the optimizer:adam row: not run twice.
  if (m.registry === "init" && m.name === cfg.headInit && rows.some((r) => r.id === "optimizer:adam"))
    na = "same recipe as optimizer:adam (its head B init is this one): see that row";
  return { id: m.id, registry: m.registry, name: m.name, recipe, na, lrCentre: na ? null : lrCentre(cfg, m) };
}

/** The rows this config runs (all registered ones, or those named in `only` by id or registry). */
export function selectedMethods(cfg: AtlasConfig): { rows: AtlasMethod[]; infos: MethodInfo[] } {
  const all = atlasMethods(atlasScale(cfg));
  let rows = cfg.only.length ? all.filter((m) => cfg.only.includes(m.id) || cfg.only.includes(m.registry)) : all;
  if (cfg.perRegistry > 0)
    rows = rows.filter((m) => rows.filter((x) => x.registry === m.registry).indexOf(m) < cfg.perRegistry);
  if (!rows.length) fail("config.only", `matches no row (rows: ${all.map((m) => m.id).join(", ")})`);
  return { rows, infos: rows.map((m) => describe(cfg, m, rows)) };
}

/**
 * Every seed: the seed's MLP base, then every trained row. The first seed selects each row's
 * lr on its validation split; the later seeds train each row once at that lr (the seeds
 * share the selection, so the paper runs them in one job).
 */
export async function runAtlas(cfg: AtlasConfig, ctx: Pick<PaperContext, "onProgress">): Promise<AtlasResult> {
  const { rows, infos } = selectedMethods(cfg);
  const trained = rows.filter((_, i) => infos[i].na === null);
  const onProgress = ctx.onProgress as ((p: ProgressEvent) => void) | undefined;
  const seeds: AtlasSeedResult[] = [];
  let chosen: Map<string, number> | null = null;
  for (const [k, s] of cfg.seeds.entries()) {
    const b = await mlpBase(cfg, s);
    try {
      const progress = { onProgress, done: k * trained.length, total: cfg.seeds.length * trained.length };
      const { records, failed } = await runMlpRows(cfg, b, trained, s, chosen, progress);
      chosen ??= new Map(records.map((r) => [r.id, r.lr]));
      const kaBefore = labelAlignment(b.featuresBefore, b.probe.y);
      seeds.push({ seed: s, baseAccA: b.baseAccA, kaBefore, records, failed });
    } finally {
      b.dispose();
    }
  }
  // Rows that failed on the first seed (their method refused the config) are n/a with the reason.
  const methods = infos.map((m) => {
    const f = seeds[0].failed.find((x) => x.id === m.id);
    return f ? { ...m, na: `failed to run: ${f.reason}` } : m;
  });
  const result: AtlasResult = { methods, registered: registeredNames(), seeds };
  if (cfg.char) {
    const c = cfg.char;
    const crow = charRows(trained);
    const cseeds: CharPart["seeds"] = [];
    let cchosen: Map<string, number> | null = null;
    for (const [k, s] of cfg.seeds.entries()) {
      const progress = { onProgress, done: k * crow.length, total: cfg.seeds.length * crow.length };
      const part = await runCharRows(cfg, c, crow, s, cchosen, progress);
      cchosen ??= new Map(part.records.map((r) => [r.id, r.lr]));
      cseeds.push({ seed: s, ...part });
    }
    result.char = {
      methods: crow.map((m) => {
        const f = cseeds[0].failed.find((x) => x.id === m.id);
        return {
          id: m.id,
          registry: m.registry,
          name: m.name,
          recipe: m.charVariant
            ? `adapter: ${m.charVariant.id}`
            : m.registry === "mask"
              ? `sparse FT (Adam) of the block matrices, ${m.name} mask at density ${cfg.maskDensity}`
              : `full FT with ${m.name}`,
          na: f ? `failed to run: ${f.reason}` : null,
          lrCentre: charLrCentre(c, m),
        };
      }),
      seeds: cseeds,
    };
  }
  onProgress?.({ label: "done", step: 1, total: 1 });
  return result;
}
