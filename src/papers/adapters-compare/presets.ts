// The benchmark's size presets (the views take their seeds from here).
import { BASE_CHECKPOINT } from "../../bases/fashion-mlp";
import { AdaptersCompareConfig } from "./run";

const base: AdaptersCompareConfig = {
  seeds: [0, 1, 2],
  hidden: [256, 256],
  pretrainExamples: 10000,
  pretrainEpochs: 5,
  pretrainLr: 1e-3,
  batchSize: 64,
  finetuneExamples: 6000,
  testExamples: 1000,
  steps: 150,
  warmup: 15,
  evalEvery: 25,
  earlySteps: [10, 25, 50, 100],
  calibrationBatches: 8,
  lrs: { full: 1e-3, lora: 3e-3, xs: 1e-2, diag: 3e-2 },
  lrGrid: [],
  headLr: 1e-3,
  midRank: 4,
  xsMidRank: 56,
  xsTinyRank: 16,
  methods: [],
  k: 10,
  epsilons: [0.3, 0.5, 0.7],
  spectrumTop: 20,
  checkpoint: BASE_CHECKPOINT,
};

export const ADAPTERS_COMPARE_PRESETS: Record<"smoke" | "default" | "full", AdaptersCompareConfig> = {
  smoke: {
    ...base,
    seeds: [0],
    finetuneExamples: 1000,
    testExamples: 300,
    steps: 20,
    warmup: 4,
    evalEvery: 10,
    earlySteps: [5, 10],
    calibrationBatches: 2,
  },
  default: base,
  full: {
    ...base,
    steps: 400,
    warmup: 20,
    evalEvery: 20,
    earlySteps: [25, 50, 100],
    finetuneExamples: 10000,
    testExamples: 2000,
    lrGrid: [0.3, 1, 3],
  },
};
