// Checkpoint comparison one tensor at a time: read a base tensor and its tuned counterpart
// (from a second checkpoint, or base + ΔW from a PEFT LoRA adapter), analyse, drop both.
// Peak memory is bounded by the largest tensor pair, not by the checkpoint.
import { svd, SVDResult } from "../linalg/decompose";
import { toNumberArray } from "../io/dtypes";
import { CheckpointReader } from "../io/checkpoint";
import { LoraAdapter } from "../io/peft";
import { SafeTensor } from "../io/safetensors";
import { maxCosinesFromSvd } from "../metrics/intruders";
import { effectiveRank, relativeWeightChange } from "../metrics/spectral";

export interface AnalyzeTensorRow {
  name: string;
  shape: number[];
  intruders: number;
  relativeChange: number;
  effectiveRankBase: number | null;
  effectiveRankTuned: number | null;
  stableRankBase: number | null;
  stableRankTuned: number | null;
}

export interface AnalyzeReport {
  tensors: AnalyzeTensorRow[];
  totals: { intruders: number; tensors: number };
  /** Tensors not compared, with the reason (missing on one side, shape mismatch, not 2-D, non-finite, filtered). */
  skipped: Array<{ name: string; reason: string }>;
  options: { k: number; epsilon: number };
}

/** A matrix as stored: rows × cols of float64 values. */
export interface Matrix2D {
  shape: number[];
  data: Float64Array;
}

/** What the analysis reads tensors from. */
export interface TensorSource {
  names: string[];
  shape(name: string): number[] | undefined;
  read(name: string): Matrix2D;
}

export const toMatrix = (t: SafeTensor, name: string): Matrix2D => ({
  shape: t.shape,
  data: toNumberArray(t.data, name),
});

export function checkpointSource(c: CheckpointReader): TensorSource {
  return {
    names: c.names,
    shape: (n) => c.entry(n)?.shape,
    read: (n) => toMatrix(c.read(n), n),
  };
}

/**
 * The tuned side of an adapter run: base + ΔW for LoRA modules, whole replacements for
 * modules_to_save; only tensors the adapter changes are listed.
 */
export function adapterSource(base: CheckpointReader, adapter: LoraAdapter): TensorSource {
  const names = [...adapter.modules.keys(), ...adapter.replacements.keys()];
  return {
    names,
    shape: (n) => (adapter.modules.has(n) || adapter.replacements.has(n) ? base.entry(n)?.shape : undefined),
    read(n) {
      if (adapter.replacements.has(n)) return toMatrix(adapter.readReplacement(n), n);
      const w = toMatrix(base.read(n), n);
      const d = adapter.delta(n);
      if (d.shape.join() !== w.shape.join())
        throw new Error(`adapter ΔW has shape [${d.shape.join(", ")}] but the base tensor is [${w.shape.join(", ")}]`);
      const out = new Float64Array(w.data.length);
      for (let i = 0; i < out.length; i++) out[i] = w.data[i] + d.data[i];
      return { shape: w.shape, data: out };
    },
  };
}

/** Rows of a matrix as number[][], refusing non-finite entries (named by position). */
export function rows(m: Matrix2D): number[][] {
  const [r, c] = m.shape;
  const flat = m.data;
  for (let i = 0; i < flat.length; i++)
    if (!Number.isFinite(flat[i])) throw new Error(`entry [${Math.floor(i / c)}][${i % c}] is ${flat[i]}`);
  return Array.from({ length: r }, (_, i) => Array.from(flat.subarray(i * c, (i + 1) * c)));
}

/** The value, or null when the metric is undefined for this matrix (e.g. all zeros). */
export const orNull = (f: () => number): number | null => {
  try {
    return f();
  } catch {
    return null; // e.g. an all-zero matrix has no effective / stable rank
  }
};
/** Stable rank ‖σ‖² / σ₁² from singular values (NaN for a zero matrix). */
export const stable = (s: number[]) => (s[0] > 0 ? s.reduce((a, v) => a + v * v, 0) / (s[0] * s[0]) : NaN);
export const nanToNull = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);

/** Compares two matrices of the same shape; returns the row, or a reason to skip. */
export function compareMatrices(
  name: string,
  a: Matrix2D,
  b: Matrix2D,
  opts: { k: number; epsilon: number },
): AnalyzeTensorRow | string {
  let ra: number[][];
  let rb: number[][];
  try {
    ra = rows(a);
    rb = rows(b);
  } catch (e) {
    return `non-finite values: ${(e as Error).message}`;
  }
  const sa: SVDResult = svd(ra);
  const sb: SVDResult = svd(rb);
  const cos = maxCosinesFromSvd(sa, sb, opts.k);
  return {
    name,
    shape: [...a.shape],
    intruders: cos.filter((c) => c < opts.epsilon).length,
    relativeChange: orNull(() => relativeWeightChange(ra, rb)) ?? NaN,
    effectiveRankBase: orNull(() => effectiveRank(sa.S)),
    effectiveRankTuned: orNull(() => effectiveRank(sb.S)),
    stableRankBase: nanToNull(stable(sa.S)),
    stableRankTuned: nanToNull(stable(sb.S)),
  };
}

export interface StreamOptions {
  k: number;
  epsilon: number;
  /** Tensor name patterns: a tensor is analysed when it matches some include (if any) and no exclude. */
  include?: RegExp[];
  exclude?: RegExp[];
  /** After each tensor (analysed or skipped): done of total. */
  onProgress?(done: number, total: number, name: string): void;
  /** Whether names in base that the tuned side does not list are reported (not for adapters). */
  reportMissingInTuned?: boolean;
}

/** Streams the comparison: one tensor pair in memory at a time. */
export function analyzeSources(base: TensorSource, tuned: TensorSource, opts: StreamOptions): AnalyzeReport {
  const out: AnalyzeReport = {
    tensors: [],
    totals: { intruders: 0, tensors: 0 },
    skipped: [],
    options: { k: opts.k, epsilon: opts.epsilon },
  };
  const wanted = (n: string) =>
    (!opts.include?.length || opts.include.some((r) => r.test(n))) && !opts.exclude?.some((r) => r.test(n));
  const tunedNames = new Set(tuned.names);
  const baseNames = new Set(base.names);
  const work = base.names.filter((n) => tunedNames.has(n));
  const total = work.length;
  let done = 0;
  const missingInTuned = opts.reportMissingInTuned ?? true;
  for (const name of base.names) {
    if (tunedNames.has(name)) continue;
    out.skipped.push({ name, reason: missingInTuned ? "missing in tuned" : "unchanged by the adapter" });
  }
  for (const name of work) {
    const skip = (reason: string) => out.skipped.push({ name, reason });
    const sb = base.shape(name)!;
    const st = tuned.shape(name);
    if (!wanted(name)) skip("filtered out by --include/--exclude");
    else if (!st) skip("missing in tuned");
    else if (sb.length !== 2 || st.length !== 2) skip(`not 2-D (shape [${sb.join(", ")}])`);
    else if (sb.join() !== st.join()) skip(`shape [${sb.join(", ")}] in base vs [${st.join(", ")}] in tuned`);
    else if (sb[0] === 0 || sb[1] === 0) skip("empty");
    else {
      let r: AnalyzeTensorRow | string;
      try {
        r = compareMatrices(name, base.read(name), tuned.read(name), opts);
      } catch (e) {
        r = (e as Error).message;
      }
      if (typeof r === "string") skip(r);
      else {
        out.tensors.push(r);
        out.totals.intruders += r.intruders;
        out.totals.tensors += 1;
      }
    }
    opts.onProgress?.(++done, total, name);
  }
  for (const name of tuned.names) if (!baseNames.has(name)) out.skipped.push({ name, reason: "missing in base" });
  return out;
}
