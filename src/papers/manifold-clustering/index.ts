// Unsupervised manifold linearizing and clustering (MLC, Ding et al., ICCV 2023): maximising the
// rate reduction jointly over features and a doubly stochastic membership clusters points lying
// on curved manifolds and maps each cluster to its own, nearly orthogonal, subspace.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { MlcConfig, MlcResult, MlcSeedRun, runMlcSeed } from "./run";

const base: MlcConfig = {
  seeds: [0, 1, 2],
  perClass: 300,
  classes: 4,
  ambient: 30,
  curvature: 1,
  noise: 0.05,
  hidden: 64,
  dim: 16,
  eps2: 0.5,
  eta: 0.1,
  gamma: 0,
  sinkhornIters: 20,
  batchSize: 200,
  steps: 300,
  lr: 3e-3,
};

const col = (r: MlcResult, f: (x: MlcSeedRun) => number) => r.runs.map(f);

export const manifoldClustering = definePaper<MlcConfig, MlcResult, MlcSeedRun>({
  id: "manifold-clustering",
  citation: {
    authors: ["Tianjiao Ding", "Shengbang Tong", "Kwan Ho Ryan Chan", "Xili Dai", "Yi Ma", "Benjamin D. Haeffele"],
    title: "Unsupervised Manifold Linearizing and Clustering",
    venue: "ICCV",
    year: 2023,
    arxiv: "2301.01805",
    code: "https://github.com/tianjiaoding/mlc",
  },
  claim:
    "Maximising the coding rate reduction jointly over the representation and a doubly stochastic membership clusters data on nonlinear manifolds and maps each cluster to its own, nearly orthogonal, subspace.",
  presets: {
    smoke: { ...base, seeds: [0], perClass: 60, batchSize: 120, steps: 6 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], steps: 1500, batchSize: 300 },
  },
  runSeed: runMlcSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const cosT = tInterval(col(r, (x) => x.subspaceCosTrained));
    const km = tInterval(col(r, (x) => x.accKmeansRaw));
    return [
      pairedCheck(
        "MLC clusters the manifolds better than k-means on raw x: accuracy(MLC, spectral clustering on Γ) − accuracy(k-means), paired by seed",
        col(r, (x) => x.accMlc),
        col(r, (x) => x.accKmeansRaw),
        "greater",
        { margin: 0.1, figure: "manifold-clustering-accuracy", what: "accuracy points" },
      ),
      pairedCheck(
        "The learned features are linearized: spectral clustering on |ZZᵀ| beats k-means on raw x, paired by seed",
        col(r, (x) => x.accFeatureSpectral),
        col(r, (x) => x.accKmeansRaw),
        "greater",
        { margin: 0.1, figure: "manifold-clustering-accuracy", what: "accuracy points" },
      ),
      evidence(
        "Each cluster gets its own, nearly orthogonal subspace: mean |cos| of principal angles between different clusters' principal subspaces of Z",
        cosT,
        "95% interval below 0.2",
        below(cosT, 0.2),
        { figure: "manifold-clustering-subspaces" },
      ),
      sanity(
        "The setting defeats k-means: the manifolds share one mean, so k-means on raw x stays near chance (0.25)",
        km,
        "95% interval below 0.5",
        below(km, 0.5),
        { figure: "manifold-clustering-accuracy" },
      ),
      sanity(
        "Training raises the rate reduction R − R_c of the true partition (every seed)",
        r.runs.map((x) => `${x.deltaRInit.toFixed(2)} → ${x.deltaRTrained.toFixed(2)}`).join("; "),
        "trained > initial for every seed",
        r.runs.every((x) => x.deltaRTrained > x.deltaRInit),
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const iv = (f: (x: MlcSeedRun) => number) => tInterval(col(r, f));
    const bar = (label: string, f: (x: MlcSeedRun) => number, key: string) => {
      const v = iv(f);
      return { [key]: label, value: v.mean, err: Number.isFinite(v.hi) ? v.hi - v.mean : 0 };
    };
    const loss = r.runs.flatMap((x) => x.log.map((l) => ({ step: l.step, seed: `seed ${x.seed}`, loss: l.loss })));
    return [
      {
        name: "manifold-clustering-accuracy",
        spec: barChart(
          [
            bar("k-means on raw x", (x) => x.accKmeansRaw, "method"),
            bar("spectral on raw |cos|", (x) => x.accRawSpectral, "method"),
            bar("MLC: spectral on Γ", (x) => x.accMlc, "method"),
            bar("MLC: k-means on codes", (x) => x.accCodesKmeans, "method"),
            bar("MLC: spectral on |ZZᵀ|", (x) => x.accFeatureSpectral, "method"),
          ],
          {
            x: "method",
            y: "value",
            error: "err",
            title: "Clustering accuracy (Hungarian), mean over seeds",
            yTitle: "accuracy",
          },
        ),
      },
      {
        name: "manifold-clustering-subspaces",
        spec: barChart(
          [
            bar("random init", (x) => x.subspaceCosInit, "features"),
            bar("trained", (x) => x.subspaceCosTrained, "features"),
          ],
          {
            x: "features",
            y: "value",
            error: "err",
            title: "Mean |cos| of principal angles between clusters' subspaces of Z",
            yTitle: "mean |cos| (0 = orthogonal)",
          },
        ),
      },
      {
        name: "manifold-clustering-loss",
        spec: lineChart(loss, {
          x: "step",
          y: "loss",
          color: "seed",
          title: "Objective −(R − R_c + γH)",
          yTitle: "loss (nats)",
        }),
      },
    ];
  },
  summary(r, c) {
    const m = (f: (x: MlcSeedRun) => number) => tInterval(col(r, f)).mean;
    return {
      seeds: r.runs.length,
      points: c.perClass * c.classes,
      "accuracy MLC (mean)": m((x) => x.accMlc),
      "accuracy k-means raw (mean)": m((x) => x.accKmeansRaw),
      "accuracy spectral on |ZZᵀ| of trained features (mean)": m((x) => x.accFeatureSpectral),
      "accuracy spectral on |cos| of raw x (mean)": m((x) => x.accRawSpectral),
      "accuracy k-means on codes C (mean)": m((x) => x.accCodesKmeans),
      "subspace |cos| init (mean)": m((x) => x.subspaceCosInit),
      "subspace |cos| trained (mean)": m((x) => x.subspaceCosTrained),
      "ΔR true partition init (mean)": m((x) => x.deltaRInit),
      "ΔR true partition trained (mean)": m((x) => x.deltaRTrained),
      "subspace dimension per cluster": Math.max(1, Math.floor(c.dim / c.classes)),
    };
  },
});
