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
import { FULL_FT, RunRecord, runVariant, RunSetup, TrainSettings, VariantSpec } from "./bench";

export type { RunRecord, VariantSpec } from "./bench";

export interface AdaptersCompareConfig extends PaperConfig, BenchScale {
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
  /** One Adam learning rate per family (the variants name theirs): full, lora, xs (LoRA-XS/SB), diag (SVFit/LoLDU). */
  lrs: Record<string, number>;
  /** Multipliers of each family's lr tried on the first seed (best final task-B accuracy kept); [] = no grid. */
  lrGrid: number[];
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
  /** Task-A test accuracy of the base (hidden W0, head A): the forgetting reference. */
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
  for (const v of variants)
    if (!(cfg.lrs[v.family] > 0))
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
    lrs: cfg.lrs,
    headLr: cfg.headLr,
    warmup: cfg.warmup,
    batchSize: cfg.batchSize,
  };
}

/** Runs the benchmark (all variants × seeds) and returns the raw per-run records. */
export async function runAdaptersBenchmark(
  cfg: AdaptersCompareConfig,
  onProgress?: (p: ProgressEvent) => void,
): Promise<AdaptersCompareResult> {
  const variants = benchmarkVariants(cfg);
  validate(cfg, variants);
  const seed0 = cfg.seeds[0];
  seed(seed0);
  const { trainA, trainB, testA, testB } = makeTasks({ ...cfg, seed: seed0 });
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
  const records: RunRecord[] = [];
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
    // Calibration: `calibrationBatches` seeded batches of task-B training data.
    const rng = new Rng(seed0 + 77);
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
      batchSize: cfg.batchSize,
      warmup: cfg.warmup,
      lr,
      headLr: cfg.headLr,
      evalSteps,
      k: cfg.k,
      epsilons: cfg.epsilons,
      spectrumTop: cfg.spectrumTop,
    });
    const grid = cfg.lrGrid.length ? cfg.lrGrid : [1];
    const total = variants.length * (cfg.seeds.length - 1 + grid.length);
    let done = 0;
    const report = (label: string) => onProgress?.({ label, step: done, total });
    for (const v of variants) {
      // LR: the family's lr, or (with a grid) the best multiplier on the first seed.
      let best: RunRecord | null = null;
      for (const mult of grid) {
        report(`${v.id} lr=${(cfg.lrs[v.family] * mult).toExponential(0)} seed ${seed0}`);
        const rec = await runVariant(setup, v, seed0, settings(cfg.lrs[v.family] * mult));
        done++;
        if (!best || rec.accB > best.accB) best = rec;
      }
      records.push(best as RunRecord);
      for (const sd of cfg.seeds.slice(1)) {
        report(`${v.id} seed ${sd}`);
        records.push(await runVariant(setup, v, sd, settings((best as RunRecord).lr)));
        done++;
      }
    }
    report("done");
    return { records, baseAccA, settings: settingsOf(cfg) };
  } finally {
    calib.forEach((b) => {
      b.x.dispose();
      (b.y as tf.Tensor).dispose();
    });
    net.dispose();
  }
}
