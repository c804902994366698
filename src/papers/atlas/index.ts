// The atlas: every registered method (adapters, optimizers, masks, inits, growth operators)
// fine-tuned on the same base under the same diagnostics, one table, small multiples and a
// rank-correlation matrix, and two cross-method claims from the literature tested on it.
import { Interval } from "../../metrics/intervals";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import type { Check } from "../types";
import type { AtlasConfig } from "./config";
import { DIAGNOSTICS, DiagnosticKey } from "./diagnostics";
import { atlasFigures } from "./figures";
import { registeredNames, REGISTRIES } from "./methods";
import { ATLAS_PRESETS } from "./presets";
import { AtlasResult, runAtlas } from "./run";
import { atlasView, BaseView } from "./view";

const labelOf = (k: DiagnosticKey) => DIAGNOSTICS.find((d) => d.key === k)?.label ?? k;

/** The per-seed ρ interval of one diagnostic against a target. */
function rhoOf(v: BaseView, target: "forgetting" | "accB", d: DiagnosticKey): Interval {
  const p = v.predictors[target].find((x) => x.diagnostic === d);
  return p ? p.interval : { mean: NaN, lo: NaN, hi: NaN, n: 0, level: 0.95, method: "single" };
}

/** The two evidence checks on one base (rules fixed before any result was seen). */
function evidenceOn(v: BaseView, tag: string, suffix: string): Check[] {
  const intr = rhoOf(v, "forgetting", "intruders");
  const learn = rhoOf(v, "forgetting", "accB");
  return [
    evidence(
      `${tag}Shuttleworth et al. (LoRA vs full fine-tuning: an illusion of equivalence): intruder dimensions track forgetting — across the atlas's rows, Spearman ρ(intruder count, forgetting) per seed`,
      intr,
      "95% interval of ρ over seeds above 0",
      above(intr, 0),
      { figure: `atlas-predictors${suffix}`, seeds: Math.max(1, intr.n) },
    ),
    evidence(
      `${tag}Biderman et al. (LoRA learns less and forgets less): methods that learn more forget more — Spearman ρ(task-B accuracy, forgetting) per seed across the rows`,
      learn,
      "95% interval of ρ over seeds above 0",
      above(learn, 0),
      { figure: `atlas-predictors${suffix}`, seeds: Math.max(1, learn.n) },
    ),
  ];
}

export const atlas = definePaper<AtlasConfig, AtlasResult>({
  id: "atlas",
  citation: {
    authors: [],
    title: "initlab atlas: every registered method under every diagnostic (a cross-paper study)",
    venue: "initlab",
    year: 2026,
  },
  claim:
    "Across fine-tuning methods on one pretrained base, weight-space diagnostics of ΔW (intruder dimensions, rank, size) and representation diagnostics rank the methods like their forgetting and their accuracy do, so they predict both.",
  presets: ATLAS_PRESETS,
  run: (cfg, ctx) => runAtlas(cfg, ctx),
  checks(r, cfg) {
    const v = atlasView(r, cfg);
    const now = registeredNames();
    const ids = new Set(r.methods.map((m) => m.id));
    // A config that runs a subset on purpose (smoke, tests) is checked against its own selection.
    const missing =
      cfg.only.length || cfg.perRegistry > 0
        ? []
        : REGISTRIES.flatMap((reg) => now[reg].filter((n) => !ids.has(`${reg}:${n}`)).map((n) => `${reg}:${n}`));
    const trained = v.table.filter((t) => t.na === null);
    const charRows = v.char ? v.char.table.filter((t) => t.na === null).length * v.char.seeds : 0;
    const cells = trained.length * r.seeds.length + charRows;
    const all = [...v.records, ...(v.char?.records ?? [])];
    const finite = all.filter((x) => Object.values(x.diagnostics).every(Number.isFinite)).length;
    const failedMlp = r.seeds.flatMap((x) => x.failed.map((f) => `${f.id} (seed ${f.seed}): ${f.reason}`));
    const masks = all.filter((x) => x.id.startsWith("mask:"));
    const maxChanged = masks.length ? Math.max(...masks.map((x) => x.changedFraction)) : 0;
    // A mask keeps round(density · N) of the N entries it covers (masks pool over matrices).
    const overMask = masks.filter(
      (x) => x.changedFraction * x.entries > Math.round(cfg.maskDensity * x.entries) + 1e-6,
    );
    // Both bases: every trained row's first-seed record holds the selection that chose its lr.
    const first = all.filter((x) => x.seed === r.seeds[0].seed);
    const selected = first.filter((x) => x.selection && x.selection.tried.includes(x.lr)).length;
    const trainedRows = trained.length + (v.char ? v.char.table.filter((t) => t.na === null).length : 0);
    return [
      ...evidenceOn(v, "", ""),
      ...(v.char ? evidenceOn(v.char, "[char LM] ", "-char") : []),
      sanity(
        "Every method of every registry (adapters, optimizers, masks, inits, growth) has a row in the table",
        missing.length ? `missing: ${missing.join(", ")}` : `${r.methods.length} rows, none missing`,
        "no registered method missing",
        missing.length === 0,
        { seeds: r.seeds.length },
      ),
      sanity(
        "Every trained row has finite diagnostics on every seed (both bases)",
        `${finite} of ${cells} row-seeds`,
        "all finite",
        finite === cells && all.length === cells && cells > 0,
        { seeds: r.seeds.length },
      ),
      sanity(
        "Every row of a trained registry ran on the MLP base (rows that fail on the char base are listed there as n/a)",
        failedMlp.length ? `failed: ${failedMlp.join("; ")}` : "none failed",
        "no failed row on the MLP base",
        failedMlp.length === 0,
        { seeds: r.seeds.length },
      ),
      sanity(
        "Sparse fine-tuning rows change at most the mask density of the masked matrices' entries (largest changed fraction, both bases)",
        maxChanged,
        `changed entries ≤ round(${cfg.maskDensity} · N) of the N masked entries, every mask row and seed`,
        overMask.length === 0,
        { seeds: r.seeds.length },
      ),
      sanity(
        "Every trained row's lr was selected on the first seed's validation split (winner among the lrs tried; both bases)",
        `${selected} of ${trainedRows} rows`,
        "all rows",
        selected === trainedRows && trainedRows > 0,
        { seeds: 1 },
      ),
    ];
  },
  figures: (r, cfg) => atlasFigures(atlasView(r, cfg)),
  summary(r, cfg) {
    const v = atlasView(r, cfg);
    return {
      seeds: v.seeds,
      "rows (all registries)": r.methods.length,
      "fine-tuning steps per row": cfg.mlp.steps,
      "kernel–label alignment of the base features (mean over seeds)": v.kaBefore,
      ...baseSummary(v, ""),
      ...(v.char && cfg.char
        ? { "char: fine-tuning steps per row": cfg.char.steps, ...baseSummary(v.char, "char: ") }
        : {}),
    };
  },
});

/** One base's summary entries (prefixed for the char base). */
function baseSummary(v: BaseView, pre: string): Record<string, number | string> {
  const out: Record<string, number | string> = {
    [`${pre}trained rows`]: v.trainedRows,
    [`${pre}base task-A accuracy`]: v.baseAccA,
  };
  const trained = v.table.filter((t) => t.na === null && t.cells.accB);
  const by = (k: DiagnosticKey, dir: 1 | -1) =>
    [...trained].sort((a, b) => dir * ((b.cells[k]?.mean ?? 0) - (a.cells[k]?.mean ?? 0)))[0];
  for (const [k, name] of [
    ["forgetting", "forgetting"],
    ["accB", "task-B accuracy"],
  ] as const) {
    const hi = by(k, 1);
    const lo = by(k, -1);
    if (hi && lo) {
      out[`${pre}highest ${name}: row`] = hi.id;
      out[`${pre}highest ${name}: value`] = hi.cells[k]!.mean;
      out[`${pre}lowest ${name}: row`] = lo.id;
      out[`${pre}lowest ${name}: value`] = lo.cells[k]!.mean;
    }
  }
  for (const t of ["forgetting", "accB"] as const) {
    const name = t === "accB" ? "accuracy" : "forgetting";
    const ps = v.predictors[t];
    const best = [...ps]
      .filter((p) => Number.isFinite(p.interval.mean))
      .sort((a, b) => Math.abs(b.interval.mean) - Math.abs(a.interval.mean))[0];
    if (best) out[`${pre}strongest predictor of ${name}`] = labelOf(best.diagnostic);
    for (const p of ps) {
      const key = `${pre}${name} ~ ${labelOf(p.diagnostic)}`;
      out[`${key}: ρ mean over seeds`] = p.interval.mean;
      out[`${key}: ρ 95% lo`] = p.interval.lo;
      out[`${key}: ρ 95% hi`] = p.interval.hi;
      out[`${key}: ρ on means`] = p.rhoMeans;
      out[`${key}: permutation p`] = p.p;
    }
  }
  return out;
}
