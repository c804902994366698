// Tabular NCD, one seed: Fashion-MNIST pixels as a 784-column table; 6 known classes with labels,
// 4 novel classes without. w (the cross-entropy weight) is chosen by hidden-class CV on the known
// classes only; PBN is then trained on known + unlabelled rows and the unlabelled codes clustered.
// The number of novel classes is estimated by the silhouette of k-means on those codes.
import { clusteringAccuracy } from "../../cluster/accuracy";
import { kMeans } from "../../cluster/kmeans";
import { seed } from "../../core/random";
import { Rng } from "../../core/random";
import { loadFashionMnist } from "../../data/images";
import { clusterAccuracy, estimateK, hiddenClassCV, trainPbn } from "../../train/ncd";
import { PaperConfig, PaperContext } from "../types";

export interface NcdConfig extends PaperConfig {
  knownClasses: number[];
  novelClasses: number[];
  perClass: number;
  encoder: number[];
  ws: number[];
  /** Hidden-class folds over the known classes (class ids). */
  folds: number[][];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Candidate numbers of novel classes for the silhouette estimate. */
  ks: number[];
}

export interface NcdSeedRun {
  seed: number;
  cv: { ws: number[]; scores: number[]; best: number };
  accPbn: number;
  accPbnEstimatedK: number;
  accKmeansRaw: number;
  /** PBN's architecture trained with w = 0 (reconstruction only): what the known labels add. */
  accAutoencoder: number;
  kEstimate: number;
  silhouettes: number[];
}

export interface NcdResult {
  runs: NcdSeedRun[];
}

function pick(all: { x: Float32Array; y: Int32Array; n: number }, classes: number[], perClass: number, s: number) {
  const perm = new Rng(s).permutation(all.n);
  const count = new Map(classes.map((c) => [c, 0]));
  const idx: number[] = [];
  for (const i of perm) {
    const c = all.y[i];
    const k = count.get(c);
    if (k === undefined || k >= perClass) continue;
    count.set(c, k + 1);
    idx.push(i);
  }
  const x = new Float32Array(idx.length * 784);
  idx.forEach((i, r) => x.set(all.x.subarray(i * 784, (i + 1) * 784), r * 784));
  return { x, y: Int32Array.from(idx.map((i) => all.y[i])), n: idx.length };
}

export async function runNcdSeed(cfg: NcdConfig, s: number, ctx: PaperContext): Promise<NcdSeedRun> {
  seed(s);
  const all = loadFashionMnist({ split: "train" });
  const knownRaw = pick(all, cfg.knownClasses, cfg.perClass, 100 + s);
  const novel = pick(all, cfg.novelClasses, cfg.perClass, 200 + s);
  const remap = new Map(cfg.knownClasses.map((c, i) => [c, i]));
  const known = { ...knownRaw, y: Int32Array.from(knownRaw.y, (c) => remap.get(c) as number) };
  const folds = cfg.folds.map((f) => f.map((c) => remap.get(c) as number));
  const K = cfg.knownClasses.length;
  const base = { encoder: cfg.encoder, epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, seed: s };
  let done = 0;
  const total = cfg.ws.length * folds.length + 2;
  const prog = (label: string) => ctx.onProgress?.({ step: done++, total, label: `seed ${s}: ${label}` });
  prog("hidden-class CV");
  const cv = await hiddenClassCV(known, 784, K, folds, cfg.ws, {
    ...base,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}: ${p.label}` }),
  });
  done = cfg.ws.length * folds.length;
  const data = { known, unlabeled: { x: novel.x, n: novel.n }, dim: 784, knownClasses: K };
  prog(`PBN w=${cv.best}`);
  const model = await trainPbn(data, { ...base, w: cv.best });
  const codes = model.encode(novel.x, novel.n);
  model.dispose();
  prog("autoencoder");
  const ae = await trainPbn(data, { ...base, w: 0 });
  const aeCodes = ae.encode(novel.x, novel.n);
  ae.dispose();
  const truth = Array.from(novel.y);
  const est = estimateK(codes, cfg.ks, s);
  const raw = Array.from({ length: novel.n }, (_, i) => Array.from(novel.x.subarray(i * 784, (i + 1) * 784)));
  return {
    seed: s,
    cv,
    accPbn: clusterAccuracy(codes, truth, cfg.novelClasses.length, s),
    accPbnEstimatedK: clusterAccuracy(codes, truth, est.k, s),
    accKmeansRaw: clusteringAccuracy(truth, kMeans(raw, cfg.novelClasses.length, { seed: s, restarts: 5 }).labels),
    accAutoencoder: clusterAccuracy(aeCodes, truth, cfg.novelClasses.length, s),
    kEstimate: est.k,
    silhouettes: est.scores,
  };
}
