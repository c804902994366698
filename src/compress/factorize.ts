// Truncated-SVD factor pairs (PELA, LoRC, WeLore's LRCs): W ≈ A·B with A = U_r√Σ_r (m × r) and
// B = √Σ_r V_rᵀ (r × n), the square root split evenly so both factors have the same scale.
import { fail } from "../core/validate";
import { svd } from "../linalg/decompose";

export interface FactorPair {
  A: number[][];
  B: number[][];
}

/** Rank-r factor pair of W (m × n) from its SVD. */
export function svdFactors(W: number[][], r: number): FactorPair {
  if (!Array.isArray(W) || W.length === 0 || !Array.isArray(W[0]) || W[0].length === 0)
    fail("W", "must be a non-empty matrix");
  const k = Math.min(W.length, W[0].length);
  if (!Number.isInteger(r) || r < 1 || r > k) fail("r", `must be an integer in [1, ${k}], got ${r}`);
  const { U, S, V } = svd(W);
  const A = U.map((row) => row.slice(0, r).map((u, c) => u * Math.sqrt(S[c])));
  const B = Array.from({ length: r }, (_, c) => V.map((row) => row[c] * Math.sqrt(S[c])));
  return { A, B };
}

/** PELA's rank for an m × n layer at compression ratio c: ⌊mn / (c(m + n))⌋ (at least 1). */
export function pelaRank(m: number, n: number, c: number): number {
  if (!(m > 0 && n > 0)) fail("m, n", `must be positive, got ${m}, ${n}`);
  if (!(c > 0)) fail("c", `must be positive, got ${c}`);
  return Math.max(1, Math.min(m, n, Math.floor((m * n) / (c * (m + n)))));
}
