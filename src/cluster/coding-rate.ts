// Coding rates in float64 (Ma et al.'s lossy coding; Yu et al. 2020's MCR²): the rate of a set of
// n feature rows, the rate after compressing each (soft) cluster on its own, their difference,
// and Sinkhorn's doubly stochastic membership. Logs are natural (nats).
import { assertKnownOptions, fail } from "../core/validate";

function checkMatrix(Z: number[][], arg: string): { n: number; d: number } {
  if (!Array.isArray(Z) || Z.length === 0) fail(arg, "must be a non-empty array of rows");
  const d = Z[0]?.length;
  if (!Number.isInteger(d) || d < 1) fail(`${arg}[0]`, "must be a non-empty array of numbers");
  Z.forEach((r, i) => {
    if (r == null || r.length !== d) fail(`${arg}[${i}]`, `has ${r?.length} entries; expected ${d} like row 0`);
    for (let j = 0; j < d; j++)
      if (typeof r[j] !== "number" || !Number.isFinite(r[j]))
        fail(`${arg}[${i}][${j}]`, `is ${String(r[j])}; expected a finite number`);
  });
  return { n: Z.length, d };
}

function checkEps(eps: number): void {
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps))
    fail("eps", `must be a finite number > 0, got ${String(eps)}`);
}

/** log det of a symmetric positive definite matrix by Cholesky (throws when not positive definite). */
export function logdetSPD(A: number[][], arg = "A"): number {
  const n = A.length;
  const L = A.map((r) => r.slice());
  let s = 0;
  for (let j = 0; j < n; j++) {
    let v = L[j][j];
    for (let t = 0; t < j; t++) v -= L[j][t] * L[j][t];
    if (!(v > 0)) fail(arg, `is not positive definite (pivot ${j} is ${v})`);
    const ljj = Math.sqrt(v);
    L[j][j] = ljj;
    s += Math.log(ljj);
    for (let i = j + 1; i < n; i++) {
      let w = L[i][j];
      for (let t = 0; t < j; t++) w -= L[i][t] * L[j][t];
      L[i][j] = w / ljj;
    }
  }
  return 2 * s;
}

/** I + c · Σ_i w_i z_i z_iᵀ (d×d), or its n×n twin I + c · W^½ Z Zᵀ W^½ when n < d (same log det). */
function weightedGram(Z: number[][], w: number[] | null, c: number): number[][] {
  const n = Z.length;
  const d = Z[0].length;
  if (n < d) {
    const G = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += Z[i][t] * Z[j][t];
        const v = c * s * Math.sqrt((w ? w[i] : 1) * (w ? w[j] : 1));
        G[i][j] = G[j][i] = v + (i === j ? 1 : 0);
      }
    return G;
  }
  const G = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => (a === b ? 1 : 0)));
  for (let i = 0; i < n; i++) {
    const wi = c * (w ? w[i] : 1);
    if (wi === 0) continue;
    const z = Z[i];
    for (let a = 0; a < d; a++) {
      const za = wi * z[a];
      for (let b = a; b < d; b++) G[a][b] += za * z[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) G[a][b] = G[b][a];
  return G;
}

/**
 * Coding rate of the n×d rows of Z: R = ½ log det(I + d/(n ε²) · ZᵀZ), in nats (the number of
 * nats needed to code the rows up to distortion ε², Ma et al. 2007).
 */
export function codingRate(Z: number[][], eps: number): number {
  const { n, d } = checkMatrix(Z, "Z");
  checkEps(eps);
  return 0.5 * logdetSPD(weightedGram(Z, null, d / (n * eps * eps)), "I + d/(nε²)·ZᵀZ");
}

/**
 * Rate after coding each soft cluster on its own: R_c = Σ_j tr(Π_j)/(2n) · log det(I + d/(tr(Π_j) ε²) · Zᵀ Π_j Z),
 * with Π_j = diag(membership[:, j]) (n×k memberships ≥ 0; hard labels are one-hot rows). A
 * doubly stochastic n×n Γ (columns summing to 1) gives MLC's (1/2n) Σ_j log det(I + d/ε² · Zᵀ diag(Γ_j) Z).
 */
export function compressedCodingRate(Z: number[][], membership: number[][], eps: number): number {
  const { n, d } = checkMatrix(Z, "Z");
  checkEps(eps);
  const k = checkMatrix(membership, "membership").d;
  if (membership.length !== n) fail("membership", `has ${membership.length} rows; expected one per row of Z (${n})`);
  membership.forEach((r, i) => r.forEach((v, j) => v < 0 && fail(`membership[${i}][${j}]`, `is ${v}; must be ≥ 0`)));
  let rc = 0;
  for (let j = 0; j < k; j++) {
    const w = membership.map((r) => r[j]);
    const tr = w.reduce((a, b) => a + b, 0);
    if (tr <= 0) continue;
    rc += (tr / (2 * n)) * logdetSPD(weightedGram(Z, w, d / (tr * eps * eps)), `cluster ${j}'s matrix`);
  }
  return rc;
}

/** MCR² rate reduction ΔR = R(Z) − R_c(Z, Π): large when clusters are each compact and jointly spread out. */
export function rateReduction(Z: number[][], membership: number[][], eps: number): number {
  return codingRate(Z, eps) - compressedCodingRate(Z, membership, eps);
}

export interface SinkhornOptions {
  /** Iterations (one row and one column normalisation each; default 20). */
  iters?: number;
}

/**
 * Sinkhorn–Knopp in log space: the n×n matrix exp(logits) scaled to unit row and column sums
 * (doubly stochastic). Symmetric logits give a symmetric limit.
 */
export function sinkhorn(logits: number[][], opts: SinkhornOptions = {}): number[][] {
  assertKnownOptions("opts", opts, ["iters"]);
  const { n, d } = checkMatrix(logits, "logits");
  if (n !== d) fail("logits", `must be square, got ${n}×${d}`);
  const iters = opts.iters ?? 20;
  if (!Number.isInteger(iters) || iters < 1) fail("opts.iters", `must be a positive integer, got ${iters}`);
  const L = logits.map((r) => r.slice());
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  for (let it = 0; it < iters; it++) {
    for (let i = 0; i < n; i++) {
      const s = lse(L[i]);
      for (let j = 0; j < n; j++) L[i][j] -= s;
    }
    for (let j = 0; j < n; j++) {
      const s = lse(L.map((r) => r[j]));
      for (let i = 0; i < n; i++) L[i][j] -= s;
    }
  }
  return L.map((r) => r.map(Math.exp));
}
