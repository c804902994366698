// Benchmark entries: how a registered adapter method takes part in the shared adapter
// benchmark (papers/adapters-compare). Each method folder registers one entry next to its
// class: the variants it runs (ids, budget tiers, learning-rate family), its figure colour,
// and hooks for everything method-specific (config derived from the run, data-driven init,
// diagnostics after init and after training, extra figures). The benchmark itself knows no
// method names: it reads the entries from here.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { capturedVariance } from "../metrics/captured-variance";
import { setMethodColor } from "../plot/theme";
import type { VegaLiteSpec } from "../plot/specs";
import type { AdaptedModel, CalibrationBatch } from "./adapted-model";
import { adapterNames } from "./registry";
import type { DenseAdapter } from "./types";

/** Budget tier: "mid" ≈ LoRA r=midRank, "tiny" ≈ a few hundred parameters, "ref" = full FT, "ablation" = outside the comparison. */
export type BenchTier = "mid" | "tiny" | "ref" | "ablation";

export const BENCH_TIERS: readonly BenchTier[] = ["mid", "tiny", "ref", "ablation"];

/** One method setting of the benchmark. */
export interface BenchVariant {
  /** Label, e.g. "LoRA r=4" (unique across the benchmark). */
  id: string;
  tier: BenchTier;
  /** Adapter config (the run's hooks may add to it, e.g. a seed). */
  config: Record<string, unknown>;
  /** Learning-rate family (the benchmark config holds one lr per family). */
  family: string;
  /** Entry-specific settings the hooks read (not passed to the adapter). */
  settings?: Record<string, number | string | boolean>;
  /**
   * Id of another variant whose validation-selected learning rate this one uses, instead of
   * a grid of its own (a sweep at one fixed lr, e.g. rsLoRA's rank sweep). That variant runs first.
   */
  lrFrom?: string;
}

/** The benchmark's scale, from which entries size their variants. */
export interface BenchScale {
  /** Mid-tier LoRA rank (the mid budget ≈ LoRA at this rank on every adapted matrix). */
  midRank: number;
  /** LoRA-XS-shaped (r² per matrix) ranks matching the mid and tiny budgets. */
  xsMidRank: number;
  xsTinyRank: number;
  /** Hidden widths of the MLP (the adapted matrices are 784×h1, h1×h2, ...). */
  hidden: number[];
  /** Ranks of rsLoRA's rank sweep (α fixed at sweepAlpha; LoRA's α/r against rsLoRA's α/√r); [] = no sweep. */
  sweepRanks: number[];
  sweepAlpha: number;
}

/** Where a run stands when a hook is called. */
export interface BenchRunContext {
  variant: BenchVariant;
  /** The run's seed (an entry of the benchmark's seed list). */
  seed: number;
  /** The run's base learning rate (its family's) and schedule. */
  lr: number;
  warmup: number;
  steps: number;
}

export interface BenchModelContext extends BenchRunContext {
  /** The wrapped model (its adapters may be replaced by an init hook). */
  model: AdaptedModel;
  /** Adapted layer indices. */
  layers: number[];
  /** Calibration batches of task-B training data (data-driven inits). */
  calibration: CalibrationBatch[];
  /** The adapter config the run used (after prepareConfig). */
  config: Record<string, unknown>;
  /**
   * Task-B loss and accuracy of the model as it stands (adapters unmerged, task-B head) on the
   * run's validation split or its test set: for hooks that measure a method-specific setting
   * after training (e.g. DyLoRA's accuracy at each inference rank). Not for choosing anything on "test".
   */
  evaluate(split: "val" | "test"): { loss: number; acc: number };
}

/** Per-run diagnostics stored in the record's `extra`. */
export type BenchExtras = Record<string, number | string>;

/** Test-set measurements at one evaluated step. */
export interface CurvePoint {
  step: number;
  trainLoss: number;
  testLossB: number;
  testAccB: number;
  testAccA: number;
}
/** ΔW statistics of one adapted matrix. */
export interface LayerStats {
  layer: string;
  sigma: number[];
  frob: number;
  stableRank: number;
  effRank: number;
  intruders: Record<string, number>;
}
/** One (variant, seed) run of the benchmark. */
export interface RunRecord {
  id: string;
  method: string;
  tier: string;
  family: string;
  seed: number;
  lr: number;
  params: number;
  initMs: number;
  trainMs: number;
  curve: CurvePoint[];
  accA: number;
  accB: number;
  lossB: number;
  /** Task-B loss and accuracy on the validation split carved from the training data (the lr is selected on it). */
  valLossB?: number;
  valAccB?: number;
  layers: LayerStats[];
  /** Per-method diagnostics from the entry's hooks (SORSA orthogonality error, EVA ranks, ...). */
  extra: BenchExtras;
}

export interface AdapterBenchEntry {
  /** Registered adapter name. */
  method: string;
  /** Fixed figure colour of the method ("#rrggbb"); without one the theme's palette picks a stable colour. */
  color?: string;
  /** The variants this method runs at a benchmark scale. */
  variants(scale: BenchScale): BenchVariant[];
  /** The adapter config for one run (default: the variant's config). */
  prepareConfig?(config: Record<string, unknown>, ctx: BenchRunContext): Record<string, unknown>;
  /** Data-driven initialisation, timed as init (default: model.calibrate when an adapter has init()). */
  init?(ctx: BenchModelContext): Promise<BenchExtras | void> | BenchExtras | void;
  /** Diagnostics right after init (not timed). */
  afterInit?(ctx: BenchModelContext): BenchExtras | void;
  /** Diagnostics after training, before merging. */
  afterTrain?(ctx: BenchModelContext): BenchExtras | void;
  /** Method-specific figures over the benchmark's records of this method. */
  figures?(records: RunRecord[]): Array<{ name: string; spec: VegaLiteSpec }>;
}

const entries = new Map<string, AdapterBenchEntry>();

/** Registers a method's benchmark entry (and its colour); one entry per method. */
export function registerBenchEntry(entry: AdapterBenchEntry): void {
  if (!entry || typeof entry !== "object") fail("entry", "must be a benchmark entry object");
  if (typeof entry.method !== "string" || !/^[a-z][a-z0-9_-]*$/.test(entry.method))
    fail("entry.method", `must be a lower-case identifier, got ${JSON.stringify(entry.method)}`);
  if (entries.has(entry.method)) fail("entry.method", `a benchmark entry for "${entry.method}" is already registered`);
  if (typeof entry.variants !== "function") fail("entry.variants", "must be a function (scale) => variants");
  for (const k of ["prepareConfig", "init", "afterInit", "afterTrain", "figures"] as const) {
    if (entry[k] !== undefined && typeof entry[k] !== "function") fail(`entry.${k}`, "must be a function when given");
  }
  if (entry.color !== undefined) setMethodColor(entry.method, entry.color);
  entries.set(entry.method, entry);
}

/** The default entry of a registered method without one: one mid-tier variant at r = midRank, LoRA's lr family. */
export function defaultBenchEntry(method: string): AdapterBenchEntry {
  return {
    method,
    variants: (s) => [{ id: `${method} r=${s.midRank}`, tier: "mid", config: { r: s.midRank }, family: "lora" }],
  };
}

/** The benchmark entry of a method (its registered one, else the default). */
export function benchEntry(method: string): AdapterBenchEntry {
  return entries.get(method) ?? defaultBenchEntry(method);
}

/** Entries of every registered adapter, in registration order. */
export function benchEntries(): AdapterBenchEntry[] {
  return adapterNames().map(benchEntry);
}

/**
 * Every registered method's variants at this scale, validated: the non-tiny tiers first and
 * then the tiny tier, each in registration order (ids unique).
 */
export function benchVariants(scale: BenchScale): Array<BenchVariant & { method: string }> {
  const all = benchEntries().flatMap((e) => e.variants(scale).map((v) => ({ ...v, method: e.method })));
  const seen = new Set<string>();
  all.forEach((v) => {
    if (typeof v.id !== "string" || !v.id) fail(`benchmark entry "${v.method}"`, "returned a variant without an id");
    if (seen.has(v.id)) fail(`benchmark entry "${v.method}"`, `variant id "${v.id}" is used twice`);
    seen.add(v.id);
    if (!BENCH_TIERS.includes(v.tier))
      fail(`variant "${v.id}".tier`, `unknown tier "${v.tier}" (known: ${BENCH_TIERS.join(", ")})`);
    if (typeof v.family !== "string" || !v.family) fail(`variant "${v.id}".family`, "must name a learning-rate family");
  });
  all.forEach((v) => {
    if (v.lrFrom === undefined) return;
    const src = all.find((x) => x.id === v.lrFrom);
    if (!src) fail(`variant "${v.id}".lrFrom`, `names no variant ("${v.lrFrom}")`);
    if (src.lrFrom !== undefined)
      fail(`variant "${v.id}".lrFrom`, `"${v.lrFrom}" takes its own lr from another variant`);
  });
  return [...all.filter((v) => v.tier !== "tiny"), ...all.filter((v) => v.tier === "tiny")];
}

/** A per-run adapter seed derived from the run's seed (the stream every seeded method uses). */
export function adapterSeed(runSeed: number): number {
  return runSeed * 7919 + 17;
}

/** prepareConfig for methods with a random init: the variant's config plus the run's adapter seed. */
export function withRunSeed(config: Record<string, unknown>, ctx: BenchRunContext): Record<string, unknown> {
  return { ...config, seed: adapterSeed(ctx.seed) };
}

/** afterInit: the input variance the first adapted layer's initial A captures (needs an `A` factor). */
export function capturedVarianceW1(ctx: BenchModelContext): BenchExtras {
  const a0 = ctx.model.adapters[ctx.layers[0]] as (DenseAdapter & { A?: tf.Variable }) | null;
  if (!a0 || !(a0.A instanceof tf.Variable)) return {};
  const ins = ctx.model.layerInputs(ctx.calibration, [ctx.layers[0]])[0];
  const xs = ins.flatMap((t) => t.arraySync());
  ins.forEach((t) => t.dispose());
  return { capturedVarianceW1: capturedVariance(xs, a0.A.arraySync() as number[][]) };
}
