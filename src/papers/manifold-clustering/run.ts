// MLC, one seed: a feature MLP f and a cluster-head MLP g trained together to maximise
// R(Z) − R_c(Z, Γ) + γ·H(Γ)/n, with Z = normalize(f(x)), C = normalize(g(x)) and the doubly
// stochastic membership Γ = Sinkhorn(exp(CCᵀ/η)) of each batch. Clusters are read from the cluster
// head's codes (k-means on C); the baseline is k-means on raw x. No labels are used in training.
import * as tf from "@tensorflow/tfjs";
import { clusteringAccuracy } from "../../cluster/accuracy";
import { kMeans } from "../../cluster/kmeans";
import { spectralClustering } from "../../cluster/spectral";
import { seed } from "../../core/random";
import { eigh } from "../../linalg/decompose";
import { codingRateT, compressedRateT, sinkhornT } from "../../nn/mcr2";
import { MLP } from "../../nn/mlp";
import { BatchSource, train } from "../../train/loop";
import { PaperConfig, PaperContext } from "../types";
import { curvedManifolds } from "./data";

export interface MlcConfig extends PaperConfig {
  perClass: number;
  classes: number;
  ambient: number;
  curvature: number;
  noise: number;
  hidden: number;
  /** Output dimension d of both heads. */
  dim: number;
  eps2: number;
  eta: number;
  gamma: number;
  sinkhornIters: number;
  batchSize: number;
  steps: number;
  lr: number;
}

export interface MlcSeedRun {
  seed: number;
  accMlc: number;
  accKmeansRaw: number;
  /** k-means on the cluster head's codes C. */
  accCodesKmeans: number;
  /** Spectral clustering on |ZZᵀ| (features only, no Γ). */
  accFeatureSpectral: number;
  /** Spectral clustering on |cos| of raw x (the subspace reader without any learning). */
  accRawSpectral: number;
  /** Mean |cos| of principal angles between different true clusters' principal subspaces of Z. */
  subspaceCosTrained: number;
  subspaceCosInit: number;
  /** Rate reduction R − R_c on the whole set with the true (hard) labels, before and after. */
  deltaRInit: number;
  deltaRTrained: number;
  log: Array<{ step: number; loss: number }>;
}

export interface MlcResult {
  runs: MlcSeedRun[];
}

const normalizeRows = (t: tf.Tensor2D) => tf.div(t, tf.add(tf.norm(t, 2, 1, true), 1e-8)) as tf.Tensor2D;

/** Principal subspace (top r eigenvectors of ZᵀZ, uncentred) of a set of rows, as r column vectors. */
function principal(rows: number[][], r: number): number[][] {
  const d = rows[0].length;
  const G = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const z of rows) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) G[a][b] += z[a] * z[b];
  const { values, vectors } = eigh(G);
  const order = values.map((v, i) => [v, i]).sort((p, q) => q[0] - p[0]);
  return order.slice(0, r).map(([, i]) => vectors.map((row) => row[i]));
}

/** Mean over pairs of different classes of the mean cosine of their principal angles (singular values of UᵀV). */
export function subspaceCosine(Z: number[][], y: number[], classes: number, r: number): number {
  const bases = Array.from({ length: classes }, (_, c) =>
    principal(
      Z.filter((_, i) => y[i] === c),
      r,
    ),
  );
  let tot = 0;
  let pairs = 0;
  for (let a = 0; a < classes; a++)
    for (let b = a + 1; b < classes; b++) {
      const M = bases[a].map((u) => bases[b].map((v) => u.reduce((s, x, t) => s + x * v[t], 0)));
      // Singular values of the r×r block = √eigenvalues of MᵀM.
      const MtM = M[0].map((_, i) => M[0].map((_, j) => M.reduce((s, row) => s + row[i] * row[j], 0)));
      const sv = eigh(MtM).values.map((v) => Math.sqrt(Math.max(0, v)));
      tot += sv.reduce((s, v) => s + v, 0) / r;
      pairs++;
    }
  return tot / pairs;
}

function hardRateReduction(Z: tf.Tensor2D, y: number[], classes: number, eps: number): number {
  return tf.tidy(() => {
    const n = y.length;
    // Hard memberships as a doubly stochastic-style Γ would be too large here: use the per-class formula.
    let rc = 0;
    for (let c = 0; c < classes; c++) {
      const idx = y.flatMap((v, i) => (v === c ? [i] : []));
      const Zc = tf.gather(Z, idx) as tf.Tensor2D;
      rc += (idx.length / n) * codingRateT(Zc, eps).dataSync()[0];
    }
    return codingRateT(Z, eps).dataSync()[0] - rc;
  });
}

export async function runMlcSeed(cfg: MlcConfig, s: number, ctx: PaperContext): Promise<MlcSeedRun> {
  seed(s);
  // The data set is fixed across seeds (seed 0); seeds vary the networks and batches.
  const data = curvedManifolds(cfg.perClass, cfg.classes, cfg.ambient, cfg.curvature, cfg.noise, 12345);
  const n = data.x.length;
  const X = tf.tensor2d(data.x);
  const f = new MLP({ sizes: [cfg.ambient, cfg.hidden, cfg.dim], activation: "relu", init: "he" });
  const g = new MLP({ sizes: [cfg.ambient, cfg.hidden, cfg.dim], activation: "relu", init: "he" });
  const eps = Math.sqrt(cfg.eps2);
  const features = () => tf.tidy(() => normalizeRows(f.forward(X)));
  const evalZ = () => {
    const Z = features();
    const arr = Z.arraySync();
    const dr = hardRateReduction(Z, data.y, cfg.classes, eps);
    Z.dispose();
    return { arr, dr };
  };
  const r = Math.max(1, Math.floor(cfg.dim / cfg.classes));
  const init = evalZ();
  const source: BatchSource<tf.Tensor2D> = {
    n,
    make: (idx) => tf.gather(X, idx as number[]) as tf.Tensor2D,
  };
  const log: MlcSeedRun["log"] = [];
  await train({ variables: () => [...f.variables(), ...g.variables()] }, source, {
    steps: cfg.steps,
    batchSize: cfg.batchSize,
    sampler: "stream",
    seed: s,
    lr: cfg.lr,
    objective: (xb) => {
      const Z = normalizeRows(f.forward(xb));
      const C = normalizeRows(g.forward(xb));
      const gam = sinkhornT(tf.div(tf.matMul(C, C, false, true), cfg.eta) as tf.Tensor2D, cfg.sinkhornIters);
      const ent = tf.neg(tf.sum(tf.mul(gam, tf.log(tf.add(gam, 1e-12)))));
      const b = xb.shape[0];
      const obj = tf.add(tf.sub(codingRateT(Z, eps), compressedRateT(Z, gam, eps)), tf.mul(ent, cfg.gamma / b));
      return tf.neg(obj) as tf.Scalar;
    },
    logEvery: Math.max(1, Math.floor(cfg.steps / 20)),
    onLog: (rec) => {
      log.push({ step: rec.step, loss: rec.loss });
    },
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}` }),
  });
  const trained = evalZ();
  const C = tf.tidy(() => normalizeRows(g.forward(X)));
  const codes = C.arraySync();
  C.dispose();
  // The paper's reader: spectral clustering on the whole set's membership Γ; also k-means on the
  // codes C and spectral clustering on the feature affinity |ZZᵀ| (a subspace-clustering reader).
  const gFull = tf.tidy(() => {
    const Cn = tf.tensor2d(codes);
    return sinkhornT(tf.div(tf.matMul(Cn, Cn, false, true), cfg.eta) as tf.Tensor2D, cfg.sinkhornIters);
  });
  const gam = gFull.arraySync();
  gFull.dispose();
  const mlcLabels = spectralClustering(gam, cfg.classes, { seed: s });
  const codeLabels = kMeans(codes, cfg.classes, { seed: s, restarts: 10 }).labels;
  const zAff = trained.arr.map((a) => trained.arr.map((b) => Math.abs(a.reduce((t, v, i) => t + v * b[i], 0))));
  const zLabels = spectralClustering(zAff, cfg.classes, { seed: s });
  // The same subspace reader on raw x (|cos| affinity): how much of the structure is already linear.
  const xn = data.x.map((a) => {
    const nrm = Math.sqrt(a.reduce((t, v) => t + v * v, 0)) || 1;
    return a.map((v) => v / nrm);
  });
  const xAff = xn.map((a) => xn.map((b) => Math.abs(a.reduce((t, v, i) => t + v * b[i], 0))));
  const rawSpectral = spectralClustering(xAff, cfg.classes, { seed: s });
  const rawLabels = kMeans(data.x, cfg.classes, { seed: s, restarts: 10 }).labels;
  X.dispose();
  f.dispose();
  g.dispose();
  return {
    seed: s,
    accMlc: clusteringAccuracy(data.y, mlcLabels),
    accCodesKmeans: clusteringAccuracy(data.y, codeLabels),
    accFeatureSpectral: clusteringAccuracy(data.y, zLabels),
    accRawSpectral: clusteringAccuracy(data.y, rawSpectral),
    accKmeansRaw: clusteringAccuracy(data.y, rawLabels),
    subspaceCosTrained: subspaceCosine(trained.arr, data.y, cfg.classes, r),
    subspaceCosInit: subspaceCosine(init.arr, data.y, cfg.classes, r),
    deltaRInit: init.dr,
    deltaRTrained: trained.dr,
    log,
  };
}
