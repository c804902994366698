// Bone / MiSS as a view over the shared adapter benchmark: MiSS's tiled form at the mid budget
// (r = 12, 6,144 parameters), Bone's block-affine form (r = 8, 4,096: the largest r dividing
// 784 and 256 within the budget) and MiSS r = 1 (tiny tier, 512) against LoRA r = midRank
// (6,208) and full FT.
import { missMidRank } from "../../adapters/miss/bench";
import { boneMidRank } from "../../adapters/bone/bench";
import { above, evidence, sanity } from "../checks";
import { accCheck, earlyLossChecks, earlyStepsOf, paired, runsOf } from "../adapters-compare/compare";
import { accuracyFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { RunRecord } from "../adapters-compare/bench";
import { defineAdapterView } from "../adapters-compare/view";
import { spectraFigure } from "./figures";

/** Intruder dimensions of a run at ε = 0.5, summed over its adapted matrices. */
export const intrudersOf = (r: RunRecord): number => r.layers.reduce((s, l) => s + (l.intruders["0.5"] ?? 0), 0);

/** Largest σ_{r+1}/σ_1 of ΔW over a variant's runs and matrices (0 where ΔW = 0): how far ΔW is from rank ≤ r. */
export function tailRatio(records: RunRecord[], id: string, r: number): number {
  return Math.max(
    ...runsOf(records, id).flatMap((q) => q.layers.map((l) => (l.sigma[0] > 0 ? (l.sigma[r] ?? 0) / l.sigma[0] : 0))),
  );
}

export const bone = defineAdapterView({
  id: "bone",
  citation: {
    authors: ["Kang", "Yin"],
    title: "MiSS: Revisiting the Trade-off in LoRA with an Efficient Shard-Sharing Structure (first version: Bone)",
    venue: "ICLR",
    year: 2026,
    arxiv: "2409.15371",
    code: "https://github.com/huggingface/peft (tuners/miss)",
  },
  claim:
    "Updating W0 through one shared, zero-initialised shard D (MiSS: ΔW tiles D; Bone: block-affine ΔW_ij = W_ij D_i + D_i) converges faster than LoRA and ends better with no more parameters.",
  variants: (s) => [
    "full FT",
    `LoRA r=${s.midRank}`,
    `MiSS r=${missMidRank(s)}`,
    `Bone r=${boneMidRank(s)}`,
    "MiSS r=1",
  ],
  checks(r) {
    const s = r.settings;
    const L = `LoRA r=${s.midRank}`,
      M = `MiSS r=${missMidRank(s)}`,
      B = `Bone r=${boneMidRank(s)}`;
    const intr = paired(r.records, M, L, intrudersOf);
    const p = (id: string) => runsOf(r.records, id)[0].params;
    const ratio = p(M) / p(L);
    const tail = tailRatio(r.records, M, missMidRank(s));
    return [
      accCheck(
        r.records,
        M,
        L,
        `MiSS's final task-B accuracy ≥ LoRA's at a matched budget (${p(M)} vs ${p(L)})`,
        0,
        "bone-accuracy",
      ),
      accCheck(
        r.records,
        B,
        L,
        `Bone's final task-B accuracy ≥ LoRA's with fewer parameters (${p(B)} vs ${p(L)})`,
        0,
        "bone-accuracy",
      ),
      ...earlyLossChecks(
        r.records,
        M,
        L,
        earlyStepsOf(s),
        "MiSS's task-B test loss is below LoRA's early (faster convergence)",
        "bone-loss",
      ),
      evidence(
        "MiSS's tiled ΔW is intruder-prone: more intruder dimensions than LoRA (ε = 0.5, k = 10, both matrices summed)",
        intr,
        `95% interval of the paired difference intruders(${M}) − intruders(${L}) above 0`,
        above(intr, 0),
        { figure: "bone-spectra" },
      ),
      sanity(
        "MiSS's ΔW has rank ≤ r (every row of ΔW is a row of D)",
        tail,
        `largest σ_${missMidRank(s) + 1}/σ_1 of ΔW over seeds and matrices below 1e-3`,
        tail < 1e-3,
        { figure: "bone-spectra", seeds: s.seeds.length },
      ),
      sanity(
        "The mid-tier budgets: MiSS within 2% of LoRA's parameter count, Bone at most LoRA's",
        ratio,
        `params(${M}) / params(${L}) in [0.98, 1.02] and params(${B}) ≤ params(${L})`,
        Math.abs(ratio - 1) <= 0.02 && p(B) <= p(L),
      ),
    ];
  },
  figures: (r) => [
    lossFigure("bone-loss", r.records),
    accuracyFigure("bone-accuracy", rowsOf(r)),
    spectraFigure(
      "bone-spectra",
      r.records,
      r.variants.filter((v) => v !== "full FT"),
    ),
  ],
});
