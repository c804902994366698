// Gradient-boosted sequential training of one hidden layer (GBNN, Emami & Martínez-Muñoz 2023),
// multiclass: F₀ = 0; each stage fits a J-unit sigmoid net to the pseudo-residuals e_y − softmax(F)
// on a random subsample (MSE, Adam, through the library loop), takes the Newton step ρ_t on the
// whole training set and adds η ρ_t h_t. The stages assemble into one net of T·J hidden units.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { ProgressEvent } from "../core/types";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { Dataset } from "../data/dataset";
import { assembleStages, gbnnNewtonStep, SigmoidNet, sigmoidNetLogits, SigmoidWeights, softmaxRows } from "../nn/gbnn";
import { train } from "./loop";

export interface GbnnOptions {
  stages: number;
  /** Hidden units per stage J. */
  units: number;
  /** Adam steps per stage. */
  stepsPerStage: number;
  lr: number;
  /** Minibatch size within a stage (default: the whole subsample). */
  batchSize?: number;
  /** Fraction of the training set each stage sees (default 0.5). */
  subsample?: number;
  /** Shrinkage η (default 1). */
  eta?: number;
  seed: number;
  onProgress?: (p: ProgressEvent) => void;
}

export interface GbnnResult {
  stages: SigmoidWeights[];
  /** Newton steps ρ_t. */
  rho: number[];
  /** The assembled one-hidden-layer net (stage t's units are t·J … t·J + J − 1). */
  net: SigmoidWeights;
  /** Mean training cross-entropy of F_t, t = 0 … T (F₀ = 0 gives ln K). */
  trainLoss: number[];
}

const KEYS = ["stages", "units", "stepsPerStage", "lr", "batchSize", "subsample", "eta", "seed", "onProgress"];

function meanCE(p: Float64Array, y: Int32Array, K: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(p[i * K + y[i]], 1e-300));
  return s / y.length;
}

interface ResidualBatch {
  x: tf.Tensor2D;
  r: tf.Tensor2D;
}

export async function trainGbnn(ds: Dataset, opts: GbnnOptions): Promise<GbnnResult> {
  assertKnownOptions("opts", opts, KEYS);
  for (const k of ["stages", "units", "stepsPerStage"] as const) assertPositiveInt(`opts.${k}`, opts[k]);
  if (!(opts.lr > 0)) fail("opts.lr", `must be positive, got ${opts.lr}`);
  const frac = opts.subsample ?? 0.5;
  if (!(frac > 0 && frac <= 1)) fail("opts.subsample", `must lie in (0, 1], got ${frac}`);
  const eta = opts.eta ?? 1;
  if (!(eta > 0)) fail("opts.eta", `must be positive, got ${eta}`);
  const { n, dim, numClasses: K } = ds;
  const take = Math.max(1, Math.round(frac * n));
  const rng = new Rng(opts.seed);
  const F = new Float64Array(n * K);
  let P = softmaxRows(F, K);
  const stages: SigmoidWeights[] = [];
  const rho: number[] = [];
  const trainLoss = [meanCE(P, ds.y, K)];
  for (let t = 0; t < opts.stages; t++) {
    const sub = rng.permutation(n).slice(0, take);
    const R = new Float32Array(n * K);
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) R[i * K + k] = (ds.y[i] === k ? 1 : 0) - P[i * K + k];
    const net = new SigmoidNet(dim, opts.units, K, rng.int(2 ** 31));
    const source = {
      n: take,
      make(idx: number[] | null): ResidualBatch {
        if (!idx) return fail("idx", "needs index batches");
        const x = new Float32Array(idx.length * dim);
        const r = new Float32Array(idx.length * K);
        idx.forEach((j, b) => {
          const i = sub[j];
          x.set(ds.x.subarray(i * dim, (i + 1) * dim), b * dim);
          r.set(R.subarray(i * K, (i + 1) * K), b * K);
        });
        return { x: tf.tensor2d(x, [idx.length, dim]), r: tf.tensor2d(r, [idx.length, K]) };
      },
    };
    await train<ResidualBatch>(net, source, {
      steps: opts.stepsPerStage,
      batchSize: Math.min(opts.batchSize ?? take, take),
      seed: rng.int(2 ** 31),
      optimizer: "adam",
      lr: opts.lr,
      objective: (b) => tf.losses.meanSquaredError(b.r, net.forward(b.x)) as tf.Scalar,
    });
    const w = net.weights();
    net.dispose();
    const h = sigmoidNetLogits(w, ds.x, n);
    const r = gbnnNewtonStep(h, P, ds.y, K);
    for (let q = 0; q < F.length; q++) F[q] += eta * r * h[q];
    P = softmaxRows(F, K);
    stages.push(w);
    rho.push(r);
    trainLoss.push(meanCE(P, ds.y, K));
    opts.onProgress?.({ label: "gbnn stage", step: t + 1, total: opts.stages, values: { loss: trainLoss[t + 1] } });
  }
  return {
    stages,
    rho,
    net: assembleStages(
      stages,
      rho.map((r) => eta * r),
    ),
    trainLoss,
  };
}
