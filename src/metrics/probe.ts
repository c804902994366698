// A training probe: records spectral summaries of chosen matrices (weights, embeddings)
// every N steps and keeps its own wall time, so its overhead against training can be
// reported. One decomposition per target per record; all metrics come from it.
import * as tf from "@tensorflow/tfjs";
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { effectiveRank, singularValuesFast } from "./spectral";

export type ProbeMetric = "rankMe" | "effectiveRank" | "stableRank" | "spectralNorm" | "participationRatio";
export const PROBE_METRICS: readonly ProbeMetric[] = [
  "rankMe",
  "effectiveRank",
  "stableRank",
  "spectralNorm",
  "participationRatio",
];

export interface SpectralProbeOptions {
  /** Record when step % every === 0. */
  every: number;
  /**
   * Named matrices to summarise, read lazily at record time. A tf.Tensor a target returns
   * is disposed after reading unless it is a tf.Variable (weights stay alive).
   */
  targets: Record<string, () => Matrix>;
  /** Which summaries to record (default ["rankMe"]). */
  metrics?: ProbeMetric[];
}

/** One measurement, long format (one row per step × target × metric). */
export interface ProbeRow {
  step: number;
  target: string;
  metric: ProbeMetric;
  value: number;
  [key: string]: number | string;
}

export interface SpectralProbe {
  /** Records if `step` is a multiple of `every` and not yet recorded; returns whether it did. */
  maybeRecord(step: number): boolean;
  /** Records at `step` unconditionally. */
  record(step: number): void;
  /** All rows so far (a copy). */
  rows(): ProbeRow[];
  /** Wall-clock seconds spent inside record(), reading targets included. */
  readonly seconds: number;
  /** Number of record() calls so far. */
  readonly records: number;
}

/** All probe metrics of one spectrum (same definitions as src/metrics/spectral.ts). */
export function spectrumMetrics(s: number[], metrics: readonly ProbeMetric[] = PROBE_METRICS): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(s) || s.length === 0) fail("s", "must be a non-empty array of singular values, descending");
  effectiveRank(s); // validates: finite, non-negative, not all zero
  if (!Array.isArray(metrics)) fail("metrics", `must be an array of metric names (known: ${PROBE_METRICS.join(", ")})`);
  // Normalise by σ_max before squaring: stable rank and participation ratio are scale-invariant.
  const top = Math.max(...s);
  let f2 = 0;
  let f4 = 0;
  for (const v of s) {
    f2 += (v / top) ** 2;
    f4 += (v / top) ** 4;
  }
  for (const k of metrics) {
    if (k === "rankMe") out[k] = effectiveRank(s, { eps: 1e-7 });
    else if (k === "effectiveRank") out[k] = effectiveRank(s);
    else if (k === "stableRank")
      out[k] = f2; // ‖σ‖² / σ_max² with σ normalised by σ_max
    else if (k === "spectralNorm") out[k] = top;
    else if (k === "participationRatio") out[k] = (f2 * f2) / f4;
    else fail("metrics", `unknown metric "${String(k)}" (known: ${PROBE_METRICS.join(", ")})`);
  }
  return out;
}

/**
 * Creates a probe. Call `maybeRecord(step)` once per training step; it costs nothing on
 * steps it skips.
 */
export function createSpectralProbe(opts: SpectralProbeOptions): SpectralProbe {
  assertKnownOptions("opts", opts, ["every", "targets", "metrics"]);
  assertPositiveInt("opts.every", opts.every);
  if (opts.targets == null || typeof opts.targets !== "object")
    fail("opts.targets", "must be an object of name → () => Matrix");
  const names = Object.keys(opts.targets);
  if (names.length === 0) fail("opts.targets", "is empty; name at least one matrix to probe");
  for (const n of names)
    if (typeof opts.targets[n] !== "function") fail("opts.targets", `"${n}" must be a function returning a matrix`);
  const metrics = opts.metrics ?? ["rankMe"];
  if (!Array.isArray(metrics) || metrics.length === 0)
    fail("opts.metrics", "must be a non-empty array of metric names");
  for (const m of metrics)
    if (!PROBE_METRICS.includes(m))
      fail("opts.metrics", `unknown metric "${String(m)}" (known: ${PROBE_METRICS.join(", ")})`);
  const every = opts.every;
  const rows: ProbeRow[] = [];
  let seconds = 0;
  let records = 0;
  let lastStep = -Infinity;

  const record = (step: number): void => {
    if (!Number.isFinite(step)) fail("step", `must be a finite number, got ${step}`);
    const t0 = performance.now();
    for (const name of names) {
      const value = opts.targets[name]();
      let ml: MlMatrix;
      try {
        ml = toMl(value, `targets.${name}()`);
      } finally {
        if (value instanceof tf.Tensor && !(value instanceof tf.Variable)) value.dispose();
      }
      const vals = spectrumMetrics(singularValuesFast(ml), metrics);
      for (const metric of metrics) rows.push({ step, target: name, metric, value: vals[metric] });
    }
    lastStep = step;
    records++;
    seconds += (performance.now() - t0) / 1000;
  };

  return {
    maybeRecord(step: number): boolean {
      if (step % every !== 0 || step === lastStep) return false;
      record(step);
      return true;
    },
    record,
    rows: () => rows.map((r) => ({ ...r })),
    get seconds() {
      return seconds;
    },
    get records() {
      return records;
    },
  };
}
