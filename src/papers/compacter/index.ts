// Compacter as a view over the shared adapter benchmark: the PHM serial adapter (linear form,
// ΔW = W0 D U) at LoRA's mid budget (k = 128, ρ = 4: 6,208 parameters, the shared rule once)
// and at the paper's own setting (k = width/32, ρ = 1: 1,120), against LoRA r = midRank,
// LoRA r = 1 (1,552) and full FT.
import { bench as compacterBench } from "../../adapters/compacter/bench";
import { BenchScale } from "../../adapters/benchmark";
import { sanity } from "../checks";
import { accCheck, runsOf } from "../adapters-compare/compare";
import { accVsParamsFigure, lossFigure } from "../adapters-compare/figures";
import { rowsOf } from "../adapters-compare/checks";
import { defineAdapterView } from "../adapters-compare/view";

/** The benchmark's Compacter variants at a scale: [mid, paper setting], with their configs. */
export function compacterVariants(s: BenchScale): Array<{ id: string; k: number; n: number; rho: number }> {
  return compacterBench.variants(s).map((v) => ({
    id: v.id,
    k: Number(v.config.r),
    n: Number(v.config.n),
    rho: Number(v.config.phmRank),
  }));
}

/** Closed form: per adapted matrix (out = its hidden width) 2ρ(out + k) fast parameters, plus n³ for the shared rule once. */
export function compacterParamCount(hidden: number[], k: number, n: number, rho: number): number {
  return hidden.reduce((acc, out) => acc + 2 * rho * (out + k), 0) + n ** 3;
}

export const compacter = defineAdapterView({
  id: "compacter",
  citation: {
    authors: ["Karimi Mahabadi", "Henderson", "Ruder"],
    title: "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers",
    venue: "NeurIPS",
    year: 2021,
    arxiv: "2106.04647",
    code: "https://github.com/rabeehk/compacter",
  },
  claim:
    "Adapters whose projections are sums of Kronecker products of shared slow matrices and per-layer rank-1 fast factors match full fine-tuning and other adapters with a fraction of their parameters.",
  variants: (s) => ["full FT", `LoRA r=${s.midRank}`, "LoRA r=1", ...compacterVariants(s).map((v) => v.id)],
  checks(r) {
    const s = r.settings;
    const [mid, paper] = compacterVariants(s);
    const L = `LoRA r=${s.midRank}`;
    const p = (id: string) => runsOf(r.records, id)[0].params;
    const want = [mid, paper].map((v) => compacterParamCount(s.hidden, v.k, v.n, v.rho));
    return [
      accCheck(
        r.records,
        mid.id,
        L,
        `Compacter at LoRA's parameter count (${p(mid.id)} vs ${p(L)}) ends within 2 points of LoRA's task-B accuracy`,
        0.02,
        "compacter-params",
      ),
      accCheck(
        r.records,
        mid.id,
        "full FT",
        `Compacter (${p(mid.id)} parameters) ends within 2 points of full fine-tuning (${p("full FT")})`,
        0.02,
        "compacter-params",
      ),
      accCheck(
        r.records,
        paper.id,
        "LoRA r=1",
        `Compacter at the paper's setting (${p(paper.id)} parameters) ends at least as accurate as LoRA r=1 (${p("LoRA r=1")})`,
        0,
        "compacter-params",
      ),
      sanity(
        "Compacter's trainable count equals the closed form Σ 2ρ(out + k) + n³ (the shared rule counted once)",
        p(mid.id),
        `params(${mid.id}) = ${want[0]} and params(${paper.id}) = ${want[1]}`,
        p(mid.id) === want[0] && p(paper.id) === want[1],
      ),
    ];
  },
  figures: (r) => [lossFigure("compacter-loss", r.records), accVsParamsFigure("compacter-params", rowsOf(r))],
});
