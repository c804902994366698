// The atlas's diagnostics of one tuned model against its base: the ΔW statistics of the
// adapter benchmark (deltaStats: effective and stable rank, intruder count), relative weight
// change, kernel alignment of the penultimate features with the labels and with the base's
// features, RankMe of those features, forgetting, hard-example accuracy, state and time.
import { kernelAlignment, representationAlignment } from "../../metrics/alignment";
import { rankMe } from "../../metrics/spectral";
import { deltaStats } from "../adapters-compare/bench";
import type { AtlasConfig } from "./config";
import type { MlpBase } from "./mlp-setup";

/** What a run leaves for measurement (tuned kernels include head B as the last layer). */
export interface Observation {
  accA: number;
  accB: number;
  hardAcc: number;
  features: number[][];
  stateFloats: number;
  msPerStep: number;
  tuned: number[][][];
}

/** The diagnostics of one row on one seed (the atlas's columns). */
export interface Diagnostics {
  accB: number;
  hardAcc: number;
  forgetting: number;
  effRank: number;
  stableRank: number;
  intruders: number;
  relChange: number;
  kaAfter: number;
  repAlign: number;
  rankMe: number;
  stateFloats: number;
  msPerStep: number;
}

export type DiagnosticKey = keyof Diagnostics;

/** Column order, labels and what each column means (the table, figures and README use these). */
export const DIAGNOSTICS: Array<{ key: DiagnosticKey; label: string; help: string }> = [
  { key: "accB", label: "task-B accuracy", help: "test accuracy on the fine-tuning task" },
  { key: "hardAcc", label: "hard-example accuracy", help: "accuracy on the EL2N-hardest test-B examples" },
  { key: "forgetting", label: "forgetting", help: "base task-A accuracy minus task-A accuracy after (head A)" },
  { key: "effRank", label: "eff. rank ΔW", help: "effective rank of ΔW, mean over adapted matrices" },
  { key: "stableRank", label: "stable rank ΔW", help: "‖ΔW‖²_F/‖ΔW‖²_2, mean over adapted matrices" },
  { key: "intruders", label: "intruders", help: "intruder dimensions (top-k, ε), summed over matrices" },
  { key: "relChange", label: "‖ΔW‖/‖W0‖", help: "relative weight change over all adapted matrices" },
  { key: "kaAfter", label: "kernel–label alignment", help: "alignment of the tuned feature kernel with YYᵀ" },
  { key: "repAlign", label: "kernel before↔after", help: "alignment of the base and tuned feature kernels" },
  { key: "rankMe", label: "RankMe", help: "RankMe of the tuned penultimate features" },
  { key: "stateFloats", label: "optimizer state (floats)", help: "persistent optimizer state of the body" },
  { key: "msPerStep", label: "ms per step", help: "wall time per training step (varies run to run)" },
];

/** Keys whose values vary run to run (kept out of correlations and checks). */
export const TIMING_KEYS: DiagnosticKey[] = ["msPerStep"];

/** Y Yᵀ of integer labels: 1 where two examples share a class. */
export function labelKernel(y: ArrayLike<number>): number[][] {
  return Array.from({ length: y.length }, (_, i) =>
    Array.from({ length: y.length }, (_, j) => (y[i] === y[j] ? 1 : 0)),
  );
}

/** Gram matrix H Hᵀ. */
export function gram(h: number[][]): number[][] {
  const n = h.length;
  const g = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let s = 0;
      const a = h[i];
      const b = h[j];
      for (let q = 0; q < a.length; q++) s += a[q] * b[q];
      g[i][j] = s;
      g[j][i] = s;
    }
  return g;
}

// A dead representation (all zeros) has no alignment or rank: NaN, which the sanity check catches.
const safe = (f: () => number): number => {
  try {
    return f();
  } catch {
    return NaN;
  }
};

/** Kernel–label alignment of features on labelled examples. */
export function labelAlignment(features: number[][], labels: ArrayLike<number>): number {
  return safe(() => kernelAlignment(gram(features), labelKernel(labels)));
}

/** Measures one row's winning run on the MLP base. */
export function measureRow(
  cfg: AtlasConfig,
  b: MlpBase,
  o: Observation,
): { diagnostics: Diagnostics; changedFraction: number; entries: number } {
  const { baseKernels, baseSvd } = b.setup;
  const hidden = baseSvd.map((_, l) => l);
  const layers = hidden.map((l) =>
    deltaStats(`W${l + 1}`, baseKernels[l], o.tuned[l], baseSvd[l], {
      k: cfg.k,
      epsilons: [cfg.epsilon],
      spectrumTop: 1,
    }),
  );
  let changed = 0;
  let total = 0;
  for (const l of hidden)
    o.tuned[l].forEach((row, i) =>
      row.forEach((x, j) => {
        total++;
        if (x !== baseKernels[l][i][j]) changed++;
      }),
    );
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const diagnostics: Diagnostics = {
    accB: o.accB,
    hardAcc: o.hardAcc,
    forgetting: b.baseAccA - o.accA,
    effRank: mean(layers.map((x) => x.effRank)),
    stableRank: mean(layers.map((x) => x.stableRank)),
    intruders: layers.reduce((a, x) => a + x.intruders[String(cfg.epsilon)], 0),
    relChange: Math.sqrt(layers.reduce((a, x) => a + x.frob * x.frob, 0) / b.baseFrob2),
    kaAfter: labelAlignment(o.features, b.probe.y),
    repAlign: safe(() => representationAlignment(b.featuresBefore, o.features)),
    rankMe: safe(() => rankMe(o.features)),
    stateFloats: o.stateFloats,
    msPerStep: o.msPerStep,
  };
  return { diagnostics, changedFraction: changed / total, entries: total };
}
