// The per-method case table for test/unit/adapters.test.ts (not a test file itself, so the
// runner does not execute it). Every registered adapter needs a row: a valid config for
// the 12×8 test kernel, the trainable-parameter count as a closed form (written here, not
// read from the adapter), whether merged == base at init is guaranteed, and which
// calibration data its init(ctx) needs. Add a row when you register a method.

export interface AdapterCase {
  /** A valid config for an [inDim, outDim] = [12, 8] kernel. */
  config: object;
  /** Closed-form trainable-parameter count for that config. */
  params: (inDim: number, outDim: number) => number;
  /** merged == base (ΔW = 0) at init is guaranteed by the method. */
  identityAtInit: boolean;
  /** Calibration data init(ctx) needs ([] = none; the constructor does the init). */
  needs: ("gradients" | "inputs")[];
  /** The config accepts `alpha` (then alpha: -1 must fail naming config.alpha). */
  hasAlpha: boolean;
  /** The config accepts `init` (then an unknown init name must fail naming config.init). */
  hasInit: boolean;
  /** Smallest r rejected for the 12×8 kernel (default 9 = min(in, out) + 1). */
  rejectRank?: number;
}

export const CASES: Record<string, AdapterCase> = {
  lora: {
    config: { r: 2, alpha: 4, seed: 3 },
    params: (i, o) => 2 * (i + o),
    identityAtInit: true,
    needs: [],
    hasAlpha: true,
    hasInit: true,
  },
  rslora: {
    config: { r: 3, alpha: 3, seed: 3 },
    params: (i, o) => 3 * (i + o),
    identityAtInit: true,
    needs: [],
    hasAlpha: true,
    hasInit: true,
  },
  pissa: {
    config: { r: 2, alpha: 4, seed: 3 },
    params: (i, o) => 2 * (i + o),
    identityAtInit: true,
    needs: [],
    hasAlpha: true,
    hasInit: true,
  },
  "lora-ga": {
    config: { r: 2, alpha: 4, seed: 3 },
    params: (i, o) => 2 * (i + o),
    identityAtInit: true,
    needs: ["gradients"],
    hasAlpha: true,
    hasInit: false,
    rejectRank: 5,
  },
  "lora-xs": {
    config: { r: 3, seed: 3 },
    params: () => 3 * 3,
    identityAtInit: false,
    needs: [],
    hasAlpha: true,
    hasInit: false,
  },
  "lora-sb": {
    config: { r: 3, eta1: 1e-2 },
    params: () => 3 * 3,
    identityAtInit: false,
    needs: ["gradients"],
    hasAlpha: true,
    hasInit: false,
  },
  svfit: { config: { r: 4 }, params: () => 4, identityAtInit: true, needs: [], hasAlpha: false, hasInit: false },
  sorsa: {
    config: { r: 2, gamma: 4e-4, lr: 1e-3 },
    params: (i, o) => 2 * (i + o + 1),
    identityAtInit: true,
    needs: [],
    hasAlpha: false,
    hasInit: false,
  },
  eva: {
    config: { r: 2, alpha: 4, seed: 3 },
    params: (i, o) => 2 * (i + o),
    identityAtInit: true,
    needs: ["inputs"],
    hasAlpha: true,
    hasInit: false,
  },
  loldu: {
    config: { r: 8, alpha: 4 },
    params: () => 8 + 1,
    identityAtInit: true,
    needs: [],
    hasAlpha: true,
    hasInit: false,
  },
  dora: {
    config: { r: 2, alpha: 4, seed: 3 },
    params: (i, o) => 2 * (i + o) + o,
    identityAtInit: true,
    needs: [],
    hasAlpha: true,
    hasInit: false,
  },
};
CASES["flora"] = {
  config: { r: 2, scale: 1, seed: 3 },
  params: (i, o) => 2 * i + 2 * 2 + 2 * o,
  identityAtInit: true,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
CASES["allora"] = {
  config: { r: 2, eta: 10, seed: 3 },
  params: (i, o) => 2 * (i + o),
  identityAtInit: true,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
CASES["dylora"] = {
  config: { r: 3, alpha: 6, seed: 3 },
  params: (i, o) => 3 * (i + o),
  identityAtInit: true,
  needs: [],
  hasAlpha: true,
  hasInit: false,
};
CASES["sora"] = {
  config: { r: 3, alpha: 6, xi: 1e-3, stages: 3, totalSteps: 6, seed: 3 },
  params: (i, o) => 3 * (i + o + 1),
  identityAtInit: true,
  needs: [],
  hasAlpha: true,
  hasInit: false,
};
CASES["miss"] = {
  config: { r: 5 },
  params: (_i, o) => 5 * o,
  identityAtInit: true,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
CASES["bone"] = {
  config: { r: 4 },
  params: (_i, o) => 4 * o,
  identityAtInit: true,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
CASES["compacter"] = {
  // Bottleneck k = 4, n = 2, ρ = 1 on out = 8: down 2·1·(8/2 + 4/2) + up the same = 2ρ(out + k), plus its own rule n³.
  config: { r: 4, n: 2, phmRank: 1, seed: 3 },
  params: (_i, o) => 2 * 1 * (o + 4) + 2 ** 3,
  identityAtInit: false,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
CASES["adalora"] = {
  // init rank 3 pruned towards 2 over a 6-step schedule (warm-up 1, final 2, mask every step).
  config: { r: 3, targetR: 2, totalSteps: 6, tInit: 1, tFinal: 2, deltaT: 1, alpha: 6, seed: 3 },
  params: (i, o) => 3 * (i + o + 1),
  identityAtInit: true,
  needs: [],
  hasAlpha: true,
  hasInit: false,
};
CASES["increlora"] = {
  // 4 slots, start 1 + a reserve of 1 (λ = 1e-5, so ΔW ≠ 0 at init), one growth at step 2 to the target 2.
  config: { r: 4, startR: 1, targetR: 2, alpha: 4, initWarmup: 1, interval: 2, topH: 1, incrementRank: 1, seed: 3 },
  params: (i, o) => 4 * (i + o + 1),
  identityAtInit: false,
  needs: [],
  hasAlpha: true,
  hasInit: false,
};
CASES["intrinsic"] = {
  config: { d: 10, said: true, seed: 3 },
  params: () => 10 + 1,
  identityAtInit: true,
  needs: [],
  hasAlpha: false,
  hasInit: false,
};
