// Robust PSD matrix sensing with outliers: one seed draws X* (rank r, ‖X*‖_F = 1), symmetric
// Gaussian measurements with a fraction of gross outliers, and runs the sub-gradient method
// from U₀ = αB in several arms (small/large init, ℓ1/ℓ2 loss, r′ = d or r′ = r, 20%/40%
// outliers). Each arm picks its own η₀ from one grid by the ℓ1 residual on held-out
// measurements carved from the same sample (never from X*).
import { Rng } from "../../core/random";
import { SensingLoss, sensingLoss, SubgradientResult, subgradientMethod } from "../../optim/subgradient";
import { selectOnValidation } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export interface RecoveryConfig extends PaperConfig {
  d: number;
  rank: number;
  /** Training measurements m. */
  measurements: number;
  /** Held-out measurements for choosing η₀ (same distribution, outliers included). */
  validation: number;
  outlierFraction: number;
  /** Outlier fraction of the stress arm. */
  heavyOutlierFraction: number;
  outlierStd: number;
  smallAlpha: number;
  largeAlpha: number;
  etaGrid: number[];
  rho: number;
  steps: number;
  /** Record the relative error every this many steps. */
  every: number;
}

export type ArmName = "small-l1" | "large-l1" | "small-l2" | "small-l1-exact-rank" | "small-l1-heavy";

export interface ArmSpec {
  name: ArmName;
  label: string;
  alpha: "small" | "large";
  loss: SensingLoss;
  overParameterized: boolean;
  heavy: boolean;
}

export const ARMS: ArmSpec[] = [
  {
    name: "small-l1",
    label: "ℓ1, small init, r′ = d",
    alpha: "small",
    loss: "l1",
    overParameterized: true,
    heavy: false,
  },
  {
    name: "large-l1",
    label: "ℓ1, large init α = 1, r′ = d",
    alpha: "large",
    loss: "l1",
    overParameterized: true,
    heavy: false,
  },
  {
    name: "small-l2",
    label: "ℓ2, small init, r′ = d",
    alpha: "small",
    loss: "l2",
    overParameterized: true,
    heavy: false,
  },
  {
    name: "small-l1-exact-rank",
    label: "ℓ1, small init, r′ = r",
    alpha: "small",
    loss: "l1",
    overParameterized: false,
    heavy: false,
  },
  {
    name: "small-l1-heavy",
    label: "ℓ1, small init, r′ = d, heavy outliers",
    alpha: "small",
    loss: "l1",
    overParameterized: true,
    heavy: true,
  },
];

export interface ArmRun {
  name: ArmName;
  /** η₀ values tried and their held-out ℓ1 residual (lower is better; DIVERGED_ERROR when the run overflowed). */
  etaTried: number[];
  valLoss: number[];
  eta: number;
  /** True when the grid's winner sat at an edge and one more value was tried. */
  extended: boolean;
  /** ‖UUᵀ − X*‖_F / ‖X*‖_F at the end, and along the way (every `every` steps). */
  finalError: number;
  errorPath: Array<{ step: number; error: number }>;
  diverged: boolean;
}

export interface RecoverySeedRun {
  seed: number;
  arms: ArmRun[];
}

export interface RecoveryResult {
  runs: RecoverySeedRun[];
}

/** Error recorded for an arm whose every η₀ overflowed (JSON has no Infinity). */
export const DIVERGED_ERROR = 1e6;

/** d×k matrix of N(0, std²) entries. */
const gauss = (rng: Rng, d: number, k: number, std: number): number[][] =>
  Array.from({ length: d }, () => Array.from({ length: k }, () => rng.normal() * std));

/** Symmetric Gaussian (GOE-scaled) so that E⟨A, X⟩² = ‖X‖_F² for symmetric X. */
function symmetricGaussian(rng: Rng, d: number): number[][] {
  const a = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const v = i === j ? rng.normal() : rng.normal() / Math.SQRT2;
      a[i][j] = v;
      a[j][i] = v;
    }
  return a;
}

const gramOf = (U: number[][]): number[][] => U.map((ui) => U.map((uj) => ui.reduce((s, v, k) => s + v * uj[k], 0)));

const inner = (A: number[][], X: number[][]): number =>
  A.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * X[i][j], 0), 0);

/** ‖UUᵀ − X*‖_F / ‖X*‖_F. */
export function relativeError(U: number[][], xStar: number[][]): number {
  const X = gramOf(U);
  let num = 0;
  let den = 0;
  for (let i = 0; i < X.length; i++)
    for (let j = 0; j < X.length; j++) {
      num += (X[i][j] - xStar[i][j]) ** 2;
      den += xStar[i][j] ** 2;
    }
  return Math.sqrt(num / den);
}

interface Trial {
  out: SubgradientResult;
  path: Array<{ step: number; error: number }>;
}

interface Problem {
  xStar: number[][];
  A: number[][][];
  y: number[];
  yHeavy: number[];
  Aval: number[][][];
  yVal: number[];
  yValHeavy: number[];
}

function makeProblem(cfg: RecoveryConfig, rng: Rng): Problem {
  const V = gauss(rng, cfg.d, cfg.rank, 1);
  let xStar = gramOf(V);
  const norm = Math.sqrt(xStar.flat().reduce((s, v) => s + v * v, 0));
  xStar = xStar.map((row) => row.map((v) => v / norm));
  const total = cfg.measurements + cfg.validation;
  const A = Array.from({ length: total }, () => symmetricGaussian(rng, cfg.d));
  const clean = A.map((Ai) => inner(Ai, xStar));
  // One uniform per measurement decides both outlier sets, so the heavy set contains the light one.
  const u = clean.map(() => rng.next());
  const noise = clean.map(() => rng.normal() * cfg.outlierStd);
  const y = clean.map((v, i) => (u[i] < cfg.outlierFraction ? v + noise[i] : v));
  const yHeavy = clean.map((v, i) => (u[i] < cfg.heavyOutlierFraction ? v + noise[i] : v));
  const m = cfg.measurements;
  return {
    xStar,
    A: A.slice(0, m),
    y: y.slice(0, m),
    yHeavy: yHeavy.slice(0, m),
    Aval: A.slice(m),
    yVal: y.slice(m),
    yValHeavy: yHeavy.slice(m),
  };
}

/** One seed: one problem, every arm with its own η₀ chosen on the held-out measurements. */
export async function runRecoverySeed(cfg: RecoveryConfig, seed: number, ctx: PaperContext): Promise<RecoverySeedRun> {
  const rng = new Rng(1000 + seed);
  const p = makeProblem(cfg, rng);
  // The same B for every arm: arms differ only in scale α, loss, width and outliers.
  const B = gauss(rng, cfg.d, cfg.d, 1 / Math.sqrt(cfg.d));
  const arms: ArmRun[] = [];
  const total = ARMS.length * cfg.etaGrid.length;
  let done = 0;
  for (const arm of ARMS) {
    const alpha = arm.alpha === "small" ? cfg.smallAlpha : cfg.largeAlpha;
    const width = arm.overParameterized ? cfg.d : cfg.rank;
    const U0 = B.map((row) => row.slice(0, width).map((v) => alpha * v));
    const y = arm.heavy ? p.yHeavy : p.y;
    const yVal = arm.heavy ? p.yValHeavy : p.yVal;
    const trials = new Map<number, Trial>();
    const score = (eta: number): number => {
      const path: Array<{ step: number; error: number }> = [];
      const out = subgradientMethod(U0, p.A, y, {
        loss: arm.loss,
        eta0: eta,
        rho: cfg.rho,
        steps: cfg.steps,
        every: cfg.every,
        observe: (step, U) => path.push({ step, error: relativeError(U, p.xStar) }),
      });
      const val = out.diverged ? Infinity : sensingLoss(out.U, p.Aval, yVal, "l1");
      trials.set(eta, { out, path });
      done++;
      ctx.onProgress?.({ label: `seed ${seed} ${arm.name}`, step: Math.min(done, total), total });
      return -val;
    };
    // Lower held-out ℓ1 residual wins; a winner at a grid edge extends the grid (up to twice per side).
    const sel = await selectOnValidation(cfg.etaGrid, score);
    const best = trials.get(sel.best) as Trial;
    arms.push({
      name: arm.name,
      etaTried: sel.tried,
      valLoss: sel.scores.map((v) => (Number.isFinite(v) ? -v : DIVERGED_ERROR)),
      eta: sel.best,
      extended: sel.extended,
      finalError: best.out.diverged ? DIVERGED_ERROR : relativeError(best.out.U, p.xStar),
      errorPath: best.path,
      diverged: best.out.diverged,
    });
  }
  return { seed, arms };
}
