// il.papers: the paper registry, the run contract and the check builders.
import "./all";
export { definePaper, getPaper, papers as list, runOrder, formatCitation, shortCitation } from "./registry";
export { runPaper, readPaperSummary, codeVersion, configHash } from "./run";
export type { RunPaperOptions, PaperRun, PaperSummaryFile } from "./run";
export { evidence, sanity, above, below, validateChecks } from "./checks";
export type { CheckOptions } from "./checks";
export {
  showChecks,
  showFigures,
  showSummary,
  checksMarkdown,
  checksText,
  checkCounts,
  fmtMeasured,
  fmtNumber,
} from "./report";
export { withOverrides } from "../core/types";
export type {
  Citation,
  CheckKind,
  Measured,
  Check,
  Figure,
  PaperConfig,
  PaperContext,
  PaperDefinition,
  PaperInfo,
} from "./types";
export { validationSplit, selectOnValidation, pairedCheck } from "./protocol";
export type { Selection, SelectOptions } from "./protocol";
