// Ma & Fattahi (2022): the sub-gradient method with small initialisation recovers a low-rank
// PSD matrix from outlier-corrupted measurements with an ℓ1 loss, even over-parameterised
// (r′ = d); a large initialisation or the ℓ2 loss does not.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { ARMS, ArmName, DIVERGED_ERROR, RecoveryConfig, RecoveryResult, RecoverySeedRun, runRecoverySeed } from "./run";

const base: RecoveryConfig = {
  seeds: [0, 1, 2, 3, 4],
  d: 20,
  rank: 2,
  measurements: 600,
  validation: 150,
  outlierFraction: 0.2,
  heavyOutlierFraction: 0.4,
  outlierStd: 10,
  smallAlpha: 1e-3,
  largeAlpha: 1,
  etaGrid: [0.02, 0.05, 0.1],
  rho: 0.997,
  steps: 1500,
  every: 50,
};

const errors = (r: RecoveryResult, name: ArmName): number[] =>
  r.runs.map((run) => (run.arms.find((a) => a.name === name) as RecoverySeedRun["arms"][number]).finalError);
const log10 = (xs: number[]) => xs.map((x) => Math.log10(x));
const labelOf = (name: ArmName) => (ARMS.find((a) => a.name === name) as (typeof ARMS)[number]).label;

export const robustMatrixRecovery = definePaper<RecoveryConfig, RecoveryResult, RecoverySeedRun>({
  id: "robust-matrix-recovery",
  citation: {
    authors: ["Jianhao Ma", "Salar Fattahi"],
    title:
      "Global Convergence of Sub-gradient Method for Robust Matrix Recovery: Small Initialization, Noisy Measurements, and Over-parameterization",
    venue: "Journal of Machine Learning Research",
    year: 2023,
    arxiv: "2202.08788",
  },
  claim:
    "With an ℓ1 loss, small initialisation and geometrically decaying steps, the sub-gradient method recovers a low-rank PSD matrix from measurements with gross outliers even when the rank is over-estimated (r′ = d); a large initialisation or the ℓ2 loss loses this.",
  presets: {
    smoke: { ...base, seeds: [0], d: 8, measurements: 150, validation: 40, steps: 150, etaGrid: [0.05], every: 25 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], steps: 2500 },
  },
  runSeed: runRecoverySeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const small = errors(r, "small-l1");
    const smallIv = tInterval(small);
    const ratio = pairedDifference(log10(errors(r, "large-l1")), log10(small));
    const l2 = tInterval(errors(r, "small-l2"));
    const heavy = tInterval(errors(r, "small-l1-heavy"));
    const startsAtZero = r.runs.every((run) =>
      run.arms.filter((a) => a.name !== "large-l1").every((a) => Math.abs(a.errorPath[0].error - 1) < 1e-3),
    );
    const noOverflow = r.runs.every((run) => run.arms.every((a) => !a.diverged));
    return [
      evidence(
        "ℓ1 sub-gradient method, small init α = 1e-3, over-parameterised r′ = d, 20% outliers: relative error ‖UUᵀ − X*‖_F / ‖X*‖_F",
        smallIv,
        "95% interval below 5e-3",
        below(smallIv, 5e-3),
        { figure: "robust-matrix-recovery-error-paths" },
      ),
      evidence(
        "A large init (α = 1) ends at least 5× worse: paired difference log10 error(α = 1) − log10 error(α = 1e-3)",
        ratio,
        "95% interval above log10 5 = 0.699",
        above(ratio, Math.log10(5)),
        { figure: "robust-matrix-recovery-final-errors" },
      ),
      evidence(
        "The ℓ2 loss under the same outliers does not recover X* (relative error, small init, r′ = d)",
        l2,
        "95% interval above 0.3",
        above(l2, 0.3),
        { figure: "robust-matrix-recovery-final-errors" },
      ),
      evidence(
        "ℓ1, small init, r′ = d still recovers with 40% outliers (relative error)",
        heavy,
        "95% interval below 5e-3",
        below(heavy, 5e-3),
        { figure: "robust-matrix-recovery-final-errors" },
      ),
      sanity(
        "Small init starts at UUᵀ ≈ 0, i.e. relative error 1 at step 0 (every small-init arm and seed)",
        startsAtZero ? "all within 1e-3 of 1" : "some start away from 1",
        "|error₀ − 1| < 1e-3",
        startsAtZero,
        { seeds: r.runs.length },
      ),
      sanity(
        "No selected run overflowed (every arm and seed finite)",
        noOverflow ? "all finite" : "an arm overflowed on every η₀",
        "all finite",
        noOverflow,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures(r) {
    const first = r.runs[0];
    const paths = first.arms.flatMap((a) =>
      a.errorPath.map((p) => ({ step: p.step, arm: labelOf(a.name), error: Math.max(p.error, 1e-12) })),
    );
    const bars = ARMS.map((arm) => {
      const iv = tInterval(log10(errors(r, arm.name)));
      return { arm: arm.label, "log10 error": iv.mean, half: r.runs.length > 1 ? iv.hi - iv.mean : 0 };
    });
    return [
      {
        name: "robust-matrix-recovery-error-paths",
        spec: lineChart(paths, {
          x: "step",
          y: "error",
          color: "arm",
          logY: true,
          title: `Relative error along the run (seed ${first.seed}, each arm at its selected η₀)`,
          xTitle: "sub-gradient step t",
          yTitle: "‖UUᵀ − X*‖_F / ‖X*‖_F",
        }),
      },
      {
        name: "robust-matrix-recovery-final-errors",
        spec: barChart(bars, {
          x: "arm",
          y: "log10 error",
          error: "half",
          title: `Final relative error (log10), mean and 95% interval over ${r.runs.length} seeds`,
          yTitle: "log10 relative error",
        }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = { seeds: r.runs.length };
    for (const arm of ARMS) {
      const e = errors(r, arm.name);
      out[`${arm.name} relative error (mean)`] = tInterval(e).mean;
      out[`${arm.name} relative error (median)`] = [...e].sort((a, b) => a - b)[Math.floor(e.length / 2)];
      out[`${arm.name} selected eta0 (per seed)`] = r.runs
        .map((run) => (run.arms.find((a) => a.name === arm.name) as RecoverySeedRun["arms"][number]).eta)
        .join(", ");
    }
    out["error ratio large/small init (geometric mean)"] =
      10 ** tInterval(r.runs.map((_, i) => Math.log10(errors(r, "large-l1")[i] / errors(r, "small-l1")[i]))).mean;
    out["diverged runs recorded as"] = DIVERGED_ERROR;
    return out;
  },
});
