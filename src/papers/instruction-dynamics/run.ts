// One seed of the instruction-dynamics analog: an MLP trained jointly on six synthetic
// abilities at each data volume and two widths (fixed optimizer steps for every volume),
// with each width's learning rate chosen on a validation split carved from its training data.
import * as tf from "@tensorflow/tfjs";
import {
  ABILITIES,
  ABILITY_CLASSES,
  ABILITY_DIM,
  abilityExamples,
  encodeAbilities,
  EncodedAbilities,
} from "../../data/abilities";
import { Rng, seed } from "../../core/random";
import { MLP } from "../../nn/mlp";
import { BatchSource, ClassBatch, train } from "../../train/loop";
import { selectOnValidation, Selection } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface InstructionDynamicsConfig extends PaperConfig {
  /** Training examples per ability (all abilities trained jointly). */
  volumes: number[];
  /** Hidden units of the two hidden layers: [narrow, wide]. */
  widths: [number, number];
  /** Optimizer steps, the same for every volume and width. */
  steps: number;
  batchSize: number;
  lrGrid: number[];
  /** Volume (per ability) at which each width's lr is chosen, and the validation fraction carved from it. */
  selectVolume: number;
  valFraction: number;
  /** Fresh test examples per ability. */
  testPerTask: number;
}

export interface CurvePoint {
  width: number;
  volume: number;
  /** Exact-match test accuracy per ability, in ABILITIES order. */
  acc: number[];
  firstLoss: number;
  lastLoss: number;
}

export interface InstructionDynamicsSeedRun {
  seed: number;
  /** Per width: the lr selection (validation exact-match accuracy, all abilities). */
  selections: Selection[];
  points: CurvePoint[];
}

function source(d: EncodedAbilities): BatchSource<ClassBatch> {
  const P = d.positions;
  return {
    n: d.n,
    make(idx) {
      const ids = idx as number[];
      const x = new Float32Array(ids.length * d.dim);
      const y = new Int32Array(ids.length * P);
      ids.forEach((i, k) => {
        x.set(d.x.subarray(i * d.dim, (i + 1) * d.dim), k * d.dim);
        y.set(d.y.subarray(i * P, (i + 1) * P), k * P);
      });
      return { x: tf.tensor2d(x, [ids.length, d.dim]), y: tf.tensor1d(y, "int32") };
    },
  };
}

/** Mean cross-entropy over every output position of a batch: logits [B, P·C], labels [B·P]. */
function positionLoss(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const flat = tf.reshape(logits, [-1, ABILITY_CLASSES]) as tf.Tensor2D;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y, ABILITY_CLASSES), flat) as tf.Scalar;
}

/** Exact-match accuracy per ability (every output position right, pads included). */
function exactMatch(model: MLP, d: EncodedAbilities): number[] {
  const P = d.positions;
  const pred = tf.tidy(() => {
    const logits = model.forward(tf.tensor2d(d.x, [d.n, d.dim]));
    return tf.argMax(tf.reshape(logits, [d.n, P, ABILITY_CLASSES]), 2).dataSync() as Int32Array;
  });
  const right = new Array<number>(ABILITIES.length).fill(0);
  const count = new Array<number>(ABILITIES.length).fill(0);
  for (let i = 0; i < d.n; i++) {
    let ok = true;
    for (let k = 0; k < P && ok; k++) ok = pred[i * P + k] === d.y[i * P + k];
    count[d.task[i]]++;
    if (ok) right[d.task[i]]++;
  }
  return right.map((r, t) => (count[t] ? r / count[t] : NaN));
}

/** Trains one MLP of `width` on `data` for cfg.steps steps; returns it with its first and last logged loss. */
async function fit(
  cfg: InstructionDynamicsConfig,
  width: number,
  lr: number,
  data: EncodedAbilities,
  seedValue: number,
): Promise<{ model: MLP; firstLoss: number; lastLoss: number }> {
  seed(seedValue);
  const model = new MLP({ sizes: [ABILITY_DIM, width, width, data.positions * ABILITY_CLASSES], init: "he" });
  const logEvery = Math.max(1, Math.floor(cfg.steps / 10));
  const log = await train(model, source(data), {
    steps: cfg.steps,
    batchSize: Math.min(cfg.batchSize, data.n),
    seed: seedValue + 1,
    sampler: "epoch",
    optimizer: "adam",
    lr,
    loss: positionLoss,
    logEvery,
  });
  return { model, firstLoss: log.log[0]?.loss ?? NaN, lastLoss: log.log[log.log.length - 1]?.loss ?? NaN };
}

export async function runInstructionDynamicsSeed(
  cfg: InstructionDynamicsConfig,
  s: number,
  ctx: PaperContext,
): Promise<InstructionDynamicsSeedRun> {
  const test = encodeAbilities(abilityExamples(ABILITIES, cfg.testPerTask, new Rng(900001 + s)));
  const total = cfg.widths.length * (cfg.volumes.length + cfg.lrGrid.length);
  let step = 0;
  const tick = (label: string) => ctx.onProgress?.({ label: `seed ${s}: ${label}`, step: step++, total });

  // Each width's lr: chosen on a validation split carved from the selection volume's training data.
  const selRng = new Rng(31 * s + 7);
  const selAll = abilityExamples(ABILITIES, cfg.selectVolume, selRng);
  const perm = selRng.permutation(selAll.length);
  const nVal = Math.round(selAll.length * cfg.valFraction);
  const selVal = encodeAbilities(perm.slice(0, nVal).map((i) => selAll[i]));
  const selTrain = encodeAbilities(perm.slice(nVal).map((i) => selAll[i]));
  const lrs: number[] = [];
  const selections: Selection[] = [];
  for (const width of cfg.widths) {
    const sel = await selectOnValidation(
      cfg.lrGrid,
      async (lr) => {
        tick(`width ${width}, lr ${lr.toExponential(0)} (selection)`);
        const { model } = await fit(cfg, width, lr, selTrain, 1000 * s + width);
        const acc = exactMatch(model, selVal);
        model.dispose();
        return acc.reduce((a, b) => a + b, 0) / acc.length;
      },
      { maxExtensions: 0 },
    );
    selections.push(sel);
    lrs.push(sel.best);
  }

  const points: CurvePoint[] = [];
  for (const volume of cfg.volumes) {
    // Nested data: the examples of a smaller volume are the first ones of a larger volume.
    const data = encodeAbilities(abilityExamples(ABILITIES, volume, new Rng(7 * s + 3)));
    for (let w = 0; w < cfg.widths.length; w++) {
      tick(`width ${cfg.widths[w]}, ${volume} per ability`);
      const r = await fit(cfg, cfg.widths[w], lrs[w], data, 1000 * s + cfg.widths[w]);
      points.push({
        width: cfg.widths[w],
        volume,
        acc: exactMatch(r.model, test),
        firstLoss: r.firstLoss,
        lastLoss: r.lastLoss,
      });
      r.model.dispose();
    }
  }
  ctx.onProgress?.({ label: `seed ${s}: done`, step: total, total });
  return { seed: s, selections, points };
}
