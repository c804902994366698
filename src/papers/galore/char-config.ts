// The configuration and result types of the char-transformer harness (char-harness.ts), its
// default and smoke sizes, and accessors of a result, kept apart so that each file stays small.
import { CHAR_BASE_SPEC } from "../../bases/char-lm";
import { fail } from "../../core/validate";
import { TransformerShape } from "../../nn/transformer";
import { QGaLoreOptions } from "../../optim";
import { Selection } from "../protocol";

/** The transformer every method trains: CHAR_BASE_SPEC's shape (the adapter benchmark's base). */
export const CHAR_SHAPE: TransformerShape = {
  vocab: CHAR_BASE_SPEC.vocab,
  width: CHAR_BASE_SPEC.width,
  context: CHAR_BASE_SPEC.context,
  layers: CHAR_BASE_SPEC.layers,
  heads: CHAR_BASE_SPEC.heads,
};

/** Optimizers (on the dense model) and parameterisations (of the block matrices, trained with Adam). */
export type CharKind = "adam" | "galore" | "fira" | "qgalore" | "lowrank" | "lora" | "relora" | "sltrain" | "sst";

export interface CharMethod {
  /** Label in results, checks and figures. */
  name: string;
  kind: CharKind;
  /** Rank of GaLore/Fira/Q-GaLore projections, SLTrain's low-rank part, SST's sampled pairs. */
  rank?: number;
  /** Fira's residual form (default "code"). */
  residual?: "code" | "paper";
  /** Q-GaLore's switches. */
  qgalore?: Pick<QGaLoreOptions, "weightRounding" | "quantizeProjector" | "adaptiveGap" | "quantizeWeights">;
  /** low-rank / LoRA / ReLoRA: the rank per matrix is the one whose r(m+n) is closest to this method's budget. */
  matchTo?: { kind: "sltrain"; rank: number; delta: number } | { kind: "sst"; rank: number };
  /** SLTrain's support fraction δ and scale numerator α (scale α/r). */
  delta?: number;
  alpha?: number;
  /** ReLoRA: steps between merges of B·A into the frozen matrix. */
  mergeEvery?: number;
  /** SST: steps between redraws of the sampled pairs and between re-SVDs. */
  resampleEvery?: number;
  reorthEvery?: number;
  /** Learning rates tried on the validation blocks. */
  grid: number[];
}

export interface CharConfig {
  /** Seeds of the char runs (initialisation and window stream); the corpus split is fixed. */
  seeds: number[];
  steps: number;
  batchSize: number;
  /** GaLore/Fira/Q-GaLore projector gap T and scale α. */
  updateGap: number;
  scale: number;
  /** Evaluation windows (of `context` characters) read from each held-out part. */
  evalWindows: number;
  logEvery: number;
  maxExtensions: number;
  methods: CharMethod[];
}

export interface CharRun {
  method: string;
  seed: number;
  lr: number;
  /** Held-out next-character cross-entropy (nats) and accuracy on the test blocks. */
  testLoss: number;
  testAcc: number;
  /** Optimizer-state floats (every persistent tensor; Adam: 2 per trained float). */
  stateFloats: number;
  /** Trainable values in the block matrices (per step for SST; nnz only for SLTrain's S). */
  blockParams: number;
  refreshes: number;
  stateBytes?: number;
  weightBytes?: number;
  /** ReLoRA only: merges done (per matrix). */
  merges?: number;
  curve: Array<{ step: number; loss: number }>;
}

export interface CharResult {
  /** Parameters of the dense transformer, and the part in the block matrices. */
  params: number;
  blockParams: number;
  trainChars: number;
  valChars: number;
  testChars: number;
  selection: Array<{ method: string } & Selection>;
  runs: CharRun[];
}

/** One metric of one char method over the seeds, in seed order (for paired intervals). */
export function charMetric(r: CharResult, method: string, key: "testLoss" | "testAcc"): number[] {
  const xs = r.runs.filter((x) => x.method === method).sort((a, b) => a.seed - b.seed);
  if (xs.length === 0) fail("method", `no char runs of "${method}"`);
  return xs.map((x) => x[key]);
}

/** A char method's first run (state, parameters and bytes are the same for every seed). */
export function charRunOf(r: CharResult, method: string): CharRun {
  const x = r.runs.find((y) => y.method === method);
  if (!x) fail("method", `no char runs of "${method}"`);
  return x;
}

/** The char part's default size: 3 seeds, 250 steps at batch 16 (about half a pass over the training blocks). */
export function charPreset(methods: CharMethod[]): CharConfig {
  return {
    seeds: [0, 1, 2],
    steps: 250,
    batchSize: 16,
    updateGap: 50,
    scale: 0.25,
    evalWindows: 384,
    logEvery: 25,
    maxExtensions: 1,
    methods,
  };
}

/** The smoke size: one seed, a few steps, one learning rate per method (only proves the code runs). */
export function charSmoke(c: CharConfig): CharConfig {
  return {
    ...c,
    seeds: [c.seeds[0]],
    steps: 10,
    batchSize: 8,
    updateGap: 5,
    evalWindows: 16,
    logEvery: 5,
    maxExtensions: 0,
    methods: c.methods.map((m) => ({
      ...m,
      grid: [m.grid[Math.floor(m.grid.length / 2)]],
      mergeEvery: m.mergeEvery === undefined ? undefined : 5,
      resampleEvery: m.resampleEvery === undefined ? undefined : 3,
      reorthEvery: m.reorthEvery === undefined ? undefined : 6,
    })),
  };
}
