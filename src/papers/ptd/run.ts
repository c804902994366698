// PTD (Yu, Mahoney, Erichson 2024) at N = 64 in float64: the HiPPO-LegS transfer function
// against S4D-LegS (diagonalizing only the normal part) and against perturb-then-diagonalize
// with a random perturbation E of relative size ε, over a grid of ε: eigenvector condition
// number, relative sup error of G(iω) on a dense frequency grid, and stability of λ̃.
import { Rng } from "../../core/random";
import { singularValues } from "../../linalg/decompose";
import { CVector } from "../../linalg/complex";
import {
  hippoLegS,
  hippoLegSB,
  hippoLegSNormal,
  hippoLegSNormalEig,
  perturbThenDiagonalize,
  relativeSupError,
  transferDense,
  transferDiag,
} from "../../linalg/hippo";
import { PaperConfig, PaperContext } from "../types";

export interface PtdConfig extends PaperConfig {
  N: number;
  /** Frequencies: `freqs` points evenly spaced in [−span·N², span·N²]. */
  freqs: number;
  span: number;
  /** Relative perturbation sizes ‖E‖₂/‖A‖₂. */
  epsGrid: number[];
  /** Frequencies used for the direct-solve comparison of the diagonal formula (a subset, O(N³) each). */
  checkFreqs: number;
}

export interface PtdPoint {
  eps: number;
  kappa: number;
  error: number;
  maxRe: number;
}

export interface PtdSeedRun {
  seed: number;
  /** κ(V) of HiPPO-LegS diagonalized as is (float64 saturates near 1e15–1e17). */
  kappaHippo: number;
  /** Relative sup error of S4D-LegS's transfer function. */
  errorS4d: number;
  /** Relative sup difference between S4D's diagonal formula and a direct solve with A_N. */
  diagVsDirect: number;
  points: PtdPoint[];
  /** |G_S4D − G_H| and |G_PTD − G_H| at each frequency for the first seed (figure), PTD at the chosen ε. */
  curve?: { omega: number[]; s4d: number[]; ptd: number[]; eps: number };
}

export interface PtdResult {
  runs: PtdSeedRun[];
}

export const omegaGrid = (cfg: PtdConfig): number[] =>
  Array.from({ length: cfg.freqs }, (_, i) => cfg.span * cfg.N ** 2 * (-1 + (2 * i) / (cfg.freqs - 1)));

/** The ε the report picks per seed: the smallest error among those with κ ≤ 1e6 and every Re λ̃ < 0. */
export function chosen(points: PtdPoint[]): PtdPoint | null {
  const ok = points.filter((p) => p.kappa <= 1e6 && p.maxRe < 0);
  return ok.length ? ok.reduce((a, b) => (b.error < a.error ? b : a)) : null;
}

const absDiff = (g: CVector, h: CVector) => g.re.map((v, i) => Math.hypot(v - h.re[i], g.im[i] - h.im[i]));

export async function runPtdSeed(cfg: PtdConfig, seed: number, ctx: PaperContext): Promise<PtdSeedRun> {
  const { N } = cfg;
  const rng = new Rng(seed);
  const A = hippoLegS(N);
  const B = hippoLegSB(N);
  const C = B.map(() => rng.normal() / Math.sqrt(N));
  const omega = omegaGrid(cfg);
  const G = transferDense(A, B, C, omega);

  // S4D-LegS: the normal part's unitary diagonalization (Λ, V*B, CV).
  const e = hippoLegSNormalEig(N);
  const V = e.vectors;
  const Bs = {
    re: B.map((_, j) => B.reduce((s, b, i) => s + V.re[i][j] * b, 0)),
    im: B.map((_, j) => -B.reduce((s, b, i) => s + V.im[i][j] * b, 0)),
  };
  const Cs = {
    re: C.map((_, j) => C.reduce((s, c, i) => s + V.re[i][j] * c, 0)),
    im: C.map((_, j) => C.reduce((s, c, i) => s + V.im[i][j] * c, 0)),
  };
  const Gs4d = transferDiag(e.values, Bs, Cs, omega);
  const errorS4d = relativeSupError(Gs4d, G);
  const sub = omega.filter((_, i) => i % Math.max(1, Math.floor(cfg.freqs / cfg.checkFreqs)) === 0);
  const diagVsDirect = relativeSupError(
    transferDiag(e.values, Bs, Cs, sub),
    transferDense(hippoLegSNormal(N), B, C, sub),
  );

  const kappaHippo = perturbThenDiagonalize(A, null, B, C).kappa;
  const normA = singularValues(A)[0];
  // One random direction per seed, rescaled to each size: the sweep moves along a single ray.
  const dir = A.map((r) => r.map(() => rng.normal()));
  const normDir = singularValues(dir)[0];
  const points: PtdPoint[] = [];
  const curves = new Map<number, number[]>();
  for (const [k, eps] of cfg.epsGrid.entries()) {
    ctx.onProgress?.({ label: `seed ${seed} ε`, step: k, total: cfg.epsGrid.length });
    const E = dir.map((r) => r.map((v) => (v * eps * normA) / normDir));
    const d = perturbThenDiagonalize(A, E, B, C);
    const Gp = transferDiag(d.lambda, d.B, d.C, omega);
    points.push({ eps, kappa: d.kappa, error: relativeSupError(Gp, G), maxRe: Math.max(...d.lambda.re) });
    curves.set(eps, absDiff(Gp, G));
  }
  const pick = chosen(points);
  return {
    seed,
    kappaHippo,
    errorS4d,
    diagVsDirect,
    points,
    ...(pick && seed === cfg.seeds[0]
      ? { curve: { omega, s4d: absDiff(Gs4d, G), ptd: curves.get(pick.eps)!, eps: pick.eps } }
      : {}),
  };
}
