// EVA (Paischer et al. 2024): data-driven LoRA init. Feed calibration batches of a layer's
// inputs X (tokens × in) to an incremental, mean-centred PCA; stop once every kept
// component's |cosine| with its previous estimate is ≥ τ. Then A = the top-r principal
// directions (unit vectors, optionally whitened), B = 0, W0 untouched, so the layer equals
// the base at step 0. Across layers, evaRankAllocation pools the components' explained-
// variance ratios, keeps the globally top Σ_l r (at most ρ·r per layer; a layer may get
// 0) and sets α_l = α·r_l/r so the scaling α_l/r_l stays α/r.
//
// Incremental PCA here: after each batch the PCA of ALL inputs seen so far is recomputed
// exactly (thin SVD of the centred stacked inputs, float64), so the result equals batch PCA
// of the batches consumed; HF's IncrementalPCA approximates the same quantity.
//
// Layout: tfjs A is [in, r] (torch lora_A [r, in] transposed): column j = component j.
import * as tf from "@tensorflow/tfjs";
import { svd } from "../../linalg/decompose";
import { assertKnownOptions, fail } from "../../core/validate";
import { checkRank, optNumber } from "../common";
import { LoraAdapter } from "../lora/adapter";
import { AdapterInitContext } from "../types";

export interface EvaConfig {
  /** Rank r of this layer's adapter. */
  r: number;
  /** Scaling numerator α (default r); must be > 0. */
  alpha?: number;
  /** Convergence threshold τ on |cos| between consecutive component estimates (default 0.99). */
  tau?: number;
  /** Divide each component by √(its singular value) (default false, as HF). */
  whiten?: boolean;
  /** Seed of the fallback random A used before init() (default: global seeded stream). */
  seed?: number;
}

const EVA_KEYS = ["r", "alpha", "tau", "whiten", "seed"];

export interface EvaPcaResult {
  /** k principal directions, each a unit vector of length in (rows, as torch's lora_A). */
  components: number[][];
  /** Singular values of the centred stacked inputs (k). */
  singularValues: number[];
  /** Variance fraction each component explains (of the total input variance). */
  explainedVarianceRatio: number[];
  /** Batches consumed before convergence (or all of them). */
  batchesUsed: number;
  converged: boolean;
}

function batchRows(b: tf.Tensor2D | number[][], i: number, dim: number | null): number[][] {
  const rows = b instanceof tf.Tensor ? (b.arraySync() as number[][]) : b;
  if (!Array.isArray(rows) || rows.length === 0) fail(`inputs[${i}]`, "must be a non-empty [batch, in] batch");
  for (const row of rows) {
    if (!Array.isArray(row) || (dim !== null && row.length !== dim))
      fail(`inputs[${i}]`, `rows must have ${dim ?? "the same"} entries`);
    for (const v of row) if (!Number.isFinite(v)) fail(`inputs[${i}]`, `contains ${v}; expected finite numbers`);
  }
  return rows;
}

/**
 * Incremental PCA of layer inputs with EVA's stopping rule: top-k components of the
 * mean-centred inputs, recomputed after each batch, stopping when all k have |cos| ≥ τ
 * with their previous estimate.
 */
export function evaPca(inputs: Array<tf.Tensor2D | number[][]>, k: number, opts: { tau?: number } = {}): EvaPcaResult {
  assertKnownOptions("opts", opts, ["tau"]);
  if (!Array.isArray(inputs) || inputs.length === 0) fail("inputs", "must be a non-empty array of [batch, in] batches");
  if (!Number.isInteger(k) || k <= 0) fail("k", `must be a positive integer, got ${k}`);
  const tau = optNumber("opts.tau", opts.tau, 0.99, (t) => (t <= 0 || t > 1 ? `must lie in (0, 1], got ${t}` : null));
  const seen: number[][] = [];
  let dim: number | null = null;
  let prev: number[][] | null = null;
  let last: { comps: number[][]; S: number[]; ratio: number[] } | null = null;
  let used = 0;
  let converged = false;
  for (let b = 0; b < inputs.length; b++) {
    const rows = batchRows(inputs[b], b, dim);
    dim = rows[0].length;
    if (k > dim) fail("k", `is ${k}; it cannot exceed the input dimension ${dim}`);
    seen.push(...rows);
    used = b + 1;
    const n = seen.length;
    const mean = new Array<number>(dim).fill(0);
    for (const r of seen) for (let j = 0; j < dim; j++) mean[j] += r[j] / n;
    const centred = seen.map((r) => r.map((v, j) => v - mean[j]));
    const d = svd(centred); // right singular vectors = principal directions
    const total = d.S.reduce((s, v) => s + v * v, 0);
    const kk = Math.min(k, d.S.length);
    const comps = Array.from({ length: k }, (_, c) =>
      c < kk ? d.V.map((row) => row[c]) : new Array<number>(dim as number).fill(0),
    );
    const S = Array.from({ length: k }, (_, c) => (c < kk ? d.S[c] : 0));
    last = { comps, S, ratio: S.map((s) => (total > 0 ? (s * s) / total : 0)) };
    if (prev && kk === k) {
      const p: number[][] = prev;
      const cosOk = comps.every(
        (c: number[], j: number): boolean =>
          Math.abs(c.reduce((s: number, v: number, i: number): number => s + v * p[j][i], 0)) >= tau,
      );
      if (cosOk) {
        converged = true;
        break;
      }
    }
    prev = comps;
  }
  const res = last as { comps: number[][]; S: number[]; ratio: number[] };
  return {
    components: res.comps,
    singularValues: res.S,
    explainedVarianceRatio: res.ratio,
    batchesUsed: used,
    converged,
  };
}

export interface EvaAllocation {
  /** Rank per layer (may be 0: no adapter for that layer). */
  ranks: number[];
  /** α_l = α·r_l/r (keeps the scaling constant). */
  alphas: number[];
}

/**
 * EVA's rank redistribution: pool every layer's first ⌊ρ·r⌉ explained-variance ratios,
 * keep the globally largest Σ_l r = r·layers, count them per layer.
 */
export function evaRankAllocation(
  explainedVarianceRatios: number[][],
  opts: { r: number; rho?: number; alpha?: number },
): EvaAllocation {
  assertKnownOptions("opts", opts, ["r", "rho", "alpha"]);
  if (!Array.isArray(explainedVarianceRatios) || explainedVarianceRatios.length === 0)
    fail("explainedVarianceRatios", "must be a non-empty array (one array per layer)");
  const r = opts?.r;
  if (!Number.isInteger(r) || r <= 0) fail("opts.r", `must be a positive integer, got ${r}`);
  const rho = optNumber("opts.rho", opts.rho, 2, (v) => (v < 1 ? `must be ≥ 1, got ${v}` : null));
  const alpha = optNumber("opts.alpha", opts.alpha, r, (a) => (a <= 0 ? `must be positive, got ${a}` : null));
  const cap = Math.round(rho * r);
  const pool: Array<{ layer: number; v: number; j: number }> = [];
  explainedVarianceRatios.forEach((ratios, l) => {
    if (!Array.isArray(ratios)) fail(`explainedVarianceRatios[${l}]`, "must be an array of numbers");
    ratios.slice(0, cap).forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0)
        fail(`explainedVarianceRatios[${l}]`, `entry ${j} is ${v}; expected a finite number ≥ 0`);
      pool.push({ layer: l, v, j });
    });
  });
  // Stable order on ties: earlier layer, then earlier component.
  pool.sort((a, b) => b.v - a.v || a.layer - b.layer || a.j - b.j);
  const ranks = new Array<number>(explainedVarianceRatios.length).fill(0);
  for (const p of pool.slice(0, r * explainedVarianceRatios.length)) ranks[p.layer]++;
  const alphas = ranks.map((rl) => alpha * (rl / r));
  if (!alphas.every(Number.isFinite)) fail("opts.alpha", `${alpha} is too large: α · r_l / r overflows float64`);
  return { ranks, alphas };
}

export class EvaAdapter extends LoraAdapter {
  override readonly method: string = "eva";
  readonly tau: number;
  readonly whiten: boolean;
  /** The PCA used by the last init (null before init). */
  pca: EvaPcaResult | null = null;

  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: EvaConfig) {
    if (config == null || typeof config !== "object")
      fail("config", "must be an object {r, alpha?, tau?, whiten?, seed?}");
    assertKnownOptions("config", config, EVA_KEYS);
    if (base instanceof tf.Tensor && base.rank === 2) checkRank(config.r, base.shape[0], base.shape[1]);
    const alpha = optNumber("config.alpha", config.alpha, config.r, (a) =>
      a <= 0 ? `must be positive, got ${a}` : null,
    );
    super(base, { r: config.r, alpha, ...(config.seed !== undefined ? { seed: config.seed } : {}) });
    this.tau = optNumber("config.tau", config.tau, 0.99, (t) =>
      t <= 0 || t > 1 ? `must lie in (0, 1], got ${t}` : null,
    );
    if (config.whiten !== undefined && typeof config.whiten !== "boolean")
      fail("config.whiten", `must be a boolean, got ${String(config.whiten)}`);
    this.whiten = config.whiten ?? false;
  }

  /** EVA's A comes from data: refuse to run (or merge) before init()/initFromPca(). */
  private ensureReady(): void {
    if (!this.pca)
      fail("init", "eva needs init({inputs}) (this layer's calibration inputs) or initFromPca() before use");
  }

  override forward(x: tf.Tensor2D): tf.Tensor2D {
    this.ensureReady();
    return super.forward(x);
  }

  override merge(): void {
    this.ensureReady();
    super.merge();
  }

  /** Sets A from a PCA (its first r components); B stays 0. */
  initFromPca(pca: EvaPcaResult): void {
    if (!pca || !Array.isArray(pca.components) || pca.components.length < this.r)
      fail("pca", `needs at least ${this.r} components`);
    const comps = pca.components.slice(0, this.r);
    comps.forEach((c, j) => {
      if (c.length !== this.inDim) fail("pca", `component ${j} has length ${c.length}; expected ${this.inDim}`);
    });
    const a = Array.from({ length: this.inDim }, (_, i) =>
      comps.map((c, j) => (this.whiten ? c[i] / Math.sqrt(Math.max(pca.singularValues[j], 1e-12)) : c[i])),
    );
    tf.tidy(() => {
      this.A.assign(tf.tensor2d(a, [this.inDim, this.r]));
      this.B.assign(tf.zeros([this.r, this.outDim]));
    });
    this.pca = pca;
  }

  /** Incremental PCA of ctx.inputs (this layer's inputs), then A = top-r directions. */
  init(ctx: AdapterInitContext): void {
    if (!ctx || !Array.isArray(ctx.inputs) || ctx.inputs.length === 0)
      fail("ctx.inputs", "EVA needs calibration inputs of this layer ([batch, in] tensors)");
    ctx.inputs.forEach((x, b) => {
      if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== this.inDim)
        fail(
          "ctx.inputs",
          `entry ${b} must be a [batch, ${this.inDim}] tensor, got ${x instanceof tf.Tensor ? `[${x.shape}]` : typeof x}`,
        );
    });
    this.initFromPca(evaPca(ctx.inputs, this.r, { tau: this.tau }));
  }
}
