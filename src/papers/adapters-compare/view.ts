// A per-paper view over the shared benchmark: a registered paper that `needs`
// adapters-compare, reads its result through ctx.need, keeps the variants its claim is
// judged against, and computes its own checks and figures (in its own folder).
import { fail } from "../../core/validate";
import { Selection } from "../protocol";
import { definePaper } from "../registry";
import { Check, Citation, Figure, PaperConfig, PaperDefinition } from "../types";
import { RunRecord } from "./bench";
import { compareSummary } from "./checks";
import { ADAPTERS_COMPARE_PRESETS } from "./presets";
import { AdaptersCompareResult, BaseResult, BenchSettings } from "./run";
import { charFigures, charSummary, onCharBase } from "./bases";

export type ViewConfig = PaperConfig;

/** The benchmark records of the view's variants (all seeds), with the benchmark's settings. */
export interface ViewResult {
  records: RunRecord[];
  baseAccA: number;
  settings: BenchSettings;
  /** The validation selections of the view's variants (per seed). */
  selections: Record<string, Selection[]>;
  /** The variant ids compared, in order. */
  variants: string[];
  /** The same view of the char base's part (when the benchmark ran it). */
  char?: ViewResult;
}

export interface AdapterViewSpec {
  id: string;
  citation: Citation;
  claim: string;
  /** Variant ids (of the benchmark) the claim is judged against. */
  variants(s: BenchSettings): string[];
  checks(r: ViewResult): Check[];
  figures(r: ViewResult): Figure[];
  /**
   * Whether the view's checks also run on the benchmark's char-transformer base (its variants
   * must then be in the char base's list, presets.ts). Default false: the view reads the MLP base only.
   */
  charBase?: boolean;
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
      const part = (b: BaseResult, where: string): ViewResult => {
        const ids = spec.variants(b.settings);
        const missing = ids.filter((id) => !b.records.some((r) => r.id === id));
        if (missing.length)
          fail(
            `paper "${spec.id}"`,
            `the benchmark's ${where} result has no runs of ${missing.map((m) => `"${m}"`).join(", ")}`,
          );
        return {
          records: b.records.filter((r) => ids.includes(r.id)),
          baseAccA: b.baseAccA,
          settings: b.settings,
          selections: Object.fromEntries(Object.entries(b.selections).filter(([id]) => ids.includes(id))),
          variants: ids,
        };
      };
      const onChar = spec.charBase === true && bench.char !== undefined;
      return { ...part(bench, "MLP-base"), ...(onChar ? { char: part(bench.char!, "char-base") } : {}) };
    },
    checks: (r) => [...spec.checks(r), ...(r.char ? onCharBase(spec.checks(r.char)) : [])],
    figures: (r) => [...spec.figures(r), ...(r.char ? charFigures(spec.figures(r.char)) : [])],
    summary: (r) => ({ ...compareSummary(r), ...(r.char ? charSummary(compareSummary(r.char)) : {}) }),
  });
}
