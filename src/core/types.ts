// The one skeleton every reproduction follows: typed config, size presets, run() → result.

export type Size = "smoke" | "default" | "full";
export const SIZES: readonly Size[] = ["smoke", "default", "full"];

/** One claim checked against a measurement. */
export interface Check {
  /** The paper's claim or the pass rule, in words. */
  claim: string;
  /** What this run measured (numbers rounded for display are fine; keep raw in series). */
  measured: number | string;
  /** The pass rule, e.g. "≥ 0.8". */
  expected: string;
  pass: boolean;
}

/** A named series for plotting: rows of plain values (long format, vega-lite friendly). */
export type Series = Record<string, Array<Record<string, number | string>>>;

export interface ExperimentResult {
  series: Series;
  checks: Check[];
  /** Scalar summaries worth printing (final accuracies, timings, ...). */
  summary?: Record<string, number | string>;
}

export interface Experiment<C> {
  name: string;
  /** Paper title and citation. */
  paper: string;
  /** The claim in one sentence. */
  claim: string;
  /** Preset configs; `default` must fit in minutes on 2 cores. */
  presets: Record<Size, C>;
  run(config: C, opts?: RunOptions): Promise<ExperimentResult>;
}

export interface RunOptions {
  /** Called with progress updates; notebooks pass a live display, scripts a terminal line. */
  onProgress?: (p: ProgressEvent) => void;
}

export interface ProgressEvent {
  label: string;
  step: number;
  total: number;
  /** Extra values shown beside the bar (loss, accuracy, ...). */
  values?: Record<string, number>;
}

/** Reads INITLAB_SIZE (default "default"), rejecting unknown names. */
export function sizeFromEnv(env: NodeJS.ProcessEnv = process.env): Size {
  const v = env.INITLAB_SIZE;
  if (v === undefined || v === "") return "default";
  if (!(SIZES as readonly string[]).includes(v)) {
    throw new Error(`INITLAB_SIZE: unknown size "${v}" (known: ${SIZES.join(", ")})`);
  }
  return v as Size;
}

/** Builds a check; `pass` is computed by the caller's rule, never hard-coded. */
export function check(claim: string, measured: number | string, expected: string, pass: boolean): Check {
  return { claim, measured, expected, pass };
}

/** Merges a preset with overrides, rejecting keys the config does not have. */
export function withOverrides<C extends object>(base: C, overrides: Partial<C> = {}): C {
  for (const k of Object.keys(overrides)) {
    if (!(k in base)) throw new Error(`config: unknown key "${k}" (known: ${Object.keys(base).join(", ")})`);
  }
  return { ...base, ...overrides };
}
