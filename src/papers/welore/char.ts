// WeLore on the pretrained char transformer: its twelve attention and MLP matrices are cut with
// one global normalised-spectrum threshold (bisected to the target reduction) and, at the same
// factored budget, uniformly; both are scored by held-out next-character loss on license text
// the base never saw. The base is one fixed checkpoint, so a seed picks which disjoint fifth of
// the held-out text is scored and which slice of the training text gives the gradients whose
// stable rank is the predictor.
import {
  charMatrixGradients,
  charScoresWith,
  disposeWindows,
  loadCharCompressBase,
  windowsOfPart,
} from "../../bases/char-compress";
import { truncateRank } from "../../compress";
import { planCuts } from "./plan";
import { stableRank } from "../../metrics/spectral";
import { spearman } from "../../metrics/stats";

export interface WeloreCharConfig {
  /** Fraction of Σ rank·(m+n) to remove (as the MLP part). */
  target: number;
  minRatio: number;
  /** Disjoint parts of the held-out text (seed s scores part s mod parts). */
  parts: number;
  evalWindows: number;
  /** Windows of training text whose loss gradient gives each matrix's stable rank. */
  gradWindows: number;
}

export interface WeloreCharMatrix {
  name: string;
  shape: [number, number];
  rank: number;
  weloreKeep: number;
  uniformKeep: number;
  gradStableRank: number;
}

export interface WeloreCharRun {
  part: number;
  evalPredictions: number;
  tau: number;
  reduction: number;
  uniformReduction: number;
  baseLoss: number;
  baseAcc: number;
  weloreLoss: number;
  weloreAcc: number;
  uniformLoss: number;
  uniformAcc: number;
  spearmanGradSR: number;
  matrices: WeloreCharMatrix[];
}

export function runWeloreChar(cfg: WeloreCharConfig, s: number): WeloreCharRun {
  const base = loadCharCompressBase();
  const part = s % cfg.parts;
  const ctx = base.spec.context;
  const test = windowsOfPart(base.license.test, ctx, part, cfg.parts, cfg.evalWindows);
  const gradOn = windowsOfPart(base.license.train, ctx, part, cfg.parts, cfg.gradWindows);
  try {
    const Ws = base.matrices.map((n) => base.kernels[n]);
    const { specs, plan, uniform, uniformReduction } = planCuts(Ws, cfg);
    const cut = (keeps: number[]) =>
      Object.fromEntries(base.matrices.map((n, i) => [n, truncateRank(Ws[i], keeps[i])]));
    const b = charScoresWith(base, {}, test);
    const w = charScoresWith(base, cut(plan.layers.map((l) => l.keep)), test);
    const u = charScoresWith(base, cut(uniform), test);
    const grads = charMatrixGradients(base, gradOn);
    const gradSR = base.matrices.map((n) => stableRank(grads[n]));
    const pruned = plan.layers.map((l) => l.pruned / l.rank);
    return {
      part,
      evalPredictions: test.y.size,
      tau: plan.tau,
      reduction: plan.reduction,
      uniformReduction,
      baseLoss: b.loss,
      baseAcc: b.acc,
      weloreLoss: w.loss,
      weloreAcc: w.acc,
      uniformLoss: u.loss,
      uniformAcc: u.acc,
      spearmanGradSR: spearman(gradSR, pruned),
      matrices: base.matrices.map((name, i) => ({
        name,
        shape: specs[i].shape,
        rank: specs[i].spectrum.length,
        weloreKeep: plan.layers[i].keep,
        uniformKeep: uniform[i],
        gradStableRank: gradSR[i],
      })),
    };
  } finally {
    disposeWindows(test, gradOn);
  }
}
