// Continual learning with dynamic sparse training (Yildirim et al., CPAL 2024), task-
// incremental on split Fashion-MNIST: each task gets a sparse subnetwork of the shared MLP
// (density d, ERK or uniform per layer), trained with prune-and-regrow (random or gradient
// growth), then frozen. Later tasks may reuse frozen weights but never change them, and each
// task is evaluated with its own mask and its own pair of output units.
import * as tf from "@tensorflow/tfjs";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { Rng, seed } from "../../core/random";
import { initWeight } from "../../nn/mlp";
import { evaluate } from "../../train/classifier";
import { crossEntropyFused } from "../../train/optimizers";
import { ClassBatch, train, TrainHook } from "../../train/loop";
import {
  cosineDropFraction,
  dropAndGrow,
  erkDensities,
  GrowthRule,
  MaskedTraining,
  MaskSet,
  randomMask,
  uniformDensities,
} from "../../prune";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export type Allocation = "erk" | "uniform";

export interface DstConfig extends PaperConfig {
  tasks: number;
  trainPerTask: number;
  valPerTask: number;
  testPerTask: number;
  sizes: number[];
  densities: number[];
  allocations: Allocation[];
  growths: GrowthRule[];
  epochsPerTask: number;
  batchSize: number;
  /** Drop-and-grow every this many steps, until `updateUntil` of a task's steps. */
  updateEvery: number;
  updateUntil: number;
  dropFraction: number;
  lrs: number[];
}

export interface DstRun {
  density: number;
  allocation: Allocation;
  growth: GrowthRule;
  /** acc[i][j]: accuracy on task j after training task i (j ≤ i). */
  acc: number[][];
  avgAcc: number;
  bwt: number;
  layerDensities: number[];
  /** Fraction of all weights used by some task at the end. */
  used: number;
}

export interface DstSeedRun {
  seed: number;
  runs: DstRun[];
}

export interface DstResult {
  trainPerTask: number;
  testPerTask: number;
  /** LR per "density/allocation", chosen with random growth on the first seed's validation split. */
  selection: Record<string, Selection>;
  seeds: DstSeedRun[];
}

interface TaskData {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** Task t holds classes 2t and 2t+1, labels relabelled to 0/1. */
function taskSplits(cfg: DstConfig): TaskData[] {
  const tr = loadFashionMnist({ split: "train" });
  const te = loadFashionMnist({ split: "test" });
  const pick = (ds: Dataset, t: number, n: number, s: number) => {
    const idx = [...ds.y.keys()].filter((i) => ds.y[i] === 2 * t || ds.y[i] === 2 * t + 1);
    const perm = new Rng(s).permutation(idx.length).slice(0, n);
    const sub = subset(
      ds,
      perm.map((k) => idx[k]),
    );
    return { ...sub, y: sub.y.map((y) => y - 2 * t), numClasses: 2 };
  };
  return Array.from({ length: cfg.tasks }, (_, t) => {
    const pool = pick(tr, t, cfg.trainPerTask + cfg.valPerTask, 40 + t);
    const { train: a, val } = validationSplit(pool, cfg.valPerTask / pool.n, 50 + t);
    return { train: a, val, test: pick(te, t, cfg.testPerTask, 60 + t) };
  });
}

/** A bias-free MLP whose forward uses W ⊙ M for the task's mask and the task's two output units. */
class MaskedMlp {
  readonly weights: tf.Variable[];
  masks: tf.Tensor[] = [];
  task = 0;
  constructor(readonly sizes: number[]) {
    this.weights = sizes.slice(1).map((o, l) => tf.variable(tf.tensor2d(initWeight(sizes[l], o, "he"), [sizes[l], o])));
  }
  setMask(m: MaskSet): void {
    this.masks.forEach((t) => t.dispose());
    this.masks = m.layers.map((L) => tf.keep(tf.tensor(Float32Array.from(L.data), L.shape, "float32")));
  }
  logitsFrom(x: tf.Tensor2D, eff: tf.Tensor[]): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    eff.forEach((w, l) => {
      h = tf.matMul(h, w as tf.Tensor2D);
      if (l + 1 < eff.length) h = tf.relu(h);
    });
    return tf.slice(h, [0, 2 * this.task], [-1, 2]);
  }
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.logitsFrom(
      x,
      this.weights.map((w, l) => tf.mul(w, this.masks[l])),
    );
  }
  variables(): tf.Variable[] {
    return this.weights;
  }
  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.masks.forEach((t) => t.dispose());
  }
}

function zeroAt(vars: tf.Variable[], where: MaskSet): void {
  vars.forEach((v, l) => {
    const vals = Float32Array.from(v.dataSync() as Float32Array);
    where.layers[l].data.forEach((k, i) => k && (vals[i] = 0));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape, "float32")));
  });
}

const flat = (vars: tf.Variable[]) => vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));

/** ∂L/∂(W ⊙ M) on one batch: the gradient for inactive entries too (RigL's growth signal). */
function denseGrads(model: MaskedMlp, batch: ClassBatch): Float32Array[] {
  return tf.tidy(() => {
    const eff = model.weights.map((w, l) => tf.mul(w, model.masks[l]));
    const g = tf.grads((...e: tf.Tensor[]) => crossEntropyFused(model.logitsFrom(batch.x, e), batch.y))(eff);
    return g.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
}

function batchOf(ds: Dataset, n: number, rng: Rng): ClassBatch {
  const idx = rng.permutation(ds.n).slice(0, Math.min(n, ds.n));
  const sub = subset(ds, idx);
  return { x: tf.tensor2d(sub.x, [sub.n, sub.dim]), y: tf.tensor1d(sub.y, "int32") };
}

export interface Setting {
  density: number;
  allocation: Allocation;
  growth: GrowthRule;
}

/** Trains the tasks in order with one setting; returns the accuracy matrix on `evalOn`. */
export async function runSetting(
  cfg: DstConfig,
  data: TaskData[],
  st: Setting,
  lr: number,
  s: number,
  evalOn: "val" | "test",
): Promise<DstRun> {
  seed(s);
  const model = new MaskedMlp(cfg.sizes);
  const shapes = model.weights.map((w) => [...w.shape]);
  const dens = st.allocation === "erk" ? erkDensities(shapes, st.density) : uniformDensities(shapes, st.density);
  const rng = new Rng(1_000 + s);
  let frozen = MaskSet.ones(shapes);
  frozen.layers.forEach((m) => m.data.fill(0));
  const taskMasks: MaskSet[] = [];
  const acc: number[][] = [];
  try {
    for (let t = 0; t < cfg.tasks; t++) {
      model.task = t;
      let mask = randomMask(shapes, dens, rng);
      model.setMask(mask);
      // Weights outside the task's mask keep their values (the forward masks them): new tasks start from the init.
      const hook = new MaskedTraining(model.weights, mask, { frozen, zeroOutside: false });
      const free = new MaskSet(frozen.layers.map((m) => ({ shape: m.shape, data: m.data.map((v) => 1 - v) })));
      const stepsPerEpoch = Math.ceil(data[t].train.n / cfg.batchSize);
      const total = cfg.epochsPerTask * stepsPerEpoch;
      const dst: TrainHook = {
        postStep(step) {
          if (step % cfg.updateEvery !== 0 || step > cfg.updateUntil * total) return;
          const fraction = cosineDropFraction(step, cfg.updateUntil * total, cfg.dropFraction);
          let grads: Float32Array[] | undefined;
          if (st.growth === "gradient") {
            const b = batchOf(data[t].train, cfg.batchSize, rng);
            grads = denseGrads(model, b);
            b.x.dispose();
            b.y.dispose();
          }
          // Frozen weights may be reused but are never dropped; growth only on free weights.
          const next = dropAndGrow(flat(model.weights), mask, {
            fraction,
            growth: st.growth,
            rng,
            grads,
            droppable: free,
            growable: free,
          });
          mask = next.mask;
          // RigL: grown weights start at zero (they are free entries, so no task depends on them).
          zeroAt(model.weights, next.grown);
          hook.setMask(mask);
          model.setMask(mask);
        },
      };
      await train(model, data[t].train, {
        epochs: cfg.epochsPerTask,
        batchSize: cfg.batchSize,
        lr,
        seed: s * 100 + t,
        hooks: [hook, dst],
      });
      hook.dispose();
      taskMasks.push(mask);
      frozen = frozen.or(mask);
      acc.push(
        taskMasks.map((m, j) => {
          model.task = j;
          model.setMask(m);
          return evaluate(model, data[j][evalOn]).acc;
        }),
      );
    }
  } finally {
    model.dispose();
  }
  const T = cfg.tasks;
  const last = acc[T - 1];
  const bwt = T > 1 ? last.slice(0, T - 1).reduce((a, v, j) => a + v - acc[j][j], 0) / (T - 1) : 0;
  return {
    ...st,
    acc,
    avgAcc: last.reduce((a, b) => a + b, 0) / T,
    bwt,
    layerDensities: dens,
    used: frozen.density(),
  };
}

export async function runDst(cfg: DstConfig, ctx: PaperContext): Promise<DstResult> {
  const data = taskSplits(cfg);
  const s0 = cfg.seeds[0];
  const selection: Record<string, Selection> = {};
  for (const density of cfg.densities)
    for (const allocation of cfg.allocations)
      selection[`${density}/${allocation}`] = await selectOnValidation(cfg.lrs, async (lr) => {
        ctx.onProgress?.({ label: `select lr d=${density} ${allocation}`, step: 1, total: 1, values: { lr } });
        return (await runSetting(cfg, data, { density, allocation, growth: "random" }, lr, s0, "val")).avgAcc;
      });
  const settings: Setting[] = cfg.densities.flatMap((density) =>
    cfg.allocations.flatMap((allocation) => cfg.growths.map((growth) => ({ density, allocation, growth }))),
  );
  const out: DstSeedRun[] = [];
  let k = 0;
  for (const s of cfg.seeds) {
    const runs: DstRun[] = [];
    for (const st of settings) {
      ctx.onProgress?.({ label: "settings × seeds", step: k++, total: settings.length * cfg.seeds.length, values: {} });
      runs.push(await runSetting(cfg, data, st, selection[`${st.density}/${st.allocation}`].best, s, "test"));
    }
    out.push({ seed: s, runs });
  }
  return { trainPerTask: data[0].train.n, testPerTask: data[0].test.n, selection, seeds: out };
}
