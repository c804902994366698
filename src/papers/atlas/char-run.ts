// The atlas on its second base: the adapter benchmark's char-level transformer, pretrained on
// Debian's license texts (task A) and fine-tuned to next-character prediction on the
// fortunes (task B). The vocabulary and head stay, so there is no new head: adapter rows
// (the benchmark's trainCharVariant at the char scale's mid variant), optimizer rows (full
// fine-tuning with the registered optimizer) and mask rows (sparse fine-tuning of the block
// matrices under the criterion's mask) run here; init and growth rows do not.
import * as tf from "@tensorflow/tfjs";
import { BenchScale } from "../../adapters/benchmark";
import { blockMatrixNames } from "../../adapters/transformer";
import { CHAR_BASE_SPEC, lmScores, windowSource } from "../../bases/char-lm";
import { fail } from "../../core/validate";
import { el2nFromLogits } from "../../metrics/data-diet";
import { representationAlignment } from "../../metrics/alignment";
import { rankMe } from "../../metrics/spectral";
import { transformerLogits } from "../../nn/transformer";
import { createOptimizer, optimizerEntry } from "../../optim/registry";
import { createMask } from "../../prune/registry";
import { Rng } from "../../core/random";
import { crossEntropyFused } from "../../train/optimizers";
import { warmupCosine } from "../../optim/schedules";
import { train } from "../../train/loop";
import { deltaStats, FULL_FT, TrainSettings, VariantSpec } from "../adapters-compare/bench";
import { CharSetup, trainCharVariant, Windows } from "../adapters-compare/char-bench";
import { charAccA, charSetup, disposeCharSetup } from "../adapters-compare/char-run";
import { ADAPTERS_COMPARE_PRESETS } from "../adapters-compare/presets";
import type { AtlasConfig, CharAtlasConfig } from "./config";
import { Diagnostics, labelAlignment } from "./diagnostics";
import { adapterVariant, AtlasMethod } from "./methods";
import { maskHook, RowFailure, RowProgress, RowSeed, runRows } from "./mlp-run";

/** The adapter benchmark's char-base scale (mid variants sized for the 32-wide transformer). */
export function charScale(): BenchScale {
  const c = ADAPTERS_COMPARE_PRESETS.full.char ?? fail("adapters-compare", "has no char preset");
  return { ...c, hidden: [CHAR_BASE_SPEC.width], sweepRanks: [] };
}

/** Which rows run on the char base: adapters with a char-scale variant, optimizers and masks. */
export function charRows(rows: AtlasMethod[]): Array<AtlasMethod & { charVariant?: VariantSpec }> {
  const scale = charScale();
  return rows.flatMap((m) => {
    if (m.registry === "optimizer" || m.registry === "mask") return [m];
    if (m.registry !== "adapter") return [];
    const v = adapterVariant(m.name, scale);
    return v ? [{ ...m, charVariant: v }] : [];
  });
}

interface CharBase {
  setup: CharSetup;
  baseAccA: number;
  /** Indices (token positions of testB) of the EL2N-hardest tokens under the base. */
  hardMask: tf.Tensor1D;
  probe: Windows;
  featuresBefore: number[][];
  baseFrob2: number;
  dispose(): void;
}

/** Penultimate features (final layer norm) for windows: the logits with the head replaced by I. */
function features(params: Record<string, tf.Variable | tf.Tensor>, w: Windows): number[][] {
  return tf.tidy(() => {
    const eye = tf.eye(CHAR_BASE_SPEC.width);
    return transformerLogits({ ...params, out: eye }, w.x, CHAR_BASE_SPEC).arraySync() as number[][];
  });
}

async function charBase(c: CharAtlasConfig, s: number): Promise<CharBase> {
  const setup = charSetup(c, s);
  const { spec } = setup;
  const baseAccA = charAccA(setup);
  // EL2N of every test-B token under the base (the base's head already predicts characters).
  const scores = tf.tidy(() =>
    el2nFromLogits(transformerLogits(setup.params, setup.testB.x, spec), setup.testB.y.arraySync() as number[]),
  );
  const order = scores.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const mask = new Float32Array(scores.length);
  order.slice(0, Math.max(1, Math.round(c.hardFraction * scores.length))).forEach((p) => (mask[p[1]] = 1));
  const probeN = Math.min(c.probeWindows, setup.testB.x.shape[0]);
  const probe = {
    x: tf.slice(setup.testB.x, [0, 0], [probeN, spec.context]) as tf.Tensor2D,
    y: tf.slice(setup.testB.y, [0], [probeN * spec.context]) as tf.Tensor1D,
  };
  const names = blockMatrixNames(spec);
  const hardMask = tf.tensor1d(mask);
  return {
    setup,
    baseAccA,
    hardMask,
    probe,
    featuresBefore: features(setup.params, probe),
    baseFrob2: names.reduce((a, n) => a + setup.baseKernels[n].flat().reduce((b, x) => b + x * x, 0), 0),
    dispose() {
      disposeCharSetup(setup);
      probe.x.dispose();
      probe.y.dispose();
      hardMask.dispose();
    },
  };
}

function reset(b: CharBase): void {
  tf.tidy(() => {
    for (const [k, t] of Object.entries(b.setup.base)) b.setup.params[k].assign(tf.tensor(t.data, t.shape));
  });
}

interface CharObs {
  valLoss: number;
  d: Omit<Diagnostics, "effRank" | "stableRank" | "intruders" | "relChange">;
  tuned: Record<string, number[][]>;
}

/** Measures the live (tuned, merged) parameters; accA/state/time come from the run. */
function observe(b: CharBase, accA: number, stateFloats: number, msPerStep: number): CharObs {
  const { params, spec } = b.setup;
  const score = (w: Windows) => tf.tidy(() => lmScores(transformerLogits(params, w.x, spec), w.y));
  const testB = score(b.setup.testB);
  const hardAcc = tf.tidy(() => {
    const right = tf.cast(
      tf.equal(tf.argMax(transformerLogits(params, b.setup.testB.x, spec), 1), b.setup.testB.y),
      "float32",
    );
    return (tf.sum(tf.mul(right, b.hardMask)).arraySync() as number) / (tf.sum(b.hardMask).arraySync() as number);
  });
  const f = features(params, b.probe);
  const labels = b.probe.y.arraySync() as number[];
  const safe = (fn: () => number) => {
    try {
      return fn();
    } catch {
      return NaN;
    }
  };
  const tuned = Object.fromEntries(blockMatrixNames(spec).map((n) => [n, params[n].arraySync() as number[][]]));
  return {
    valLoss: score(b.setup.valB).loss,
    tuned,
    d: {
      accB: testB.acc,
      hardAcc,
      forgetting: b.baseAccA - accA,
      kaAfter: labelAlignment(f, labels),
      repAlign: safe(() => representationAlignment(b.featuresBefore, f)),
      rankMe: safe(() => rankMe(f)),
      stateFloats,
      msPerStep,
    },
  };
}

async function trainRow(
  cfg: AtlasConfig,
  c: CharAtlasConfig,
  b: CharBase,
  row: ReturnType<typeof charRows>[number],
  s: number,
  lr: number,
): Promise<CharObs> {
  const settings: TrainSettings = {
    steps: c.steps,
    batchSize: c.batchSize,
    warmup: c.warmup,
    lr,
    headLr: 0,
    evalSteps: [],
    k: cfg.k,
    epsilons: [cfg.epsilon],
    spectrumTop: 1,
  };
  if (row.registry === "adapter") {
    const r = await trainCharVariant(b.setup, row.charVariant ?? FULL_FT, s, settings);
    const rec = r.run.record;
    return observe(b, rec.accA, 2 * rec.params, rec.trainMs / c.steps);
  }
  reset(b);
  const { params, spec } = b.setup;
  // Optimizer rows fine-tune every parameter; mask rows train only the block matrices (the
  // matrices adapters wrap), each entry's gradient multiplied by the criterion's 0/1 mask.
  const isMask = row.registry === "mask";
  const vars = isMask ? blockMatrixNames(spec).map((n) => params[n]) : Object.values(params);
  const optName = isMask ? "adam" : row.name;
  const opt = createOptimizer(optName, lr, cfg.optimizerOptions[optName] ?? {});
  let hook: ReturnType<typeof maskHook> | null = null;
  if (isMask) {
    const cal = b.setup.calibration[0];
    const loss = () => crossEntropyFused(transformerLogits(params, cal.x, spec), cal.y as tf.Tensor1D);
    hook = maskHook(vars, createMask(row.name, { vars, loss, rng: new Rng(s * 97 + 13) }, cfg.maskDensity));
  }
  const t0 = Date.now();
  await train(
    { variables: () => vars, forward: (x) => transformerLogits(params, x, spec) },
    windowSource(b.setup.trainB, spec.context, c.batchSize),
    {
      steps: c.steps,
      batchSize: c.batchSize,
      seed: s * 1013 + 5,
      sampler: "stream",
      optimizer: opt,
      lr,
      schedule: warmupCosine(c.warmup),
      hooks: hook ? [hook] : [],
    },
  );
  const ms = (Date.now() - t0) / c.steps;
  hook?.dispose();
  const accA = charAccA(b.setup);
  const state = optimizerEntry(optName).stateFloats(
    opt,
    vars.map((v) => [...v.shape]),
  );
  opt.dispose();
  return observe(b, accA, state, ms);
}

/** ΔW statistics of every block matrix, completing a row's diagnostics. */
function finish(cfg: AtlasConfig, b: CharBase, o: CharObs): Diagnostics {
  const names = blockMatrixNames(b.setup.spec);
  const layers = names.map((n) =>
    deltaStats(n, b.setup.baseKernels[n], o.tuned[n], b.setup.baseSvd[n], {
      k: cfg.k,
      epsilons: [cfg.epsilon],
      spectrumTop: 1,
    }),
  );
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    ...o.d,
    effRank: mean(layers.map((x) => x.effRank)),
    stableRank: mean(layers.map((x) => x.stableRank)),
    intruders: layers.reduce((a, x) => a + x.intruders[String(cfg.epsilon)], 0),
    relChange: Math.sqrt(layers.reduce((a, x) => a + x.frob * x.frob, 0) / b.baseFrob2),
  };
}

/** The lr centre of a row on the char base. */
export function charLrCentre(c: CharAtlasConfig, row: ReturnType<typeof charRows>[number]): number {
  const l = c.lrs;
  return l[row.id] ?? (row.charVariant ? l[row.charVariant.family] : undefined) ?? l[row.registry] ?? l.default;
}

/** Every char row on one seed (lr selected on this seed's validation windows unless `chosen`). */
export async function runCharRows(
  cfg: AtlasConfig,
  c: CharAtlasConfig,
  rows: ReturnType<typeof charRows>,
  s: number,
  chosen: Map<string, number> | null,
  progress: RowProgress,
): Promise<{ records: RowSeed[]; failed: RowFailure[]; baseAccA: number }> {
  const b = await charBase(c, s);
  try {
    const r = await runRows(cfg, rows, s, chosen, progress, {
      prefix: "char ",
      centre: (row) => charLrCentre(c, row),
      train: async (row, lr) => {
        const o = await trainRow(cfg, c, b, row, s, lr);
        return { valLoss: o.valLoss, obs: o };
      },
      measure: (o: CharObs) => {
        let changed = 0;
        let total = 0;
        for (const n of blockMatrixNames(b.setup.spec))
          o.tuned[n].forEach((r, i) =>
            r.forEach((x, j) => {
              total++;
              if (x !== b.setup.baseKernels[n][i][j]) changed++;
            }),
          );
        return { diagnostics: finish(cfg, b, o), changedFraction: changed / total, entries: total };
      },
    });
    return { ...r, baseAccA: b.baseAccA };
  } finally {
    b.dispose();
  }
}
