// WeLore's plan and its uniform baseline at the same parameter budget, for a list of weight
// matrices (shared by the MLP and the char-transformer parts).
import { uniformKeeps, weloreThreshold, WeloreLayer } from "../../compress";
import { spectrum } from "../../metrics/spectral";

export interface CutPlan {
  specs: WeloreLayer[];
  plan: ReturnType<typeof weloreThreshold>;
  /** Per matrix, the rank the uniform cut keeps (the same total factor parameters as WeLore's). */
  uniform: number[];
  /** 1 − (uniform cut's factor parameters) / (full-rank factor parameters). */
  uniformReduction: number;
}

/** WeLore's keeps at the target, and the uniform keeps that spend WeLore's factor budget. */
export function planCuts(Ws: number[][][], opts: { target: number; minRatio: number }): CutPlan {
  const specs: WeloreLayer[] = Ws.map((W) => ({ spectrum: spectrum(W), shape: [W.length, W[0].length] }));
  const cost = (keeps: number[]) => keeps.reduce((a, k, i) => a + k * (specs[i].shape[0] + specs[i].shape[1]), 0);
  const plan = weloreThreshold(specs, { target: opts.target, minRatio: opts.minRatio });
  const uniform = uniformKeeps(specs, cost(plan.layers.map((l) => l.keep)));
  const full = cost(specs.map((l) => l.spectrum.length));
  return { specs, plan, uniform, uniformReduction: 1 - cost(uniform) / full };
}
