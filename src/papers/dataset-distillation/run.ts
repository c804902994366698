// AST-lite at toy scale: 14×14 MNIST digits, a tanh MLP. Per seed: experts with and without
// smoothing (loss-scale "clipping" + gradient-norm clipping + gradient penalty) from the same inits; two
// distillations from the same representative (class k-means medoid) images; then fresh
// networks trained on each 10-per-class set, each set's learning rate chosen on a validation
// split of the training digits, scored on held-out test digits.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { kMeans } from "../../cluster/kmeans";
import { Dataset, makeDataset, sample, subset, toTensors, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { distillTrajectories, ExpertTrajectory, trainExpert } from "../../train/distill";
import { train } from "../../train/loop";
import { Selection, selectOnValidation, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface DistillConfig extends PaperConfig {
  examples: number;
  testFraction: number;
  valFraction: number;
  hidden: number[];
  perClass: number;
  experts: number;
  expertEpochs: number;
  expertLr: number;
  expertBatch: number;
  clipNorm: number;
  /** Smoothed experts' gradient-penalty weight λ (objective + λ·‖∇_θ loss‖²). */
  gradPenalty: number;
  syntheticSteps: number;
  matchEpochs: number;
  maxStartEpoch: number;
  iterations: number;
  lrImages: number;
  lrLr: number;
  studentLr: number;
  evalSteps: number;
  evalNets: number;
  evalLrGrid: number[];
}

export type SetName =
  "random real" | "representative init" | "distilled, plain experts" | "distilled, smoothed experts";
export const SETS: SetName[] = [
  "random real",
  "representative init",
  "distilled, plain experts",
  "distilled, smoothed experts",
];

export interface SetRun {
  set: SetName;
  selection: Selection;
  testAcc: number;
}

export interface DistillRun {
  kind: "plain" | "smoothed";
  learnedLr: number;
  firstLoss: number;
  lastLoss: number;
  losses: Array<{ step: number; loss: number }>;
}

export interface DistillSeed {
  seed: number;
  fitExamples: number;
  testExamples: number;
  expertFinalAcc: { plain: number; smoothed: number };
  /** Mean ‖θ_{e+1} − θ_e‖ over the experts' epochs, per variant (smoothness of the trajectory). */
  expertEpochStep: { plain: number[]; smoothed: number[] };
  distills: DistillRun[];
  sets: SetRun[];
}

export interface DistillResult {
  seeds: DistillSeed[];
}

/** 2×2 mean pooling of 28×28 images into 14×14. */
function pool14(ds: Dataset): Dataset {
  const x = new Float32Array(ds.n * 196);
  for (let i = 0; i < ds.n; i++)
    for (let r = 0; r < 14; r++)
      for (let c = 0; c < 14; c++) {
        const o = i * 784 + 2 * r * 28 + 2 * c;
        x[i * 196 + r * 14 + c] = (ds.x[o] + ds.x[o + 1] + ds.x[o + 28] + ds.x[o + 29]) / 4;
      }
  return makeDataset(ds.name + ":14x14", x, ds.y, [14, 14], ds.numClasses);
}

function byClass(ds: Dataset): number[][] {
  const out: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.n; i++) out[ds.y[i]].push(i);
  return out;
}

/** `perClass` random real images of each class. */
function randomReal(ds: Dataset, perClass: number, s: number): number[] {
  const rng = new Rng(s);
  return byClass(ds).flatMap((idx) =>
    rng
      .permutation(idx.length)
      .slice(0, perClass)
      .map((k) => idx[k]),
  );
}

/** Representative init: per class, the real image nearest each of `perClass` k-means centroids. */
function representative(ds: Dataset, perClass: number, s: number): number[] {
  return byClass(ds).flatMap((idx) => {
    const X = idx.map((i) => Array.from(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim)));
    const { centroids } = kMeans(X, perClass, { seed: s, restarts: 2, maxIter: 30 });
    const used = new Set<number>();
    return centroids.map((c) => {
      let best = -1;
      let bd = Infinity;
      X.forEach((x, k) => {
        if (used.has(k)) return;
        let d = 0;
        for (let j = 0; j < x.length; j++) d += (x[j] - c[j]) ** 2;
        if (d < bd) [bd, best] = [d, k];
      });
      used.add(best);
      return idx[best];
    });
  });
}

function accuracy(model: MLP, ds: Dataset): number {
  return tf.tidy(() => {
    const { x, y } = toTensors(ds);
    return tf.mean(tf.equal(tf.argMax(model.forward(x), 1), y).toFloat()).dataSync()[0];
  });
}

/** Mean test accuracy of `nets` fresh MLPs trained full-batch on `small` for evalSteps momentum-SGD steps. */
async function evalSet(cfg: DistillConfig, small: Dataset, lr: number, on: Dataset, s: number, nets: number) {
  let sum = 0;
  for (let k = 0; k < nets; k++) {
    seed(s * 1000 + 500 + k);
    const model = new MLP({ sizes: [small.dim, ...cfg.hidden, 10], activation: "tanh", init: "glorot" });
    await train(model, small, {
      steps: cfg.evalSteps,
      batchSize: small.n,
      optimizer: "momentum",
      lr,
      seed: s * 1000 + 500 + k,
    });
    sum += accuracy(model, on);
    model.dispose();
  }
  return sum / nets;
}

function epochSteps(ex: ExpertTrajectory[]): number[] {
  const E = ex[0].checkpoints.length - 1;
  return Array.from({ length: E }, (_, e) => {
    let m = 0;
    for (const t of ex) {
      let d = 0;
      t.checkpoints[e].forEach((a, i) => a.forEach((v, j) => (d += (t.checkpoints[e + 1][i][j] - v) ** 2)));
      m += Math.sqrt(d);
    }
    return m / ex.length;
  });
}

export async function runDistillSeed(cfg: DistillConfig, s: number, ctx: PaperContext): Promise<DistillSeed> {
  const all = pool14(sample(loadMnistDigits(), cfg.examples, s));
  const { train: trainAll, test } = trainTestSplit(all, { testFraction: cfg.testFraction, seed: s });
  const { train: fit, val } = validationSplit(trainAll, cfg.valFraction, s + 1);
  const progress = (label: string) => (p: Parameters<NonNullable<PaperContext["onProgress"]>>[0]) =>
    ctx.onProgress?.({ ...p, label: `seed ${s} ${label}` });

  // Experts: the same init and batch order per index for both variants (paired).
  const experts = { plain: [] as ExpertTrajectory[], smoothed: [] as ExpertTrajectory[] };
  const expertFinalAcc = { plain: 0, smoothed: 0 };
  for (const kind of ["plain", "smoothed"] as const)
    for (let e = 0; e < cfg.experts; e++) {
      seed(s * 100 + e);
      const traj = await trainExpert(fit, {
        hidden: cfg.hidden,
        epochs: cfg.expertEpochs,
        batchSize: cfg.expertBatch,
        lr: cfg.expertLr,
        seed: s * 100 + e,
        lossScaling: kind === "smoothed",
        clipNorm: kind === "smoothed" ? cfg.clipNorm : undefined,
        gradPenalty: kind === "smoothed" ? cfg.gradPenalty : 0,
        onProgress: progress(`${kind} expert ${e}`),
      });
      experts[kind].push(traj);
      // Final expert accuracy on the validation digits (pipeline health, not a claim).
      const model = new MLP({ sizes: [fit.dim, ...cfg.hidden, 10], activation: "tanh" });
      const last = traj.checkpoints[traj.checkpoints.length - 1];
      model.weights.forEach((w, i) => {
        w.assign(tf.tensor2d(last[2 * i], w.shape));
        model.biases[i]!.assign(tf.tensor1d(last[2 * i + 1]));
      });
      expertFinalAcc[kind] += accuracy(model, val) / cfg.experts;
      model.dispose();
    }

  const initIdx = representative(fit, cfg.perClass, s);
  const init = subset(fit, initIdx, "representative");
  const distills: DistillRun[] = [];
  const images: Record<string, Float32Array> = {};
  for (const kind of ["plain", "smoothed"] as const) {
    const r = await distillTrajectories({
      init: init.x,
      labels: init.y,
      numClasses: 10,
      experts: experts[kind],
      syntheticSteps: cfg.syntheticSteps,
      expertEpochs: cfg.matchEpochs,
      maxStartEpoch: cfg.maxStartEpoch,
      iterations: cfg.iterations,
      lrImages: cfg.lrImages,
      lrLr: cfg.lrLr,
      studentLr: cfg.studentLr,
      balancedInner: kind === "smoothed",
      seed: s * 10 + 7,
      onProgress: progress(`distill (${kind} experts)`),
    });
    images[kind] = r.images;
    distills.push({
      kind,
      learnedLr: r.learnedLr,
      firstLoss: r.losses[0].loss,
      lastLoss: r.losses[r.losses.length - 1].loss,
      losses: r.losses,
    });
  }

  const small: Record<SetName, Dataset> = {
    "random real": subset(fit, randomReal(fit, cfg.perClass, s + 3), "random"),
    "representative init": init,
    "distilled, plain experts": makeDataset("distilled-plain", images.plain, init.y, [14, 14], 10),
    "distilled, smoothed experts": makeDataset("distilled-smoothed", images.smoothed, init.y, [14, 14], 10),
  };
  const sets: SetRun[] = [];
  for (const name of SETS) {
    // Each set gets its own evaluation lr from the same grid, chosen on validation digits.
    const selection = await selectOnValidation(cfg.evalLrGrid, (lr) => evalSet(cfg, small[name], lr, val, s, 1), {
      maxExtensions: 1,
    });
    sets.push({
      set: name,
      selection,
      testAcc: await evalSet(cfg, small[name], selection.best, test, s, cfg.evalNets),
    });
  }
  return {
    seed: s,
    fitExamples: fit.n,
    testExamples: test.n,
    expertFinalAcc,
    expertEpochStep: { plain: epochSteps(experts.plain), smoothed: epochSteps(experts.smoothed) },
    distills,
    sets,
  };
}
