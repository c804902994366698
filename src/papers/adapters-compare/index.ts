// The shared adapter benchmark, registered like every paper: every registered method's
// benchmark variants and full FT fine-tune one pretrained base to a new task at matched
// budgets; the result (per-run records + the base's task-A accuracy) is what the per-paper
// views (pissa, lora-ga, ..., and the part-2 methods' papers) read through their `needs`.
import { definePaper } from "../registry";
import { compareChecks, compareSummary } from "./checks";
import { compareFigures } from "./figures";
import { charFigures, charSummary, onCharBase } from "./bases";
import { ADAPTERS_COMPARE_PRESETS } from "./presets";
import {
  adaptersParts,
  AdaptersCompareConfig,
  AdaptersPart,
  AdaptersCompareResult,
  AdaptersSeedResult,
  combineAdaptersSeeds,
  mergeAdaptersParts,
  runAdaptersSeed,
} from "./run";

export * from "./run";
export { ADAPTERS_COMPARE_PRESETS } from "./presets";
export { FULL_FT, runVariant } from "./bench";
export type { RunSetup, TrainSettings } from "./bench";

export const adaptersCompare = definePaper<AdaptersCompareConfig, AdaptersCompareResult, AdaptersSeedResult>({
  id: "adapters-compare",
  citation: {
    authors: [],
    title:
      "PEFT methods side by side: every registered adapter (LoRA and its initialisations, DoRA, LoRA-XS/SB, SVFit, LoLDU, rank-adaptive, structured and intrinsic-dimension methods) against full fine-tuning on two bases (initlab benchmark)",
    venue: "initlab",
    year: 2026,
  },
  claim:
    "At matched trainable-parameter budgets, SVD- and gradient-initialised LoRA variants converge faster early than LoRA and stay near full fine-tuning's accuracy, while full FT forgets the pre-training task most.",
  presets: ADAPTERS_COMPARE_PRESETS,
  runSeed: (cfg, s, ctx) => runAdaptersSeed(cfg, s, ctx.onProgress, ctx.part as AdaptersPart | undefined),
  combine: (parts, cfg) => combineAdaptersSeeds(parts, cfg),
  // The bases (and the MLP's two groups of methods) are independent: the runner spreads the
  // (seed, part) units over its workers.
  seedParts: (cfg) => adaptersParts(cfg),
  mergeParts: (parts, cfg) => mergeAdaptersParts(parts, cfg),
  // The first seed's char part runs every seed (lrs selected on the first seed): see charPart.
  seedResultsReadSeedList: true,
  checks: (r) => [...compareChecks(r), ...(r.char ? onCharBase(compareChecks(r.char)) : [])],
  figures: (r) => [...compareFigures(r), ...(r.char ? charFigures(compareFigures(r.char)) : [])],
  summary: (r) => ({ ...compareSummary(r), ...(r.char ? charSummary(compareSummary(r.char)) : {}) }),
});
