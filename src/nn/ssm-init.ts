// Diagonal state-space initializations (S4D, Gu et al. 2022) and the float64 kernel pieces:
// zero-order-hold and bilinear discretisation, the Vandermonde kernel
// K_l = 2·Re Σ_n C_n B̄_n Ā_n^l, the unrolled recurrence it must equal, and a causal
// convolution. One value per conjugate pair is kept (as the official code does); the
// factor 2·Re accounts for the implicit conjugates.
import { randn } from "../core/random";
import { assertFinite, assertPositiveInt, fail } from "../core/validate";
import { checkCVector, CVector } from "../linalg/complex";
import { hippoLegSNormalEig } from "../linalg/hippo";

export type S4DInitKind = "lin" | "inv" | "legs" | "random";
export type Discretization = "zoh" | "bilinear";

function halfN(N: number): number {
  assertPositiveInt("N", N);
  if (N % 2 !== 0) fail("N", `must be even (one value per conjugate pair, N/2 pairs), got ${N}`);
  return N / 2;
}

/**
 * The diagonal of A for state size N as N/2 values, one per conjugate pair, real parts −½:
 * "lin" Im = πn; "inv" Im = (N/π)(N/(2n+1) − 1); "legs" the eigenvalues of HiPPO-LegS's
 * normal part (ascending in Im > 0); "random" Im = exp(𝒩(0, 1)) from the global seeded stream.
 */
export function s4dInit(N: number, kind: "lin" | "inv" | "legs" | "random"): { re: number[]; im: number[] } {
  const H = halfN(N);
  const re = new Array<number>(H).fill(-0.5);
  const n = Array.from({ length: H }, (_, i) => i);
  switch (kind) {
    case "lin":
      return { re, im: n.map((i) => Math.PI * i) };
    case "inv":
      return { re, im: n.map((i) => (N / Math.PI) * (N / (2 * i + 1) - 1)) };
    case "legs": {
      const w = hippoLegSNormalEig(N).values;
      // The upper half of the ±ω spectrum: one eigenvalue per conjugate pair.
      return { re: w.re.slice(H), im: w.im.slice(H) };
    }
    case "random":
      return { re, im: n.map(() => Math.exp(randn())) };
    default:
      return fail("kind", `unknown init "${String(kind)}" (known: lin, inv, legs, random)`);
  }
}

/** S4D-Real, the paper's ablation: A_n = −(n + 1), no imaginary part (N/2 values). */
export function s4dRealInit(N: number): { re: number[]; im: number[] } {
  const H = halfN(N);
  return { re: Array.from({ length: H }, (_, i) => -(i + 1)), im: new Array<number>(H).fill(0) };
}

/** Discretised diagonal system: Ā and the factor b with B̄ = b·B. */
export interface DiscreteDiag {
  Abar: CVector;
  Bfac: CVector;
}

/** ZOH: Ā = e^{ΔA}, B̄ = (e^{ΔA} − 1)/A·B. Bilinear: Ā = (1 + ΔA/2)/(1 − ΔA/2), B̄ = Δ/(1 − ΔA/2)·B. */
export function discretizeDiag(A: CVector, dt: number, method: Discretization): DiscreteDiag {
  checkCVector("A", A);
  if (!(dt > 0) || !Number.isFinite(dt)) fail("dt", `must be a positive number, got ${dt}`);
  const n = A.re.length;
  const Abar: CVector = { re: [], im: [] };
  const Bfac: CVector = { re: [], im: [] };
  for (let j = 0; j < n; j++) {
    const ar = A.re[j] * dt;
    const ai = A.im[j] * dt;
    if (method === "zoh") {
      const m = Math.exp(ar);
      const er = m * Math.cos(ai);
      const ei = m * Math.sin(ai);
      Abar.re.push(er);
      Abar.im.push(ei);
      // (e^{ΔA} − 1)/A; A = 0 would need the limit Δ, which no init here produces.
      const d = A.re[j] ** 2 + A.im[j] ** 2;
      if (d === 0) fail("A", `entry ${j} is 0; ZOH needs A ≠ 0`);
      Bfac.re.push(((er - 1) * A.re[j] + ei * A.im[j]) / d);
      Bfac.im.push((ei * A.re[j] - (er - 1) * A.im[j]) / d);
    } else if (method === "bilinear") {
      const nr = 1 + ar / 2;
      const ni = ai / 2;
      const dr = 1 - ar / 2;
      const di = -ai / 2;
      const d = dr * dr + di * di;
      Abar.re.push((nr * dr + ni * di) / d);
      Abar.im.push((ni * dr - nr * di) / d);
      Bfac.re.push((dt * dr) / d);
      Bfac.im.push((-dt * di) / d);
    } else fail("method", `unknown discretisation "${String(method)}" (known: zoh, bilinear)`);
  }
  return { Abar, Bfac };
}

export interface KernelSpec {
  /** Diagonal of A, one value per conjugate pair. */
  A: CVector;
  B: CVector;
  C: CVector;
  dt: number;
  L: number;
  method: Discretization;
}

function checkSpec(s: KernelSpec): number {
  checkCVector("spec.A", s.A);
  const n = s.A.re.length;
  checkCVector("spec.B", s.B, n);
  checkCVector("spec.C", s.C, n);
  assertPositiveInt("spec.L", s.L);
  return n;
}

/**
 * The convolution kernel K_l = 2·Re Σ_n C_n B̄_n Ā_n^l (l < L), with Ā_n^l = exp(l·log Ā_n)
 * (the Vandermonde matrix; for ZOH, exp(l·ΔA_n)).
 */
export function vandermondeKernel(spec: KernelSpec): number[] {
  const n = checkSpec(spec);
  const { Abar, Bfac } = discretizeDiag(spec.A, spec.dt, spec.method);
  const K = new Array<number>(spec.L).fill(0);
  for (let j = 0; j < n; j++) {
    const br = Bfac.re[j] * spec.B.re[j] - Bfac.im[j] * spec.B.im[j];
    const bi = Bfac.re[j] * spec.B.im[j] + Bfac.im[j] * spec.B.re[j];
    const wr = spec.C.re[j] * br - spec.C.im[j] * bi;
    const wi = spec.C.re[j] * bi + spec.C.im[j] * br;
    const logMag = spec.method === "zoh" ? spec.A.re[j] * spec.dt : Math.log(Math.hypot(Abar.re[j], Abar.im[j]));
    const arg = spec.method === "zoh" ? spec.A.im[j] * spec.dt : Math.atan2(Abar.im[j], Abar.re[j]);
    for (let l = 0; l < spec.L; l++) {
      const m = Math.exp(l * logMag);
      K[l] += 2 * m * (wr * Math.cos(l * arg) - wi * Math.sin(l * arg));
    }
  }
  return K;
}

/**
 * Runs the discretised recurrence x_k = Ā x_{k−1} + B̄ u_k, y_k = 2·Re(C x_k) (x_{−1} = 0)
 * on a real input, one conjugate-pair state per entry: the reference the kernel must match.
 */
export function runRecurrence(spec: Omit<KernelSpec, "L">, u: number[]): number[] {
  const n = checkSpec({ ...spec, L: 1 });
  assertFinite("u", u);
  const { Abar, Bfac } = discretizeDiag(spec.A, spec.dt, spec.method);
  const xr = new Array<number>(n).fill(0);
  const xi = new Array<number>(n).fill(0);
  return u.map((uk) => {
    let y = 0;
    for (let j = 0; j < n; j++) {
      const br = Bfac.re[j] * spec.B.re[j] - Bfac.im[j] * spec.B.im[j];
      const bi = Bfac.re[j] * spec.B.im[j] + Bfac.im[j] * spec.B.re[j];
      const r = Abar.re[j] * xr[j] - Abar.im[j] * xi[j] + br * uk;
      const i = Abar.re[j] * xi[j] + Abar.im[j] * xr[j] + bi * uk;
      xr[j] = r;
      xi[j] = i;
      y += 2 * (spec.C.re[j] * r - spec.C.im[j] * i);
    }
    return y;
  });
}

/** Causal convolution y_k = Σ_{j ≤ k} K_{k−j} u_j (direct, O(L²)). */
export function causalConv(u: number[], K: number[]): number[] {
  assertFinite("u", u);
  assertFinite("K", K);
  return u.map((_, k) => {
    let s = 0;
    for (let j = Math.max(0, k - K.length + 1); j <= k; j++) s += K[k - j] * u[j];
    return s;
  });
}
