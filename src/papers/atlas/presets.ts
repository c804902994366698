// The atlas's size presets.
import { BASE_CHECKPOINT } from "../../bases/fashion-mlp";
import { CHAR_BASE_CHECKPOINT } from "../../bases/char-lm";
import type { AtlasConfig } from "./config";

const base: AtlasConfig = {
  seeds: [0, 1, 2],
  baseSeed: 0,
  mlp: {
    hidden: [256, 256],
    pretrainExamples: 10000,
    pretrainEpochs: 5,
    pretrainLr: 1e-3,
    pretrainBatchSize: 64,
    checkpoint: BASE_CHECKPOINT,
    finetuneExamples: 3000,
    testExamples: 1000,
    valFraction: 0.1,
    steps: 100,
    batchSize: 32,
    warmup: 10,
    headLr: 1e-3,
    calibrationBatches: 2,
    probeSteps: 100,
    hardFraction: 0.2,
    probeExamples: 200,
  },
  // Centres: the adapter benchmark's family lrs (full, lora, xs, diag) where a row has one;
  // plain SGD and momentum need larger steps than Adam-type updates; GaLore-type updates are
  // scaled by α = 0.25, so their centre sits higher.
  lrs: {
    default: 3e-3,
    full: 3e-3,
    lora: 3e-3,
    xs: 3e-2,
    diag: 1e-1,
    "optimizer:sgd": 1e-1,
    "optimizer:momentum": 1e-2,
    "optimizer:galore": 1e-2,
    "optimizer:fira": 1e-2,
    "optimizer:q-galore": 1e-2,
    "optimizer:gradnormlorp": 1e-2,
  },
  lrGrid: [1 / 3, 1, 3],
  lrGridFactor: 3,
  lrGridExtensions: 1,
  maskDensity: 0.05,
  headInit: "torch",
  optimizerOptions: {},
  k: 10,
  epsilon: 0.5,
  only: [],
  perRegistry: 0,
  permutations: 2000,
  // Fewer steps than the MLP base (a transformer step costs more; see README, Sizes).
  char: {
    checkpoint: CHAR_BASE_CHECKPOINT,
    steps: 40,
    batchSize: 16,
    warmup: 4,
    calibrationBatches: 2,
    evalWindows: 64,
    valFraction: 0.1,
    hardFraction: 0.2,
    probeWindows: 8,
    // The adapter benchmark's char-base family centres; optimizers as on the MLP base.
    lrs: {
      default: 3e-3,
      full: 1e-3,
      lora: 3e-3,
      xs: 1e-2,
      diag: 3e-2,
      optimizer: 1e-3,
      // Sparse fine-tuning moves 5% of the block weights: a larger step than dense full FT.
      mask: 1e-2,
      "optimizer:sgd": 1e-1,
      "optimizer:momentum": 1e-2,
      "optimizer:galore": 1e-2,
      "optimizer:fira": 1e-2,
      "optimizer:q-galore": 1e-2,
      "optimizer:gradnormlorp": 1e-2,
    },
  },
};

export const ATLAS_PRESETS: Record<"smoke" | "default" | "full", AtlasConfig> = {
  smoke: {
    ...base,
    seeds: [0],
    mlp: {
      ...base.mlp,
      finetuneExamples: 600,
      testExamples: 200,
      steps: 4,
      warmup: 1,
      probeSteps: 5,
      probeExamples: 40,
    },
    lrGrid: [1],
    lrGridExtensions: 0,
    permutations: 50,
    perRegistry: 1,
    char: { ...(base.char as NonNullable<AtlasConfig["char"]>), steps: 3, warmup: 1, evalWindows: 8, probeWindows: 2 },
  },
  default: base,
  full: {
    ...base,
    seeds: [0, 1, 2, 3, 4],
    mlp: { ...base.mlp, finetuneExamples: 6000, testExamples: 2000, steps: 400, warmup: 20, probeExamples: 400 },
    lrGridExtensions: 2,
    char: { ...(base.char as NonNullable<AtlasConfig["char"]>), steps: 200, warmup: 20 },
  },
};
