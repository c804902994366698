// HiPPO-LegS in float64 (Gu et al. 2020; S4, S4D, PTD): the state matrix, its input vector,
// the rank-1 correction whose removal leaves a normal matrix, the unitary eigendecomposition
// of that normal part (what S4D-LegS keeps), perturb-then-diagonalize (Yu et al. 2024) and
// transfer functions G(iω) = C (iωI − A)⁻¹ B of dense and diagonal systems.
import { assertFinite, assertPositiveInt, fail } from "../core/validate";
import { eigh } from "./decompose";
import { checkCVector, CMatrix, complexConditionNumber, complexSolve, CVector, eigReal } from "./complex";

/** HiPPO-LegS A (N×N): A[n][k] = −√(2n+1)√(2k+1) for n > k, −(n+1) for n = k, 0 above the diagonal. */
export function hippoLegS(N: number): number[][] {
  assertPositiveInt("N", N);
  return Array.from({ length: N }, (_, n) =>
    Array.from({ length: N }, (_, k) =>
      n > k ? -Math.sqrt(2 * n + 1) * Math.sqrt(2 * k + 1) : n === k ? -(n + 1) : 0,
    ),
  );
}

/** HiPPO-LegS input vector B_n = √(2n+1). */
export function hippoLegSB(N: number): number[] {
  assertPositiveInt("N", N);
  return Array.from({ length: N }, (_, n) => Math.sqrt(2 * n + 1));
}

/** The low-rank term P_n = √(n + ½): A + PPᵀ is normal (−½I plus a skew-symmetric matrix). */
export function hippoLegSP(N: number): number[] {
  assertPositiveInt("N", N);
  return Array.from({ length: N }, (_, n) => Math.sqrt(n + 0.5));
}

/** The normal part A_N = A + PPᵀ of HiPPO-LegS (the matrix S4D-LegS diagonalizes). */
export function hippoLegSNormal(N: number): number[][] {
  const A = hippoLegS(N);
  const P = hippoLegSP(N);
  return A.map((row, n) => row.map((v, k) => v + P[n] * P[k]));
}

/**
 * Unitary eigendecomposition of the normal part A_N = −½I + S (S skew-symmetric): the
 * Hermitian iS is diagonalized through its real symmetric embedding [[0, −S], [S, 0]], whose
 * eigenvalues are those of iS, each twice. Eigenvalues are −½ + iω; values ascend in ω.
 */
export function hippoLegSNormalEig(N: number): { values: CVector; vectors: CMatrix } {
  const An = hippoLegSNormal(N);
  const S = An.map((row, n) => row.map((v, k) => (n === k ? 0 : v)));
  const big = Array.from({ length: 2 * N }, (_, i) =>
    Array.from({ length: 2 * N }, (_, j) => {
      const top = i < N;
      const left = j < N;
      if (top === left) return 0;
      return top ? -S[i][j - N] : S[i - N][j];
    }),
  );
  const e = eigh(big);
  const re: number[] = [];
  const im: number[] = [];
  const vr = Array.from({ length: N }, () => [] as number[]);
  const vi = Array.from({ length: N }, () => [] as number[]);
  for (let t = 0; t < 2 * N; t += 2) {
    // (u, v) with [[0, −S], [S, 0]](u, v) = μ(u, v) gives iS(u + iv) = μ(u + iv), so A_N(u + iv) = (−½ − iμ)(u + iv).
    const mu = e.values[t];
    re.push(-0.5);
    im.push(-mu);
    let s = 0;
    for (let i = 0; i < 2 * N; i++) s += e.vectors[i][t] ** 2;
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < N; i++) {
      vr[i].push(e.vectors[i][t] * k);
      vi[i].push(e.vectors[i + N][t] * k);
    }
  }
  // Ascending in ω = −μ: reverse the order.
  const order = im.map((_, j) => j).sort((a, b) => im[a] - im[b]);
  return {
    values: { re: order.map((j) => re[j]), im: order.map((j) => im[j]) },
    vectors: { re: vr.map((r) => order.map((j) => r[j])), im: vi.map((r) => order.map((j) => r[j])) },
  };
}

function checkOmegas(omegas: number[]): void {
  if (!Array.isArray(omegas) || omegas.length === 0) fail("omegas", "must be a non-empty array of frequencies");
  assertFinite("omegas", omegas);
}

/** G(iω) = C (iωI − A)⁻¹ B for a real dense system, by a pivoted complex solve per frequency. */
export function transferDense(A: number[][], B: number[], C: number[], omegas: number[]): CVector {
  if (!Array.isArray(A) || A.length === 0) fail("A", "must be a non-empty square matrix");
  const n = A.length;
  assertFinite("B", B);
  assertFinite("C", C);
  if (B.length !== n) fail("B", `has length ${B.length}; A is ${n}×${n}`);
  if (C.length !== n) fail("C", `has length ${C.length}; A is ${n}×${n}`);
  checkOmegas(omegas);
  const re: number[] = [];
  const im: number[] = [];
  const zero = new Array<number>(n).fill(0);
  // HiPPO-LegS is lower triangular: forward substitution is O(n²) per frequency instead of O(n³).
  const lower = A.every((row, i) => row.every((v, j) => j <= i || v === 0));
  if (lower) {
    const xr = new Float64Array(n);
    const xi = new Float64Array(n);
    for (const w of omegas) {
      let gr = 0;
      let gi = 0;
      for (let i = 0; i < n; i++) {
        // row i of (iωI − A): −A[i][j] for j < i, iω − A[i][i] on the diagonal
        let sr = B[i];
        let si = 0;
        const row = A[i];
        for (let j = 0; j < i; j++) {
          sr += row[j] * xr[j];
          si += row[j] * xi[j];
        }
        const dr = -row[i];
        const d = dr * dr + w * w;
        if (!(d > 0)) fail("A", `iωI − A is singular at ω = ${w}`);
        xr[i] = (sr * dr + si * w) / d;
        xi[i] = (si * dr - sr * w) / d;
        gr += C[i] * xr[i];
        gi += C[i] * xi[i];
      }
      re.push(gr);
      im.push(gi);
    }
    return { re, im };
  }
  for (const w of omegas) {
    const M: CMatrix = {
      re: A.map((row) => row.map((v) => -v)),
      im: A.map((_, i) => zero.map((_, j) => (i === j ? w : 0))),
    };
    const x = complexSolve(M, { re: B, im: zero });
    let gr = 0;
    let gi = 0;
    for (let i = 0; i < n; i++) {
      gr += C[i] * x.re[i];
      gi += C[i] * x.im[i];
    }
    re.push(gr);
    im.push(gi);
  }
  return { re, im };
}

/** G(iω) = Σ_n C_n B_n / (iω − λ_n) for a diagonal system with complex λ, B, C. */
export function transferDiag(lambda: CVector, B: CVector, C: CVector, omegas: number[]): CVector {
  checkCVector("lambda", lambda);
  const n = lambda.re.length;
  checkCVector("B", B, n);
  checkCVector("C", C, n);
  checkOmegas(omegas);
  const cbr = lambda.re.map((_, j) => C.re[j] * B.re[j] - C.im[j] * B.im[j]);
  const cbi = lambda.re.map((_, j) => C.re[j] * B.im[j] + C.im[j] * B.re[j]);
  const re: number[] = [];
  const im: number[] = [];
  for (const w of omegas) {
    let gr = 0;
    let gi = 0;
    for (let j = 0; j < n; j++) {
      // 1 / (−λr + i(ω − λi))
      const dr = -lambda.re[j];
      const di = w - lambda.im[j];
      const d = dr * dr + di * di;
      gr += (cbr[j] * dr + cbi[j] * di) / d;
      gi += (cbi[j] * dr - cbr[j] * di) / d;
    }
    re.push(gr);
    im.push(gi);
  }
  return { re, im };
}

export interface DiagonalizedSystem {
  /** Eigenvalues λ̃ of the (perturbed) matrix. */
  lambda: CVector;
  /** Ṽ⁻¹B. */
  B: CVector;
  /** CṼ. */
  C: CVector;
  /** Eigenvector condition number κ(Ṽ) with unit-norm columns. */
  kappa: number;
}

/**
 * Perturb-then-diagonalize: eigendecompose A + E (float64) and return the diagonal system
 * (λ̃, Ṽ⁻¹B, CṼ) with κ(Ṽ). E = null diagonalizes A itself (ill-posed for HiPPO: κ explodes).
 */
export function perturbThenDiagonalize(
  A: number[][],
  E: number[][] | null,
  B: number[],
  C: number[],
): DiagonalizedSystem {
  if (!Array.isArray(A) || A.length === 0) fail("A", "must be a non-empty square matrix");
  const n = A.length;
  if (E !== null && (!Array.isArray(E) || E.length !== n)) fail("E", `must be ${n}×${n} like A, or null`);
  assertFinite("B", B);
  assertFinite("C", C);
  if (B.length !== n || C.length !== n) fail("B", `B and C must have length ${n}`);
  const M = E ? A.map((row, i) => row.map((v, j) => v + E[i][j])) : A;
  const { values, vectors } = eigReal(M);
  const Bt = complexSolve(vectors, { re: B, im: new Array<number>(n).fill(0) });
  const Ct: CVector = {
    re: values.re.map((_, j) => C.reduce((s, c, i) => s + c * vectors.re[i][j], 0)),
    im: values.re.map((_, j) => C.reduce((s, c, i) => s + c * vectors.im[i][j], 0)),
  };
  return { lambda: values, B: Bt, C: Ct, kappa: complexConditionNumber(vectors) };
}

/** sup_ω |G₁ − G₂| / sup_ω |G₂| over a frequency grid. */
export function relativeSupError(g: CVector, ref: CVector): number {
  checkCVector("g", g);
  checkCVector("ref", ref, g.re.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < g.re.length; i++) {
    num = Math.max(num, Math.hypot(g.re[i] - ref.re[i], g.im[i] - ref.im[i]));
    den = Math.max(den, Math.hypot(ref.re[i], ref.im[i]));
  }
  if (!(den > 0)) fail("ref", "is zero at every frequency");
  return num / den;
}
