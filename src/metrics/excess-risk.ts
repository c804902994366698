// Exact excess risk of linear predictors under a Gaussian factor model
//   x = Bz + e,  z ~ N(0, I_r),  e ~ N(0, σ² I_d),  y = βᵀz + ξ,
// where the Bayes predictor is E[y | x] = βᵀE[z | x] = w*ᵀx with w* = (BBᵀ + σ²I)⁻¹Bβ, and any
// linear predictor w has excess risk E[(wᵀx − w*ᵀx)²] = (w − w*)ᵀ Σ (w − w*), Σ = BBᵀ + σ²I.
import { assertFinite, fail } from "../core/validate";
import { eigh } from "../linalg/decompose";

function checkMatrix(arg: string, M: number[][]): { rows: number; cols: number } {
  if (!Array.isArray(M) || M.length === 0) fail(arg, "must be a non-empty matrix (array of rows)");
  const cols = M[0]?.length;
  if (!(cols > 0)) fail(`${arg}[0]`, "must be a non-empty row");
  M.forEach((row, i) => {
    if (!row || row.length !== cols) fail(`${arg}[${i}]`, `must have ${cols} entries`);
    assertFinite(`${arg}[${i}]`, row);
  });
  return { rows: M.length, cols };
}

/** Σ = BBᵀ + σ²I, the covariance of x. */
export function factorCovariance(B: number[][], noiseVar = 1): number[][] {
  checkMatrix("B", B);
  if (!(noiseVar > 0)) fail("noiseVar", `must be > 0, got ${noiseVar}`);
  return B.map((bi, i) => B.map((bj, j) => bi.reduce((s, v, k) => s + v * bj[k], 0) + (i === j ? noiseVar : 0)));
}

/** w* = (BBᵀ + σ²I)⁻¹ B β: the Bayes predictor's weights on x. */
export function factorBayesWeights(B: number[][], beta: number[], noiseVar = 1): number[] {
  const { rows: d, cols: r } = checkMatrix("B", B);
  assertFinite("beta", beta);
  if (beta.length !== r) fail("beta", `has ${beta.length} entries; B has ${r} factors`);
  const Sigma = factorCovariance(B, noiseVar);
  const Bb = B.map((row) => row.reduce((s, v, k) => s + v * beta[k], 0));
  const { values, vectors } = eigh(Sigma);
  // Σ⁻¹ Bβ through the eigenbasis (Σ is positive definite: every eigenvalue ≥ σ²).
  const coef = values.map((w, j) => Bb.reduce((s, v, i) => s + v * vectors[i][j], 0) / w);
  return Array.from({ length: d }, (_, i) => coef.reduce((s, c, j) => s + c * vectors[i][j], 0));
}

/** (w − w*)ᵀ Σ (w − w*). */
export function linearExcessRisk(w: number[], wStar: number[], Sigma: number[][]): number {
  const { rows: d, cols } = checkMatrix("Sigma", Sigma);
  if (cols !== d) fail("Sigma", `must be square, got ${d}×${cols}`);
  assertFinite("w", w);
  assertFinite("wStar", wStar);
  if (w.length !== d) fail("w", `has ${w.length} entries; Sigma is ${d}×${d}`);
  if (wStar.length !== d) fail("wStar", `has ${wStar.length} entries; Sigma is ${d}×${d}`);
  const diff = w.map((v, i) => v - wStar[i]);
  return diff.reduce((s, di, i) => s + di * Sigma[i].reduce((t, v, j) => t + v * diff[j], 0), 0);
}
