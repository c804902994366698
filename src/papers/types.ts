// The contract every reproduction follows: a registered paper with a structured citation,
// one-sentence claim, size presets that name their seeds, a run whose typed result is
// cached, and checks and figures computed from that result.
import { ProgressEvent, Size } from "../core/types";
import { Interval } from "../metrics/intervals";
import { VegaLiteSpec } from "../plot/specs";

export interface Citation {
  authors: string[];
  title: string;
  venue: string;
  year: number;
  arxiv?: string;
  /** Official code repository URL, when the authors published one. */
  code?: string;
}

/**
 * "evidence": tests the paper's claim and could fail if the claim were false at this scale.
 * "sanity": true by construction or a pipeline/implementation check; never counted as evidence.
 */
export type CheckKind = "evidence" | "sanity";

/** A number, a mean with its interval over seeds, or a short text (several numbers). */
export type Measured = number | string | Interval;

export interface Check {
  kind: CheckKind;
  /** The claim or property checked, in words. */
  claim: string;
  measured: Measured;
  /** The pass rule, e.g. "95% interval of the paired difference above 0". */
  expected: string;
  pass: boolean;
  /** Seeds the measurement pools (1 only for a claim about one deterministic run, said in the claim). */
  seeds: number;
  /** Name of the figure that shows the measured values. */
  figure?: string;
}

export interface Figure {
  /** File name stem (figures/<paper id>/<name>.png). */
  name: string;
  spec: VegaLiteSpec;
}

/** Every preset names its seeds. */
export interface PaperConfig {
  seeds: number[];
}

export interface PaperContext {
  size: Size;
  onProgress?: (p: ProgressEvent) => void;
  /** The result of a paper listed in `needs` (its cache, or a run at the same size). */
  need<R = unknown>(id: string): Promise<R>;
  /** For a paper with seedParts: the one part of the seed's work runSeed is to do (absent: the whole seed). */
  part?: string;
}

export interface PaperDefinition<C extends PaperConfig = PaperConfig, R = unknown, S = unknown> {
  /** The notebook's file name (notebooks/<id>.ipynb) and the results folder name. */
  id: string;
  citation: Citation;
  /** The claim in one sentence. */
  claim: string;
  presets: Record<Size, C>;
  /** Papers whose cached results `run` reads through ctx.need; the runner orders by this. */
  needs?: string[];
  /** Computes the result (JSON-serialisable: it is cached under the config and code version). */
  run?(config: C, ctx: PaperContext): Promise<R>;
  /**
   * One seed's share of the work, instead of `run`: runPaper then runs the seeds as
   * independent jobs (worker threads with `workers`, or a sweep's queue), caches each seed's
   * result on its own, and builds the result with `combine` (seeds in config order).
   */
  runSeed?(config: C, seed: number, ctx: PaperContext): Promise<S>;
  combine?(perSeed: S[], config: C): R;
  /**
   * Independent parts of one seed's work (e.g. two bases), so that the runner can spread a
   * seed over several workers: runSeed is called once per part with ctx.part set, and
   * mergeParts joins the parts' results (in this order) into the seed's result. Each part
   * must seed its own randomness, so that it gives the same result wherever it runs.
   */
  seedParts?(config: C): string[];
  mergeParts?(parts: S[], config: C): S;
  /**
   * True when one seed's result depends on the whole seed list (e.g. a part that the first
   * seed's job runs for every seed: hyperparameters selected on the first seed, then each seed
   * trained at them). The seed list then enters every seed's cache and sweep-job key.
   */
  seedResultsReadSeedList?: boolean;
  checks(result: R, config: C): Check[];
  figures(result: R, config: C): Figure[];
  /** Measured values for the report (scalars or short texts); readings quote these. */
  summary?(result: R, config: C): Record<string, number | string>;
}

/** A registered paper's metadata (no functions). */
export interface PaperInfo {
  id: string;
  citation: Citation;
  claim: string;
  needs: string[];
  seeds: Record<Size, number[]>;
}
