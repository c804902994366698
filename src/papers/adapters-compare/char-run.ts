// One seed of the benchmark on its second base: the char-level transformer (licenses →
// fortunes). The seed's validation split is carved from the fine-tuning text; on the first
// seed every variant's lr is selected on it (the winner's run kept), the other seeds train at
// the first seed's lrs (run.ts: charPart).
import * as tf from "@tensorflow/tfjs";
import { benchVariants } from "../../adapters/benchmark";
import { CalibrationBatch } from "../../adapters/adapted-model";
import {
  CHAR_BASE_SPEC,
  evalWindows,
  fortuneCorpus,
  licenseCorpus,
  lmScores,
  loadCharBase,
  splitCorpus,
  windowSource,
} from "../../bases/char-lm";
import { Rng } from "../../core/random";
import { ProgressEvent } from "../../core/types";
import { fail } from "../../core/validate";
import { svd } from "../../linalg/decompose";
import { transformerLogits } from "../../nn/transformer";
import { Selection } from "../protocol";
import { FULL_FT, RunRecord, TrainSettings, VariantSpec } from "./bench";
import { charBaseStats, charParams, CharSetup, finishCharRecord, trainCharVariant } from "./char-bench";
import type { AdaptersCompareConfig, BenchSettings, CharBenchConfig } from "./run";
import { runWithSelection } from "./select";

/** The char base's settings in the shape the checks and views read. */
export function charSettingsOf(cfg: AdaptersCompareConfig, c: CharBenchConfig): BenchSettings {
  return {
    seeds: cfg.seeds,
    steps: c.steps,
    earlySteps: c.earlySteps,
    epsilons: cfg.epsilons,
    midRank: c.midRank,
    xsMidRank: c.xsMidRank,
    xsTinyRank: c.xsTinyRank,
    hidden: [CHAR_BASE_SPEC.width],
    sweepRanks: c.sweepRanks,
    sweepAlpha: c.sweepAlpha,
    lrs: c.lrs,
    headLr: 0,
    warmup: c.warmup,
    batchSize: c.batchSize,
  };
}

/** The char base's variants: the benchmark's variants at the char scale, those listed in c.methods, in that order. */
export function charVariants(cfg: AdaptersCompareConfig, c: CharBenchConfig): VariantSpec[] {
  const all = [FULL_FT, ...benchVariants(charSettingsOf(cfg, c))];
  return c.methods.map((id) => {
    const v = all.find((x) => x.id === id);
    if (!v)
      fail(
        "config.char.methods",
        `"${id}" is no variant at the char scale (known: ${all.map((x) => x.id).join(", ")})`,
      );
    if (v.lrFrom && !c.methods.includes(v.lrFrom))
      fail("config.char.methods", `"${id}" takes its lr from "${v.lrFrom}", which is not listed`);
    return v;
  });
}

/** What charSetup reads of a config (the atlas's char section has the same fields). */
export type CharSplitConfig = Pick<
  CharBenchConfig,
  "checkpoint" | "valFraction" | "calibrationBatches" | "batchSize" | "evalWindows"
>;

/** The char base with one seed's windows and calibration batches (free with disposeCharSetup). */
export function charSetup(c: CharSplitConfig, seedValue: number): CharSetup {
  const spec = CHAR_BASE_SPEC;
  const base = loadCharBase(c.checkpoint, spec);
  const block = 4 * spec.context;
  // Test sets are fixed (task A: the blocks pretraining never saw); the validation part is the seed's.
  const B = splitCorpus(fortuneCorpus(), block, { val: 0, test: 0.1 }, 0);
  const { train: trainB, val: valText } = splitCorpus(
    B.train,
    block,
    { val: c.valFraction, test: 0 },
    seedValue * 7 + 3,
  );
  const testText = splitCorpus(licenseCorpus(), block, { val: 0.05, test: 0.1 }, spec.seed).test;
  const src = windowSource(trainB, spec.context);
  const rng = new Rng(seedValue * 31 + 77);
  const calibration: CalibrationBatch[] = Array.from({ length: c.calibrationBatches }, () =>
    src.make(new Array<number>(c.batchSize).fill(0), rng),
  );
  return {
    spec,
    base,
    params: charParams(base),
    trainB,
    valB: evalWindows(valText, spec.context, c.evalWindows),
    testB: evalWindows(B.test, spec.context, c.evalWindows),
    testA: evalWindows(testText, spec.context, c.evalWindows),
    calibration,
    ...charBaseStats(base, spec, (m) => svd(m)),
  };
}

/** Task-A (license) test accuracy of the live parameters: forgetting. */
export function charAccA(setup: CharSetup): number {
  return tf.tidy(() => lmScores(transformerLogits(setup.params, setup.testA.x, setup.spec), setup.testA.y)).acc;
}

/** Frees the windows, calibration batches and live parameters of a charSetup. */
export function disposeCharSetup(setup: CharSetup): void {
  for (const t of [setup.valB, setup.testB, setup.testA, ...setup.calibration]) {
    t.x.dispose();
    (t.y as tf.Tensor).dispose();
  }
  Object.values(setup.params).forEach((v) => v.dispose());
}

/**
 * One seed on the char base: every variant's lr selected on this seed's validation split
 * (the winner's run kept), or, with `fixed` (variant id → lr), every variant trained once at
 * the given lr.
 */
export async function runCharSeed(
  cfg: AdaptersCompareConfig,
  c: CharBenchConfig,
  seedValue: number,
  onProgress?: (p: ProgressEvent) => void,
  fixed?: Record<string, number>,
): Promise<{ records: RunRecord[]; baseAccA: number; selections: Record<string, Selection> }> {
  const variants = charVariants(cfg, c);
  const setup = charSetup(c, seedValue);
  try {
    const baseAccA = charAccA(setup);
    const evalSteps = [
      ...new Set([
        0,
        ...c.earlySteps.filter((s) => s <= c.steps),
        c.steps,
        ...Array.from({ length: Math.floor(c.steps / c.evalEvery) }, (_, i) => (i + 1) * c.evalEvery),
      ]),
    ].sort((a, b) => a - b);
    const settings = (lr: number): TrainSettings => ({
      steps: c.steps,
      batchSize: c.batchSize,
      warmup: c.warmup,
      lr,
      headLr: 0,
      evalSteps,
      k: cfg.k,
      epsilons: cfg.epsilons,
      spectrumTop: cfg.spectrumTop,
    });
    let done = 0;
    const out = await runWithSelection(
      variants,
      { grid: cfg.lrGrid, factor: cfg.lrGridFactor, extensions: cfg.lrGridExtensions, lrs: c.lrs },
      async (v, lr) => {
        onProgress?.({
          label: `char: ${v.id} lr=${lr.toExponential(1)} seed ${seedValue}`,
          step: done++,
          total: variants.length,
        });
        const r = await trainCharVariant(setup, v, seedValue, settings(lr));
        return { valLoss: r.run.record.valLossB as number, payload: r };
      },
      (r, lr) => finishCharRecord(setup, r, settings(lr)),
      fixed,
    );
    return { records: out.records, baseAccA, selections: out.selections };
  } finally {
    disposeCharSetup(setup);
  }
}
