// The atlas's configuration (presets in presets.ts).
import type { PaperConfig } from "../types";

export interface MlpAtlasConfig {
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  /** Pre-training batch size (part of the checkpoint's spec) and calibration batch size. */
  pretrainBatchSize: number;
  checkpoint: string | null;
  finetuneExamples: number;
  testExamples: number;
  valFraction: number;
  /** Fine-tuning: optimizer steps (every row the same), batch size, warm-up, head-B Adam lr. */
  steps: number;
  batchSize: number;
  warmup: number;
  headLr: number;
  calibrationBatches: number;
  /** Head-only probe steps of the EL2N reference, and the hardest fraction of test B kept. */
  probeSteps: number;
  hardFraction: number;
  /** Test-B examples whose penultimate features give RankMe and the kernels. */
  probeExamples: number;
}

/** The second base: the adapter benchmark's char-level transformer (licenses → fortunes). */
export interface CharAtlasConfig {
  /** Checkpoint made by scripts/make-char-base.ts. */
  checkpoint: string;
  steps: number;
  batchSize: number;
  warmup: number;
  calibrationBatches: number;
  /** Held-out windows of `context` characters for validation and each test set. */
  evalWindows: number;
  valFraction: number;
  /** Hardest fraction of test-B tokens (EL2N under the base) and windows whose features are probed. */
  hardFraction: number;
  probeWindows: number;
  /** Grid centre per row id, adapter lr family, registry or "default" (as AtlasConfig.lrs). */
  lrs: Record<string, number>;
}

export interface AtlasConfig extends PaperConfig {
  /** Seed of the pretrained base and task split (the checkpoint's seed). */
  baseSeed: number;
  mlp: MlpAtlasConfig;
  /** Grid centre per lr family: "<registry>:<name>", then an adapter's benchmark family, then "default". */
  lrs: Record<string, number>;
  /** Multipliers of the centre tried on the validation split; extensions past an edge winner. */
  lrGrid: number[];
  lrGridFactor: number;
  lrGridExtensions: number;
  /** Density of the sparse fine-tuning rows (fraction of each hidden matrix's entries that train). */
  maskDensity: number;
  /** Head-B init of every row except the init rows (a registered init name). */
  headInit: string;
  /** Options per optimizer name (e.g. { galore: { rank: 8 } }); registry defaults otherwise. */
  optimizerOptions: Record<string, Record<string, unknown>>;
  /** Intruders: top-k singular vectors of the tuned matrix, threshold ε on the max cosine. */
  k: number;
  epsilon: number;
  /** Row ids or registries to run ([] = all). */
  only: string[];
  /** At most this many rows per registry, in registration order (0 = all; smoke runs use 1). */
  perRegistry: number;
  /** The char base (adapter and optimizer rows), or null for the MLP base only. */
  char: CharAtlasConfig | null;
  /** Permutations of the permutation test on the method means. */
  permutations: number;
}
