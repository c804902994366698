// A per-paper view over the shared benchmark: a registered paper that `needs`
// adapters-compare, reads its result through ctx.need, keeps the variants its claim is
// judged against, and computes its own checks and figures (in its own folder).
import { fail } from "../../core/validate";
import { definePaper } from "../registry";
import { Check, Citation, Figure, PaperConfig, PaperDefinition } from "../types";
import { RunRecord } from "./bench";
import { compareSummary } from "./checks";
import { ADAPTERS_COMPARE_PRESETS } from "./presets";
import { AdaptersCompareResult, BenchSettings } from "./run";

export type ViewConfig = PaperConfig;

/** The benchmark records of the view's variants (all seeds), with the benchmark's settings. */
export interface ViewResult {
  records: RunRecord[];
  baseAccA: number;
  settings: BenchSettings;
  /** The variant ids compared, in order. */
  variants: string[];
}

export interface AdapterViewSpec {
  id: string;
  citation: Citation;
  claim: string;
  /** Variant ids (of the benchmark) the claim is judged against. */
  variants(s: BenchSettings): string[];
  checks(r: ViewResult): Check[];
  figures(r: ViewResult): Figure[];
}

/** Registers a view paper (seeds as the benchmark's presets; needs adapters-compare). */
export function defineAdapterView(spec: AdapterViewSpec): PaperDefinition<ViewConfig, ViewResult> {
  const P = ADAPTERS_COMPARE_PRESETS;
  return definePaper<ViewConfig, ViewResult>({
    id: spec.id,
    citation: spec.citation,
    claim: spec.claim,
    presets: { smoke: { seeds: P.smoke.seeds }, default: { seeds: P.default.seeds }, full: { seeds: P.full.seeds } },
    needs: ["adapters-compare"],
    async run(cfg, ctx) {
      const bench = await ctx.need<AdaptersCompareResult>("adapters-compare");
      if (JSON.stringify(bench.settings.seeds) !== JSON.stringify(cfg.seeds)) {
        fail(
          "config.seeds",
          `are [${cfg.seeds}] but the adapters-compare benchmark at size "${ctx.size}" ran seeds [${bench.settings.seeds}]`,
        );
      }
      const ids = spec.variants(bench.settings);
      const missing = ids.filter((id) => !bench.records.some((r) => r.id === id));
      if (missing.length)
        fail(`paper "${spec.id}"`, `the benchmark result has no runs of ${missing.map((m) => `"${m}"`).join(", ")}`);
      return {
        records: bench.records.filter((r) => ids.includes(r.id)),
        baseAccA: bench.baseAccA,
        settings: bench.settings,
        variants: ids,
      };
    },
    checks: (r) => spec.checks(r),
    figures: (r) => spec.figures(r),
    summary: (r) => compareSummary(r),
  });
}
