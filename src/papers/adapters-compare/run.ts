// The shared PEFT benchmark (card peft.md §3, adapted to the cached Fashion-MNIST base of
// lora-vs-full-ft): one pretrained MLP 784→256→256→10 (task A), fine-tuned on the images
// rotated 90° (task B, new head) by full FT and by every registered adapter on both hidden
// matrices, at matched trainable-parameter budgets (mid ≈ LoRA r=4, tiny ≈ 500), several
// seeds. Per method: test-loss curves (early convergence), final accuracy, forgetting of
// task A through head A, trainable parameters, init time, ΔW spectra and intruder counts.
// Results are cached in results/cache/adapters-<tag>-<hash>.json for the per-paper views.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { adapterNames } from "../../adapters/registry";
import "../../adapters"; // registers every method
import { backendReady } from "../../nn/backend";
import { CalibrationBatch } from "../../adapters/mlp";
import { ensureDir, resultsDir } from "../../io/paths";
import { svd } from "../../linalg/decompose";
import { initWeight } from "../../nn/mlp";
import { evaluate } from "../../train/classifier";
import { Rng, seed } from "../../core/random";
import * as tf from "@tensorflow/tfjs";
import { fail } from "../../core/validate";
import { BASE_CHECKPOINT, BaseSpec, makeNet, makeTasks, obtainBase } from "../../bases/fashion-mlp";
import { RunRecord, runVariant, RunSetup, TrainSettings, VariantSpec } from "./bench";
import { summariseRecords } from "./summary";
import { Experiment, ExperimentResult, RunOptions } from "../../core/types";

export type { VariantSpec, RunRecord } from "./bench";

export interface AdaptersCompareConfig {
  seed: number;
  /** Seeds per method (seed, seed+1, ...). */
  seeds: number;
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  /** Pre-training and fine-tuning batch size. */
  batchSize: number;
  finetuneExamples: number;
  testExamples: number;
  steps: number;
  warmup: number;
  evalEvery: number;
  /** Steps at which the early-convergence losses are read (also evaluated). */
  earlySteps: number[];
  calibrationBatches: number;
  /** One Adam learning rate per method family: full, lora, xs (LoRA-XS/SB), diag (SVFit/LoLDU). */
  lrs: Record<string, number>;
  /** Multipliers of each family's lr tried on the first seed (best final task-B accuracy kept); [] = no grid. */
  lrGrid: number[];
  /** Head-B learning rate (every run). */
  headLr: number;
  /** Mid-tier LoRA rank (α = 2r for the LoRA-shaped methods). */
  midRank: number;
  /** LoRA-XS / LoRA-SB rank at the mid and tiny tiers (2r² params over two matrices). */
  xsMidRank: number;
  xsTinyRank: number;
  /** Variant ids or method names to run ([] = all). */
  methods: string[];
  k: number;
  epsilons: number[];
  spectrumTop: number;
  evaRho: number;
  checkpoint: string | null;
  /** Size label used in the cache file name. */
  cacheTag: string;
}

const base: AdaptersCompareConfig = {
  seed: 0, seeds: 3, hidden: [256, 256], pretrainExamples: 10000, pretrainEpochs: 5, pretrainLr: 1e-3, batchSize: 64,
  finetuneExamples: 6000, testExamples: 1000, steps: 150, warmup: 15, evalEvery: 25, earlySteps: [10, 25, 50, 100],
  calibrationBatches: 8, lrs: { full: 1e-3, lora: 3e-3, xs: 1e-2, diag: 3e-2 }, lrGrid: [], headLr: 1e-3,
  midRank: 4, xsMidRank: 56, xsTinyRank: 16, methods: [], k: 10, epsilons: [0.3, 0.5, 0.7], spectrumTop: 20, evaRho: 2,
  checkpoint: BASE_CHECKPOINT, cacheTag: "default",
};

/** The benchmark's method settings, restricted to registered methods (+ any registered method not listed, at r = midRank). */
export function benchmarkVariants(cfg: AdaptersCompareConfig): VariantSpec[] {
  const r = cfg.midRank;
  const lora = { r, alpha: 2 * r };
  const list: VariantSpec[] = [
    { id: "full FT", method: "full", tier: "ref", config: {}, family: "full" },
    { id: `LoRA r=${r}`, method: "lora", tier: "mid", config: lora, family: "lora" },
    { id: `rsLoRA r=${r}`, method: "rslora", tier: "mid", config: lora, family: "lora" },
    { id: `PiSSA r=${r}`, method: "pissa", tier: "mid", config: lora, family: "lora" },
    { id: `LoRA-GA r=${r}`, method: "lora-ga", tier: "mid", config: lora, family: "lora" },
    { id: `EVA r=${r}`, method: "eva", tier: "mid", config: lora, family: "lora" },
    { id: `SORSA r=${r}`, method: "sorsa", tier: "mid", config: { r }, family: "lora" },
    // Ablation for the SORSA view: the same method without its orthonormal regulariser.
    { id: `SORSA r=${r} γ=0`, method: "sorsa", tier: "ablation", config: { r, gamma: 0 }, family: "lora" },
    { id: `DoRA r=${r}`, method: "dora", tier: "mid", config: lora, family: "lora" },
    { id: `LoRA-XS r=${cfg.xsMidRank}`, method: "lora-xs", tier: "mid", config: { r: cfg.xsMidRank }, family: "xs" },
    { id: `LoRA-SB r=${cfg.xsMidRank}`, method: "lora-sb", tier: "mid", config: { r: cfg.xsMidRank }, family: "xs" },
    { id: "LoRA r=1", method: "lora", tier: "tiny", config: { r: 1, alpha: 2 }, family: "lora" },
    { id: `LoRA-XS r=${cfg.xsTinyRank}`, method: "lora-xs", tier: "tiny", config: { r: cfg.xsTinyRank }, family: "xs" },
    { id: `LoRA-SB r=${cfg.xsTinyRank}`, method: "lora-sb", tier: "tiny", config: { r: cfg.xsTinyRank }, family: "xs" },
    { id: "SVFit (all σ)", method: "svfit", tier: "tiny", config: { r: Math.min(...cfg.hidden) }, family: "diag" },
    { id: "LoLDU (all r)", method: "loldu", tier: "tiny", config: { r: Math.min(...cfg.hidden) }, family: "diag" },
  ];
  const names = adapterNames();
  const known = new Set(list.map((v) => v.method));
  for (const n of names) if (!known.has(n)) list.push({ id: `${n} r=${r}`, method: n, tier: "mid", config: { r }, family: "lora" });
  const wanted = cfg.methods;
  return list.filter((v) => (v.method === "full" || names.includes(v.method)) && (wanted.length === 0 || wanted.includes(v.id) || wanted.includes(v.method)));
}

/** Short stable hash of a config (cache key). */
export function configHash(cfg: AdaptersCompareConfig): string {
  return crypto.createHash("sha256").update(JSON.stringify(cfg)).digest("hex").slice(0, 12);
}

export function cachePath(cfg: AdaptersCompareConfig): string {
  return path.join(resultsDir(), "cache", `adapters-${cfg.cacheTag}-${configHash(cfg)}.json`);
}

export interface AdaptersCache { config: AdaptersCompareConfig; records: RunRecord[]; baseAccA: number; wallMs: number }

/** Reads a cached run of exactly this config, or null. */
export function readAdaptersCache(cfg: AdaptersCompareConfig): AdaptersCache | null {
  const p = cachePath(cfg);
  if (!fs.existsSync(p)) return null;
  try {
    const c = JSON.parse(fs.readFileSync(p, "utf8")) as AdaptersCache;
    return JSON.stringify(c.config) === JSON.stringify(cfg) ? c : null;
  } catch {
    return null;
  }
}

function validate(cfg: AdaptersCompareConfig): void {
  if (!Number.isInteger(cfg.seeds) || cfg.seeds < 1) fail("config.seeds", `must be a positive integer, got ${cfg.seeds}`);
  if (!Number.isInteger(cfg.steps) || cfg.steps < 1) fail("config.steps", `must be a positive integer, got ${cfg.steps}`);
  if (!(cfg.warmup >= 0 && cfg.warmup < cfg.steps)) fail("config.warmup", `must lie in [0, steps), got ${cfg.warmup}`);
  for (const f of ["full", "lora", "xs", "diag"]) if (!(cfg.lrs[f] > 0)) fail("config.lrs", `needs a positive lr for family "${f}"`);
}

/** Runs the benchmark (all variants × seeds) and returns the raw per-run records. */
export async function runAdaptersBenchmark(cfg: AdaptersCompareConfig, opts: RunOptions = {}): Promise<AdaptersCache> {
  validate(cfg);
  await backendReady();
  seed(cfg.seed);
  const t0 = Date.now();
  const variants = benchmarkVariants(cfg);
  if (variants.length === 0) fail("config.methods", `matches no registered method (registered: ${adapterNames().join(", ")})`);
  const { trainA, trainB, testA, testB } = makeTasks(cfg);
  const net = makeNet(cfg.hidden);
  const L = net.weights.length;
  const spec: BaseSpec = { hidden: cfg.hidden, pretrainExamples: cfg.pretrainExamples, pretrainEpochs: cfg.pretrainEpochs, pretrainLr: cfg.pretrainLr, batchSize: cfg.batchSize, seed: cfg.seed };
  const records: RunRecord[] = [];
  const calib: CalibrationBatch[] = [];
  try {
    const { base: b0 } = await obtainBase(net, trainA, spec, cfg.checkpoint, opts.onProgress);
    seed(cfg.seed + 1);
    const hout = cfg.hidden[cfg.hidden.length - 1];
    const hw = initWeight(hout, 10, "torch");
    const headB = { kernel: Array.from({ length: hout }, (_, i) => Array.from({ length: 10 }, (_, o) => hw[i * 10 + o])), bias: new Array<number>(10).fill(0) };
    // Calibration: `calibrationBatches` seeded batches of task-B training data (card: 8 × 64).
    const rng = new Rng(cfg.seed + 77);
    const perm = rng.permutation(trainB.n);
    for (let b = 0; b < cfg.calibrationBatches; b++) {
      const idx = perm.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
      const x = new Float32Array(idx.length * trainB.dim);
      idx.forEach((i, r) => x.set(trainB.x.subarray(i * trainB.dim, (i + 1) * trainB.dim), r * trainB.dim));
      calib.push({ x: tf.tensor2d(x, [idx.length, trainB.dim]), y: tf.tensor1d(idx.map((i) => trainB.y[i]), "int32") });
    }
    // Base task-A accuracy (hidden W0, head A): the forgetting reference.
    tf.tidy(() => {
      b0.kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
      b0.biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
    });
    const baseAccA = evaluate(net, testA).acc;
    const setup: RunSetup = {
      net, baseKernels: b0.kernels, baseBiases: b0.biases, headB,
      baseSvd: b0.kernels.slice(0, L - 1).map((k) => svd(k[0].map((_, j) => k.map((r) => r[j])))),
      trainB, testA, testB, calibration: calib,
    };
    const evalSteps = [...new Set([0, ...cfg.earlySteps.filter((s) => s <= cfg.steps), cfg.steps, ...Array.from({ length: Math.floor(cfg.steps / cfg.evalEvery) }, (_, i) => (i + 1) * cfg.evalEvery)])].sort((a, b) => a - b);
    const settings = (lr: number): TrainSettings => ({
      steps: cfg.steps, batchSize: cfg.batchSize, warmup: cfg.warmup, lr, headLr: cfg.headLr, evalSteps, k: cfg.k, epsilons: cfg.epsilons, spectrumTop: cfg.spectrumTop, evaRho: cfg.evaRho,
    });
    const grid = cfg.lrGrid.length ? cfg.lrGrid : [1];
    const total = variants.length * (cfg.seeds - 1 + grid.length);
    let done = 0;
    const report = (label: string) => opts.onProgress?.({ label, step: done, total });
    for (const v of variants) {
      // LR: the family's lr, or (with a grid) the best multiplier on the first seed.
      let best: RunRecord | null = null;
      for (const m of grid) {
        report(`${v.id} lr=${(cfg.lrs[v.family] * m).toExponential(0)} seed ${cfg.seed}`);
        const rec = await runVariant(setup, v, cfg.seed, settings(cfg.lrs[v.family] * m));
        done++;
        if (!best || rec.accB > best.accB) best = rec;
      }
      records.push(best as RunRecord);
      for (let s = 1; s < cfg.seeds; s++) {
        report(`${v.id} seed ${cfg.seed + s}`);
        records.push(await runVariant(setup, v, cfg.seed + s, settings((best as RunRecord).lr)));
        done++;
      }
    }
    report("done");
    const out: AdaptersCache = { config: cfg, records, baseAccA, wallMs: Date.now() - t0 };
    const p = cachePath(cfg);
    ensureDir(path.dirname(p));
    fs.writeFileSync(p, JSON.stringify(out));
    return out;
  } finally {
    calib.forEach((b) => { b.x.dispose(); (b.y as tf.Tensor).dispose(); });
    net.dispose();
  }
}

export const adaptersCompare: Experiment<AdaptersCompareConfig> = {
  name: "adapters-compare",
  paper: "PEFT methods side by side: LoRA (Hu et al. 2021), rsLoRA, PiSSA, LoRA-GA, LoRA-XS, LoRA-SB, SVFit, SORSA, EVA, LoLDU, DoRA (card peft.md §3)",
  claim: "At matched trainable-parameter budgets, SVD- and gradient-initialised LoRA variants converge faster early than LoRA and stay near full fine-tuning's accuracy, while full FT forgets the pre-training task most.",
  presets: {
    smoke: { ...base, seeds: 1, finetuneExamples: 1000, testExamples: 300, steps: 20, warmup: 4, evalEvery: 10, earlySteps: [5, 10], calibrationBatches: 2, cacheTag: "smoke" },
    default: base,
    full: { ...base, steps: 400, warmup: 20, evalEvery: 20, earlySteps: [25, 50, 100], finetuneExamples: 10000, testExamples: 2000, lrGrid: [0.3, 1, 3], cacheTag: "full" },
  },
  async run(cfg: AdaptersCompareConfig, opts: RunOptions = {}): Promise<ExperimentResult> {
    const res = await runAdaptersBenchmark(cfg, opts);
    return summariseRecords(res.records, cfg, res.baseAccA);
  },
};
