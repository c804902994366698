// Fixed random projections R^d → R^D for intrinsic-dimension training (Li et al. 2018;
// Aghajanyan et al. 2021): a dense Gaussian matrix with unit-norm columns, and the Fastfood
// transform P = c·S H G Π H B, which needs O(L) memory and O(L log L) time (L = the padded
// size 2^k ≥ max(d, D)) instead of O(dD). Both give the product P θ and its transpose Pᵀ g,
// which is the gradient of ⟨g, P θ⟩ with respect to θ.
import { Rng } from "../core/random";
import { fail } from "../core/validate";

/** Elements per cache-resident block of fwht's small-stride stages. */
const FWHT_BLOCK = 4096;

/** Smallest power of two ≥ n (n ≥ 1). */
export function nextPow2(n: number): number {
  if (!Number.isInteger(n) || n < 1) fail("n", `must be a positive integer, got ${String(n)}`);
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * In-place fast Walsh–Hadamard transform, unnormalised, Sylvester (natural) order:
 * x ← H x with H[i][j] = (−1)^popcount(i & j), so H·H = n·I. x.length must be a power of two.
 */
export function fwht(x: Float64Array | Float32Array): void {
  const n = x.length;
  if (n === 0 || (n & (n - 1)) !== 0) fail("x", `length must be a power of two, got ${n}`);
  // Small strides run block by block while the block sits in cache, then the large strides
  // over the whole vector; two stages per sweep (radix 4) halve the passes over memory.
  const block = Math.min(n, FWHT_BLOCK);
  for (let o = 0; o < n; o += block) stages(x, o, o + block, 1, block);
  stages(x, 0, n, block, n);
}

/** Butterfly stages with strides h = from, 2·from, … < to on x[lo, hi) (hi − lo a multiple of 2·to/2). */
function stages(x: Float64Array | Float32Array, lo: number, hi: number, from: number, to: number): void {
  let h = from;
  for (; 4 * h <= to; h *= 4) {
    const h2 = 2 * h;
    const h3 = 3 * h;
    for (let i = lo; i < hi; i += 4 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j];
        const b = x[j + h];
        const c = x[j + h2];
        const d = x[j + h3];
        const ab = a + b;
        const amb = a - b;
        const cd = c + d;
        const cmd = c - d;
        x[j] = ab + cd;
        x[j + h] = amb + cmd;
        x[j + h2] = ab - cd;
        x[j + h3] = amb - cmd;
      }
    }
  }
  if (2 * h <= to) {
    for (let i = lo; i < hi; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j];
        const b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

/** A linear map R^d → R^D with its transpose. */
export interface Projection {
  readonly d: number;
  readonly D: number;
  /** P θ for θ of length d (length D). */
  apply(theta: ArrayLike<number>): Float32Array;
  /** Pᵀ g for g of length D (length d). */
  applyT(g: ArrayLike<number>): Float32Array;
}

function checkDims(d: unknown, D: unknown): void {
  if (typeof d !== "number" || !Number.isInteger(d) || d < 1) fail("d", `must be a positive integer, got ${String(d)}`);
  if (typeof D !== "number" || !Number.isInteger(D) || D < 1) fail("D", `must be a positive integer, got ${String(D)}`);
}

function checkVector(arg: string, v: ArrayLike<number>, n: number): void {
  if (v == null || typeof v.length !== "number") fail(arg, "must be an array of numbers");
  if (v.length !== n) fail(arg, `must have length ${n}, got ${v.length}`);
}

/** The random factors of one Fastfood operator (all of length L = 2^k). */
export interface FastfoodFactors {
  /** ±1 diagonal B. */
  b: Float64Array;
  /** Permutation Π as an index array: (Π v)[i] = v[perm[i]]. */
  perm: Int32Array;
  /** Diagonal G (Gaussian in the method; any values for tests). */
  g: Float64Array;
}

/** Draws Fastfood's factors for padded size L from a seed: B uniform ±1, Π uniform, G ~ N(0, 1). */
export function fastfoodFactors(L: number, seedValue: number): FastfoodFactors {
  if (nextPow2(L) !== L) fail("L", `must be a power of two, got ${L}`);
  if (typeof seedValue !== "number" || !Number.isFinite(seedValue))
    fail("seed", `must be a finite number, got ${String(seedValue)}`);
  const rng = new Rng(seedValue);
  const b = new Float64Array(L);
  for (let i = 0; i < L; i++) b[i] = rng.next() < 0.5 ? -1 : 1;
  const perm = Int32Array.from(rng.permutation(L));
  const g = new Float64Array(L);
  for (let i = 0; i < L; i++) g[i] = rng.normal();
  return { b, perm, g };
}

/**
 * Fastfood projection (Le et al. 2013, as used for intrinsic dimension by Li et al. 2018 and
 * Aghajanyan et al. 2021): θ is zero-padded to L = 2^k ≥ max(d, D), then
 * P θ = c·[H G Π H B θ]_{0..D−1} with c = 1/√(D·Σ G²). Every row of H G Π H B has squared norm
 * L·Σ G², so each column of P has unit norm in expectation over which D of the L rows are
 * kept (exactly when D = L); with |G| constant the padded operator is orthogonal up to scale.
 */
export class FastfoodProjection implements Projection {
  readonly d: number;
  readonly D: number;
  /** Padded size 2^k ≥ max(d, D). */
  readonly L: number;
  /** The output scale c = 1/√(D·Σ G²). */
  readonly scale: number;
  private readonly f: FastfoodFactors;
  /** 2^⌈log2 d⌉: the size of the transform on θ's side. */
  private readonly m: number;
  private readonly buf: Float64Array;
  private readonly small: Float64Array;

  /** Factors drawn from `seed` (a number), or given explicitly (length nextPow2(max(d, D))). */
  constructor(d: number, D: number, seedOrFactors: number | FastfoodFactors) {
    checkDims(d, D);
    this.d = d;
    this.D = D;
    this.L = nextPow2(Math.max(d, D));
    if (typeof seedOrFactors === "number") this.f = fastfoodFactors(this.L, seedOrFactors);
    else {
      const f = seedOrFactors;
      if (f == null || typeof f !== "object") fail("factors", "must be {b, perm, g} or a seed number");
      for (const k of ["b", "perm", "g"] as const) {
        if (!f[k] || f[k].length !== this.L) fail(`factors.${k}`, `must have length ${this.L}`);
      }
      const seen = new Uint8Array(this.L);
      for (const p of f.perm) {
        if (!Number.isInteger(p) || p < 0 || p >= this.L || seen[p])
          fail("factors.perm", "must be a permutation of 0..L-1");
        seen[p] = 1;
      }
      this.f = f;
    }
    let g2 = 0;
    for (const v of this.f.g) g2 += v * v;
    if (!(g2 > 0) || !Number.isFinite(g2)) fail("factors.g", "must be finite and not all zero");
    this.scale = 1 / Math.sqrt(D * g2);
    this.m = nextPow2(d);
    this.buf = new Float64Array(this.L);
    this.small = new Float64Array(this.m);
  }

  get factors(): FastfoodFactors {
    return this.f;
  }

  apply(theta: ArrayLike<number>): Float32Array {
    checkVector("theta", theta, this.d);
    const { b, perm, g } = this.f;
    // B θ is zero beyond d, so H_L (B θ) is H_m (B θ)[0..m) tiled L/m times (m = 2^⌈log2 d⌉,
    // H_L = H_{L/m} ⊗ H_m): one small transform, then Π and G read the tile through perm & (m−1).
    const m = this.m;
    const u = this.small;
    u.fill(0);
    for (let i = 0; i < this.d; i++) u[i] = b[i] * theta[i];
    fwht(u);
    const w = this.buf;
    const mask = m - 1;
    for (let i = 0; i < this.L; i++) w[i] = g[i] * u[perm[i] & mask];
    fwht(w);
    const out = new Float32Array(this.D);
    for (let i = 0; i < this.D; i++) out[i] = this.scale * w[i];
    return out;
  }

  applyT(grad: ArrayLike<number>): Float32Array {
    checkVector("g", grad, this.D);
    const { b, perm, g } = this.f;
    // Transposes in reverse order (H and the diagonals are symmetric, Πᵀ scatters). Only the
    // first m entries of the last H_L are needed: they are H_m of the sum of v's L/m blocks.
    const w = this.buf;
    w.fill(0);
    for (let i = 0; i < this.D; i++) w[i] = this.scale * grad[i];
    fwht(w);
    const m = this.m;
    const acc = this.small;
    acc.fill(0);
    const mask = m - 1;
    for (let i = 0; i < this.L; i++) acc[perm[i] & mask] += g[i] * w[i];
    fwht(acc);
    const out = new Float32Array(this.d);
    for (let i = 0; i < this.d; i++) out[i] = b[i] * acc[i];
    return out;
  }
}

/** Largest d·D a dense projection may hold (float32, 256 MiB). */
export const DENSE_PROJECTION_MAX_ENTRIES = 2 ** 26;

/**
 * A dense Gaussian projection stored as d rows of length D (row j = column j of P, the
 * direction θ_j moves the weights in), each normalised to unit norm (Li et al. 2018).
 * Returns the row-major [d, D] values.
 */
export function gaussianProjectionRows(d: number, D: number, seedValue: number): Float32Array {
  checkDims(d, D);
  if (d * D > DENSE_PROJECTION_MAX_ENTRIES)
    fail(
      "d",
      `is ${d}; a dense projection to D = ${D} would hold ${d * D} entries (max ${DENSE_PROJECTION_MAX_ENTRIES}); use Fastfood`,
    );
  if (typeof seedValue !== "number" || !Number.isFinite(seedValue))
    fail("seed", `must be a finite number, got ${String(seedValue)}`);
  const rng = new Rng(seedValue);
  const out = new Float32Array(d * D);
  for (let j = 0; j < d; j++) {
    let s = 0;
    const row = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      row[i] = rng.normal();
      s += row[i] * row[i];
    }
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < D; i++) out[j * D + i] = row[i] * k;
  }
  return out;
}

/** Dense projection with unit-norm columns, products in float64 over the stored float32 matrix. */
export class DenseProjection implements Projection {
  readonly d: number;
  readonly D: number;
  /** Row-major [d, D]: row j is column j of P. */
  readonly rows: Float32Array;

  constructor(d: number, D: number, seedValue: number) {
    this.rows = gaussianProjectionRows(d, D, seedValue);
    this.d = d;
    this.D = D;
  }

  apply(theta: ArrayLike<number>): Float32Array {
    checkVector("theta", theta, this.d);
    const { d, D, rows } = this;
    const acc = new Float64Array(D);
    // Four rows per sweep over acc: a quarter of the passes over the output.
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const [t0, t1, t2, t3] = [theta[j], theta[j + 1], theta[j + 2], theta[j + 3]];
      const r0 = rows.subarray(j * D, (j + 1) * D);
      const r1 = rows.subarray((j + 1) * D, (j + 2) * D);
      const r2 = rows.subarray((j + 2) * D, (j + 3) * D);
      const r3 = rows.subarray((j + 3) * D, (j + 4) * D);
      for (let i = 0; i < D; i++) acc[i] += t0 * r0[i] + t1 * r1[i] + t2 * r2[i] + t3 * r3[i];
    }
    for (; j < d; j++) {
      const t = theta[j];
      const r = rows.subarray(j * D, (j + 1) * D);
      for (let i = 0; i < D; i++) acc[i] += t * r[i];
    }
    return Float32Array.from(acc);
  }

  applyT(g: ArrayLike<number>): Float32Array {
    checkVector("g", g, this.D);
    const { d, D, rows } = this;
    const gv = Float64Array.from(g);
    const out = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      const r = rows.subarray(j * D, (j + 1) * D);
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 2 <= D; i += 2) {
        s0 += r[i] * gv[i];
        s1 += r[i + 1] * gv[i + 1];
      }
      for (; i < D; i++) s0 += r[i] * gv[i];
      out[j] = s0 + s1;
    }
    return out;
  }
}
