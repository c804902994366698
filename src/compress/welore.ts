// WeLore (Jaiswal et al., ICML 2025): one global threshold τ on min–max normalised singular
// values decides how many ranks each matrix loses; τ is found by bisection to hit a target
// reduction. Matrices that lose more than `minRatio` of their rank become low-rank components
// (LRC, stored as two factors); the rest stay dense (N-LRC).
import { fail } from "../core/validate";
import { svd } from "../linalg/decompose";

/** ŝ = (s − min) / (max − min); all zeros when the spectrum is flat. */
export function normalizedSpectrum(s: ArrayLike<number>): number[] {
  if (s == null || s.length === 0) fail("s", "must be a non-empty list of singular values");
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i]) || s[i] < 0) fail("s", `value ${i} is ${s[i]}; singular values are finite and ≥ 0`);
    lo = Math.min(lo, s[i]);
    hi = Math.max(hi, s[i]);
  }
  return Array.from(s, (v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

/** Ranks pruned at threshold τ: #{ŝ < τ}. */
export function ranksPruned(s: ArrayLike<number>, tau: number): number {
  return normalizedSpectrum(s).filter((v) => v < tau).length;
}

export interface WeloreLayer {
  /** Singular values of the matrix (any order). */
  spectrum: number[];
  /** Matrix shape [rows, cols]; a rank costs rows + cols numbers as a factor pair. */
  shape: [number, number];
}

export interface WeloreOptions {
  /** Fraction of the factored parameters Σ rank·(rows+cols) to remove, in (0, 1). */
  target: number;
  /** A matrix is an LRC when pruned/rank > minRatio (default 0, as in the paper's code). */
  minRatio?: number;
  /** Bisection stops when the bracket is narrower than this (default 1e-9). */
  tol?: number;
}

export interface WeloreLayerPlan {
  rank: number;
  pruned: number;
  keep: number;
  lrc: boolean;
}

export interface WelorePlan {
  tau: number;
  /** Reduction achieved at τ (≥ target whenever reachable). */
  reduction: number;
  layers: WeloreLayerPlan[];
}

/** Reduction Σ pruned_l (m_l+n_l) / Σ rank_l (m_l+n_l) at threshold τ. */
export function reductionAt(layers: WeloreLayer[], tau: number): number {
  let cut = 0;
  let all = 0;
  for (const l of layers) {
    const w = l.shape[0] + l.shape[1];
    cut += ranksPruned(l.spectrum, tau) * w;
    all += l.spectrum.length * w;
  }
  return cut / all;
}

/**
 * The smallest τ (within tol) whose reduction reaches `target`, by bisection on [0, 1 + tol]:
 * the reduction is a non-decreasing step function of τ, so the bracket [lo, hi] keeps
 * reduction(lo) < target ≤ reduction(hi).
 */
export function weloreThreshold(layers: WeloreLayer[], opts: WeloreOptions): WelorePlan {
  if (!Array.isArray(layers) || layers.length === 0) fail("layers", "must be a non-empty array");
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  for (const k of Object.keys(opts))
    if (!["target", "minRatio", "tol"].includes(k))
      fail("opts", `unknown option "${k}" (known: target, minRatio, tol)`);
  layers.forEach((l, i) => {
    if (!Array.isArray(l.shape) || l.shape.length !== 2 || !(l.shape[0] > 0) || !(l.shape[1] > 0))
      fail(`layers[${i}].shape`, "must be [rows, cols] with positive sizes");
    if (l.spectrum.length > Math.min(l.shape[0], l.shape[1]))
      fail(
        `layers[${i}].spectrum`,
        `has ${l.spectrum.length} values; a ${l.shape} matrix has at most ${Math.min(...l.shape)}`,
      );
    normalizedSpectrum(l.spectrum);
  });
  const { target } = opts;
  if (!(target > 0 && target < 1)) fail("opts.target", `must be in (0, 1), got ${target}`);
  const minRatio = opts.minRatio ?? 0;
  const tol = opts.tol ?? 1e-9;
  let lo = 0;
  let hi = 1 + tol; // at τ > 1 every rank but the largest can go
  if (reductionAt(layers, hi) < target)
    fail("opts.target", `${target} is not reachable (max ${reductionAt(layers, hi)})`);
  while (hi - lo > tol) {
    const mid = (lo + hi) / 2;
    if (reductionAt(layers, mid) >= target) hi = mid;
    else lo = mid;
  }
  const plan = layers.map((l) => {
    const pruned = ranksPruned(l.spectrum, hi);
    const rank = l.spectrum.length;
    return { rank, pruned, keep: rank - pruned, lrc: pruned / rank > minRatio };
  });
  return { tau: hi, reduction: reductionAt(layers, hi), layers: plan };
}

/** Best rank-k approximation of W (truncated SVD), as a dense matrix. */
export function truncateRank(W: number[][], k: number): number[][] {
  if (!Array.isArray(W) || W.length === 0 || !Array.isArray(W[0])) fail("W", "must be a non-empty matrix");
  const r = Math.min(W.length, W[0].length);
  if (!Number.isInteger(k) || k < 0 || k > r) fail("k", `must be an integer in [0, ${r}], got ${k}`);
  const { U, S, V } = svd(W);
  return W.map((_, i) =>
    W[0].map((__, j) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += U[i][c] * S[c] * V[j][c];
      return s;
    }),
  );
}

/**
 * Per-layer keep ranks for a uniform cut that spends (as nearly as integers allow, never more)
 * the same factored budget Σ keep_l (m_l+n_l) as a given plan: the largest common keep
 * fraction q (bisected) with Σ ⌊q·rank_l⌋ (m_l+n_l) ≤ budget, then one extra rank for the
 * layers rounded down furthest while the budget allows.
 */
export function uniformKeeps(layers: WeloreLayer[], budget: number): number[] {
  if (!Array.isArray(layers) || layers.length === 0) fail("layers", "must be a non-empty array");
  if (!(budget >= 0)) fail("budget", `must be ≥ 0, got ${budget}`);
  const w = layers.map((l) => l.shape[0] + l.shape[1]);
  const rank = layers.map((l) => l.spectrum.length);
  const cost = (q: number) => layers.reduce((a, _, i) => a + Math.floor(q * rank[i]) * w[i], 0);
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (cost(mid) <= budget) lo = mid;
    else hi = mid;
  }
  const keeps = rank.map((r) => Math.floor(lo * r));
  // Spend what rounding left over, one rank at a time, to the layers furthest below q·rank.
  let left = budget - keeps.reduce((a, k, i) => a + k * w[i], 0);
  const order = rank.map((r, i) => i).sort((a, b) => lo * rank[b] - keeps[b] - (lo * rank[a] - keeps[a]));
  for (const i of order)
    if (keeps[i] < rank[i] && w[i] <= left) {
      keeps[i]++;
      left -= w[i];
    }
  return keeps;
}
