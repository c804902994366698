// The shared PEFT benchmark, adapted to the cached Fashion-MNIST base of lora-vs-full-ft: one
// pretrained MLP 784→256→256→10 (task A), fine-tuned on the images rotated 90° (task B, new
// head) by full FT and by every registered adapter's benchmark variants on both hidden
// matrices, at matched trainable-parameter budgets, for each seed of the preset. The result
// is the per-run records and the base's task-A accuracy; the per-paper views read it.
import * as tf from "@tensorflow/tfjs";
import "../../adapters"; // registers every method and its benchmark entry
import { adapterNames } from "../../adapters/registry";
import { BenchScale, benchVariants } from "../../adapters/benchmark";
import { AggregateSettings } from "../../adapters/bench-report";
import { CalibrationBatch } from "../../adapters/mlp";
import { BaseSpec, makeNet, makeTasks, obtainBase } from "../../bases/fashion-mlp";
import { Rng, seed } from "../../core/random";
import { ProgressEvent } from "../../core/types";
import { fail } from "../../core/validate";
import { svd } from "../../linalg/decompose";
import { initWeight } from "../../nn/mlp";
import { evaluate } from "../../train/classifier";
import { PaperConfig } from "../types";
import {
  finishRecord,
  FULL_FT,
  RunRecord,
  RunSetup,
  TrainedRun,
  trainVariant,
  TrainSettings,
  VariantSpec,
} from "./bench";
import { Selection, validationSplit } from "../protocol";
import { runWithSelection } from "./select";
import { charSettingsOf, runCharSeed } from "./char-run";

export type { RunRecord, VariantSpec } from "./bench";

export interface AdaptersCompareConfig extends PaperConfig, BenchScale {
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  /** Pre-training (checkpoint spec) and calibration batch size. */
  batchSize: number;
  /** Fine-tuning batch size (every run). */
  finetuneBatchSize: number;
  finetuneExamples: number;
  testExamples: number;
  steps: number;
  warmup: number;
  evalEvery: number;
  /** Steps at which the early-convergence losses are read (also evaluated). */
  earlySteps: number[];
  calibrationBatches: number;
  /** One Adam learning rate per family (the variants name theirs): full, lora, xs (LoRA-XS/SB), diag (SVFit/LoLDU). */
  lrs: Record<string, number>;
  /** Multipliers of each family's lr tried per variant and seed, scored by validation loss (selectOnValidation). */
  lrGrid: number[];
  /** Factor and number of steps by which a grid whose winner sits at an edge is extended (per side). */
  lrGridFactor: number;
  lrGridExtensions: number;
  /** Fraction of task B's training examples held out per seed as the validation split. */
  valFraction: number;
  /** Head-B learning rate (every run). */
  headLr: number;
  /** Variant ids or method names to run ([] = all). */
  methods: string[];
  /** Intruders: top-k singular vectors, thresholds ε. */
  k: number;
  epsilons: number[];
  /** Singular values of ΔW kept per layer. */
  spectrumTop: number;
  /** Base checkpoint (null: pretrain in place). */
  checkpoint: string | null;
  /** The second base, or null to run the MLP base only. */
  char: CharBenchConfig | null;
  /**
   * Methods whose MLP-base runs form a unit of work of their own (seed part "mlp-own"), so
   * that the runner can balance its workers: the Fastfood intrinsic-dimension runs cost about
   * ten LoRA runs each. Which unit runs a variant does not change its record.
   */
  mlpOwnUnit: string[];
}

/** A seed's units of work (seedParts): the char base, then the MLP base (split when mlpOwnUnit is set). */
export type AdaptersPart = "mlp" | "mlp-own" | "char";

/**
 * The seed parts of a config, in the order mergeAdaptersParts expects. The char part comes
 * first: the first seed's is the longest unit (it trains the char base for every seed), and the
 * runner hands out units in order, so it starts at once while the other worker takes MLP units.
 */
export function adaptersParts(cfg: AdaptersCompareConfig): AdaptersPart[] {
  return [...(cfg.char ? (["char"] as const) : []), "mlp", ...(cfg.mlpOwnUnit.length ? (["mlp-own"] as const) : [])];
}

/** The second base (char-level transformer, licenses → fortunes): its own scale, budget and variant list. */
export interface CharBenchConfig {
  /** Checkpoint made by scripts/make-char-base.ts (refused when missing or of another spec). */
  checkpoint: string;
  /** Variant ids run on this base (a subset of the benchmark's; "full FT" included). */
  methods: string[];
  steps: number;
  warmup: number;
  evalEvery: number;
  earlySteps: number[];
  batchSize: number;
  calibrationBatches: number;
  /** Held-out windows (of `context` characters) for validation and each test set. */
  evalWindows: number;
  valFraction: number;
  /** One lr per family at the grid's centre (the grid multipliers and extensions are the benchmark's). */
  lrs: Record<string, number>;
  midRank: number;
  xsMidRank: number;
  xsTinyRank: number;
  sweepRanks: number[];
  sweepAlpha: number;
}

/** What the views need to interpret the records (a subset of the config). */
export interface BenchSettings extends BenchScale, AggregateSettings {
  seeds: number[];
  lrs: Record<string, number>;
  headLr: number;
  warmup: number;
  batchSize: number;
}

export interface AdaptersCompareResult {
  records: RunRecord[];
  /** Per variant with its own grid: the selection on each seed's validation split (seeds in order). */
  selections: Record<string, Selection[]>;
  /** Task-A test accuracy of the base (hidden W0, head A): the forgetting reference. */
  baseAccA: number;
  settings: BenchSettings;
  /** The char base's part (absent when config.char is null): same shapes, its own settings. */
  char?: BaseResult;
}

/** One base's part of the result (selections: per seed on the MLP base, the first seed's on the char base). */
export interface BaseResult {
  records: RunRecord[];
  selections: Record<string, Selection[]>;
  baseAccA: number;
  settings: BenchSettings;
}

/** The benchmark's variants: full FT, then every registered method's entries (filtered by cfg.methods). */
export function benchmarkVariants(cfg: AdaptersCompareConfig): VariantSpec[] {
  const wanted = cfg.methods;
  return [FULL_FT, ...benchVariants(cfg)].filter(
    (v) => wanted.length === 0 || wanted.includes(v.id) || wanted.includes(v.method),
  );
}

function validate(cfg: AdaptersCompareConfig, variants: VariantSpec[]): void {
  if (!Number.isInteger(cfg.steps) || cfg.steps < 1)
    fail("config.steps", `must be a positive integer, got ${cfg.steps}`);
  if (!(cfg.warmup >= 0 && cfg.warmup < cfg.steps)) fail("config.warmup", `must lie in [0, steps), got ${cfg.warmup}`);
  if (variants.length === 0)
    fail("config.methods", `matches no variant (registered methods: ${adapterNames().join(", ")}, plus "full")`);
  if (!cfg.lrGrid.length || !cfg.lrGrid.every((m) => m > 0))
    fail("config.lrGrid", `must be a non-empty list of positive multipliers, got [${cfg.lrGrid}]`);
  for (const v of variants)
    if (!v.lrFrom && !(cfg.lrs[v.family] > 0))
      fail("config.lrs", `needs a positive lr for family "${v.family}" (variant "${v.id}")`);
}

export function settingsOf(cfg: AdaptersCompareConfig): BenchSettings {
  return {
    seeds: cfg.seeds,
    steps: cfg.steps,
    earlySteps: cfg.earlySteps,
    epsilons: cfg.epsilons,
    midRank: cfg.midRank,
    xsMidRank: cfg.xsMidRank,
    xsTinyRank: cfg.xsTinyRank,
    hidden: cfg.hidden,
    sweepRanks: cfg.sweepRanks,
    sweepAlpha: cfg.sweepAlpha,
    lrs: cfg.lrs,
    headLr: cfg.headLr,
    warmup: cfg.warmup,
    batchSize: cfg.finetuneBatchSize,
  };
}

/** One seed of the benchmark: every variant's record at its validation-selected lr, and the selections. */
export interface AdaptersSeedResult {
  seed: number;
  records: RunRecord[];
  baseAccA: number;
  /** Per variant with a grid of its own: the lrs tried on this seed's validation split and the winner. */
  selections: Record<string, Selection>;
  /** The char base (when configured): the first seed's job holds every seed's records, the others none. */
  char?: CharSeedPart;
}

/** The char base's records in a seed's result (selections: the first seed's only). */
export interface CharSeedPart {
  records: RunRecord[];
  baseAccA: number;
  selections: Record<string, Selection>;
}

/**
 * One seed: the seed's validation split of task B's training data, then for every variant a
 * grid of learning rates (its family's lr × cfg.lrGrid, extended past an edge winner) trained
 * on the rest and scored by validation loss; the winner's run (test curves included) is the
 * seed's record. Variants with lrFrom train once at the lr their source selected on this seed.
 */
export async function runAdaptersSeed(
  cfg: AdaptersCompareConfig,
  seedValue: number,
  onProgress?: (p: ProgressEvent) => void,
  part?: AdaptersPart,
): Promise<AdaptersSeedResult> {
  if (part !== undefined && part !== "mlp" && part !== "mlp-own" && part !== "char")
    fail("part", `unknown part "${String(part)}" (known: mlp, mlp-own, char)`);
  if (part === "char") {
    if (!cfg.char) fail("part", 'is "char" but config.char is null');
    return {
      seed: seedValue,
      records: [],
      baseAccA: NaN,
      selections: {},
      char: await charPart(cfg, seedValue, onProgress),
    };
  }
  const all = benchmarkVariants(cfg);
  validate(cfg, all);
  // The whole MLP base, or one of its two units (mlpOwnUnit's methods, or the rest).
  const own = (v: VariantSpec) => cfg.mlpOwnUnit.includes(v.method);
  const variants = part === "mlp-own" ? all.filter(own) : part === "mlp" ? all.filter((v) => !own(v)) : all;
  const seed0 = cfg.seeds[0];
  seed(seed0);
  const tasks = makeTasks({ ...cfg, seed: seed0 });
  const { trainA, testA, testB } = tasks;
  // The validation split depends on the run's seed: each seed selects on its own held-out part.
  const { train: trainB, val: valB } = validationSplit(tasks.trainB, cfg.valFraction, seedValue * 7 + 3);
  const net = makeNet(cfg.hidden);
  const L = net.weights.length;
  const spec: BaseSpec = {
    hidden: cfg.hidden,
    pretrainExamples: cfg.pretrainExamples,
    pretrainEpochs: cfg.pretrainEpochs,
    pretrainLr: cfg.pretrainLr,
    batchSize: cfg.batchSize,
    seed: seed0,
  };
  const calib: CalibrationBatch[] = [];
  try {
    const { base: b0 } = await obtainBase(net, trainA, spec, cfg.checkpoint, onProgress);
    seed(seed0 + 1);
    const hout = cfg.hidden[cfg.hidden.length - 1];
    const hw = initWeight(hout, 10, "torch");
    const headB = {
      kernel: Array.from({ length: hout }, (_, i) => Array.from({ length: 10 }, (_, o) => hw[i * 10 + o])),
      bias: new Array<number>(10).fill(0),
    };
    // Calibration: `calibrationBatches` seeded batches of the seed's task-B training part.
    const rng = new Rng(seedValue * 31 + 77);
    const perm = rng.permutation(trainB.n);
    for (let b = 0; b < cfg.calibrationBatches; b++) {
      const idx = perm.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
      const x = new Float32Array(idx.length * trainB.dim);
      idx.forEach((i, r) => x.set(trainB.x.subarray(i * trainB.dim, (i + 1) * trainB.dim), r * trainB.dim));
      calib.push({
        x: tf.tensor2d(x, [idx.length, trainB.dim]),
        y: tf.tensor1d(
          idx.map((i) => trainB.y[i]),
          "int32",
        ),
      });
    }
    // Base task-A accuracy (hidden W0, head A): the forgetting reference.
    tf.tidy(() => {
      b0.kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
      b0.biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
    });
    const baseAccA = evaluate(net, testA).acc;
    const setup: RunSetup = {
      net,
      baseKernels: b0.kernels,
      baseBiases: b0.biases,
      headB,
      baseSvd: b0.kernels.slice(0, L - 1).map((k) => svd(k[0].map((_, j) => k.map((r) => r[j])))),
      trainB,
      valB,
      testA,
      testB,
      calibration: calib,
    };
    const evalSteps = [
      ...new Set([
        0,
        ...cfg.earlySteps.filter((s) => s <= cfg.steps),
        cfg.steps,
        ...Array.from({ length: Math.floor(cfg.steps / cfg.evalEvery) }, (_, i) => (i + 1) * cfg.evalEvery),
      ]),
    ].sort((a, b) => a - b);
    const settings = (lr: number): TrainSettings => ({
      steps: cfg.steps,
      batchSize: cfg.finetuneBatchSize,
      warmup: cfg.warmup,
      lr,
      headLr: cfg.headLr,
      evalSteps,
      k: cfg.k,
      epsilons: cfg.epsilons,
      spectrumTop: cfg.spectrumTop,
    });
    let done = 0;
    const mlp = await runWithSelection<TrainedRun>(
      variants,
      { grid: cfg.lrGrid, factor: cfg.lrGridFactor, extensions: cfg.lrGridExtensions, lrs: cfg.lrs },
      async (v, lr) => {
        onProgress?.({
          label: `${v.id} lr=${lr.toExponential(1)} seed ${seedValue}`,
          step: done++,
          total: variants.length,
        });
        const run = await trainVariant(setup, v, seedValue, settings(lr));
        return { valLoss: run.record.valLossB as number, payload: run };
      },
      (run, lr) => finishRecord(setup, run, settings(lr)),
    );
    const char = cfg.char && part === undefined ? await charPart(cfg, seedValue, onProgress) : undefined;
    onProgress?.({ label: "done", step: done, total: done });
    return { seed: seedValue, records: mlp.records, baseAccA, selections: mlp.selections, ...(char ? { char } : {}) };
  } finally {
    calib.forEach((b) => {
      b.x.dispose();
      (b.y as tf.Tensor).dispose();
    });
    net.dispose();
  }
}

/**
 * The char base's share of a seed's job. The char base selects its lrs on the first seed's
 * validation split only and trains every other seed at the selected lrs (per-seed selection on
 * the MLP base, see README: compute), so the first seed's job runs the char base for every
 * seed and the other seeds' jobs leave it empty (the paper's seed results read the seed list).
 * Each seed's runs are seeded on their own, so the records do not depend on where they run.
 */
async function charPart(
  cfg: AdaptersCompareConfig,
  seedValue: number,
  onProgress?: (p: ProgressEvent) => void,
): Promise<CharSeedPart> {
  const [first, ...rest] = cfg.seeds;
  if (seedValue !== first) return { records: [], baseAccA: NaN, selections: {} };
  seed(first + 1009 * (first + 1));
  const sel = await runCharSeed(cfg, cfg.char!, first, onProgress);
  const chosen = Object.fromEntries(sel.records.map((r) => [r.id, r.lr]));
  const records = [...sel.records];
  for (const s of rest) {
    seed(first + 1009 * (s + 1));
    records.push(...(await runCharSeed(cfg, cfg.char!, s, onProgress, chosen)).records);
  }
  return { records, baseAccA: sel.baseAccA, selections: sel.selections };
}

/** Joins a seed's parts (adaptersParts order) into the seed's result, records in the benchmark's variant order. */
export function mergeAdaptersParts(parts: AdaptersSeedResult[], cfg: AdaptersCompareConfig): AdaptersSeedResult {
  const names = adaptersParts(cfg);
  if (parts.length !== names.length) fail("parts", `must be [${names.join(", ")}], got ${parts.length} parts`);
  const byName = (n: AdaptersPart) => (names.includes(n) ? parts[names.indexOf(n)] : null);
  const mlp = byName("mlp") as AdaptersSeedResult;
  if (parts.some((p) => p.seed !== mlp.seed)) fail("parts", `are not all of seed ${mlp.seed}`);
  const ownPart = byName("mlp-own");
  const charRes = byName("char");
  if (charRes && !charRes.char) fail("parts", `the first part is not the char part of seed ${mlp.seed}`);
  const order = new Map(benchmarkVariants(cfg).map((v, i) => [v.id, i]));
  const records = [...mlp.records, ...(ownPart?.records ?? [])].sort(
    (a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity),
  );
  const out: AdaptersSeedResult = {
    seed: mlp.seed,
    records,
    baseAccA: mlp.baseAccA,
    selections: { ...mlp.selections, ...(ownPart?.selections ?? {}) },
  };
  return charRes ? { ...out, char: charRes.char } : out;
}

/** The benchmark's result from its seeds' results (in config order). */
export function combineAdaptersSeeds(parts: AdaptersSeedResult[], cfg: AdaptersCompareConfig): AdaptersCompareResult {
  if (!parts.length) fail("parts", "needs at least one seed's result");
  const gather = (sels: Array<Record<string, Selection>>) => {
    const out: Record<string, Selection[]> = {};
    for (const p of sels) for (const [id, sel] of Object.entries(p)) (out[id] ??= []).push(sel);
    return out;
  };
  // Every seed's base accuracy is the same base on the same test set; the first is kept.
  const result: AdaptersCompareResult = {
    records: parts.flatMap((p) => p.records),
    baseAccA: parts[0].baseAccA,
    settings: settingsOf(cfg),
    selections: gather(parts.map((p) => p.selections)),
  };
  if (cfg.char) {
    // The first seed's job ran the char base for every seed (charPart); the others are empty.
    const cs = parts.map((p) => p.char ?? fail("parts", `seed ${p.seed} has no char-base result`));
    if (cs[0].records.length === 0) fail("parts", `the first seed's char-base part holds no records`);
    result.char = {
      records: cs.flatMap((c) => c.records),
      baseAccA: cs[0].baseAccA,
      settings: charSettingsOf(cfg, cfg.char),
      selections: gather(cs.map((c) => c.selections)),
    };
  }
  return result;
}

/** Runs the benchmark over all seeds in this thread (runPaper runs the seeds in workers instead). */
export async function runAdaptersBenchmark(
  cfg: AdaptersCompareConfig,
  onProgress?: (p: ProgressEvent) => void,
): Promise<AdaptersCompareResult> {
  const parts: AdaptersSeedResult[] = [];
  for (const s of cfg.seeds) parts.push(await runAdaptersSeed(cfg, s, onProgress));
  return combineAdaptersSeeds(parts, cfg);
}
