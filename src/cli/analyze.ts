// `initlab analyze` and `initlab spectrum`: spectral and intruder-dimension summaries of
// the 2-D tensors in .safetensors checkpoints. Matrices are analysed as stored (PyTorch
// [out, in] layout ⇒ intruders use the output space, as in Shuttleworth et al.).
import { SVDResult, svd } from "../linalg/decompose";
import { loadSafetensors, SafeTensor, SafetensorsFile } from "../io/safetensors";
import { toNumberArray } from "../io/dtypes";
import { maxCosinesFromSvd } from "../metrics/intruders";
import { effectiveRank, relativeWeightChange } from "../metrics/spectral";
import { CliCommand, CliIO, CliUsageError, parseFlags } from "./flags";

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
  /** Tensors not compared, with the reason (missing on one side, shape mismatch, not 2-D, non-finite). */
  skipped: Array<{ name: string; reason: string }>;
  options: { k: number; epsilon: number };
}

function rows(t: SafeTensor, name: string): number[][] {
  const [r, c] = t.shape;
  const flat = toNumberArray(t.data, name);
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) throw new Error(`entry [${Math.floor(i / c)}][${i % c}] is ${flat[i]}`);
  }
  return Array.from({ length: r }, (_, i) => Array.from(flat.subarray(i * c, (i + 1) * c)));
}

const orNull = (f: () => number): number | null => {
  try {
    return f();
  } catch {
    return null; // e.g. an all-zero matrix has no effective / stable rank
  }
};
const stable = (s: number[]) => (s[0] > 0 ? s.reduce((a, v) => a + v * v, 0) / (s[0] * s[0]) : NaN);
const nanToNull = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);

/** Compares every 2-D tensor present in both files with the same shape. */
export function analyzeCheckpoints(
  base: SafetensorsFile,
  tuned: SafetensorsFile,
  opts: { k: number; epsilon: number },
): AnalyzeReport {
  const out: AnalyzeReport = { tensors: [], totals: { intruders: 0, tensors: 0 }, skipped: [], options: { ...opts } };
  for (const [name, tb] of Object.entries(base.tensors)) {
    const tt = tuned.tensors[name];
    if (!tt) {
      out.skipped.push({ name, reason: "missing in tuned" });
      continue;
    }
    if (tb.shape.length !== 2 || tt.shape.length !== 2) {
      out.skipped.push({ name, reason: `not 2-D (shape [${tb.shape.join(", ")}])` });
      continue;
    }
    if (tb.shape.join() !== tt.shape.join()) {
      out.skipped.push({ name, reason: `shape [${tb.shape.join(", ")}] in base vs [${tt.shape.join(", ")}] in tuned` });
      continue;
    }
    if (tb.shape[0] === 0 || tb.shape[1] === 0) {
      out.skipped.push({ name, reason: "empty" });
      continue;
    }
    let a: number[][];
    let b: number[][];
    try {
      a = rows(tb, name);
      b = rows(tt, name);
    } catch (e) {
      out.skipped.push({ name, reason: `non-finite values: ${(e as Error).message}` });
      continue;
    }
    const sa: SVDResult = svd(a);
    const sb: SVDResult = svd(b);
    const cos = maxCosinesFromSvd(sa, sb, opts.k);
    const intruders = cos.filter((c) => c < opts.epsilon).length;
    out.tensors.push({
      name,
      shape: [...tb.shape],
      intruders,
      relativeChange: orNull(() => relativeWeightChange(a, b)) ?? NaN,
      effectiveRankBase: orNull(() => effectiveRank(sa.S)),
      effectiveRankTuned: orNull(() => effectiveRank(sb.S)),
      stableRankBase: nanToNull(stable(sa.S)),
      stableRankTuned: nanToNull(stable(sb.S)),
    });
    out.totals.intruders += intruders;
    out.totals.tensors += 1;
  }
  for (const name of Object.keys(tuned.tensors))
    if (!base.tensors[name]) out.skipped.push({ name, reason: "missing in base" });
  return out;
}

export interface SpectrumRow {
  name: string;
  shape: number[];
  singularValues: number[];
  effectiveRank: number | null;
  stableRank: number | null;
  spectralNorm: number;
}

/** Singular values and rank summaries of every 2-D tensor in a file. */
export function spectrumOfCheckpoint(file: SafetensorsFile): {
  tensors: SpectrumRow[];
  skipped: Array<{ name: string; reason: string }>;
} {
  const tensors: SpectrumRow[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const [name, t] of Object.entries(file.tensors)) {
    if (t.shape.length !== 2) {
      skipped.push({ name, reason: `not 2-D (shape [${t.shape.join(", ")}])` });
      continue;
    }
    if (t.shape[0] === 0 || t.shape[1] === 0) {
      skipped.push({ name, reason: "empty" });
      continue;
    }
    let m: number[][];
    try {
      m = rows(t, name);
    } catch (e) {
      skipped.push({ name, reason: `non-finite values: ${(e as Error).message}` });
      continue;
    }
    const s = svd(m, { vectors: false }).S;
    tensors.push({
      name,
      shape: [...t.shape],
      singularValues: s,
      effectiveRank: orNull(() => effectiveRank(s)),
      stableRank: nanToNull(stable(s)),
      spectralNorm: s[0],
    });
  }
  return { tensors, skipped };
}

const fmt = (v: number | null, d = 4) =>
  v === null || !Number.isFinite(v) ? "n/a" : Number(v.toPrecision(d)).toString();

function table(head: string[], body: string[][]): string {
  const w = head.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  return [head, ...body]
    .map((r) =>
      r
        .map((c, j) => c.padEnd(w[j]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function load(path: string, flag: string): SafetensorsFile {
  if (!path) throw new CliUsageError(`${flag} <file.safetensors> is required`);
  return loadSafetensors(path);
}

export const analyzeCommand: CliCommand = {
  summary: "compare two checkpoints: spectra, relative change and intruder dimensions per 2-D tensor",
  usage: "initlab analyze --base A.safetensors --tuned B.safetensors [--k 10] [--epsilon 0.5] [--json]",
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, {
      base: "string",
      tuned: "string",
      k: "number",
      epsilon: "number",
      json: "boolean",
    });
    if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
    const k = (flags.k as number | undefined) ?? 10;
    const epsilon = (flags.epsilon as number | undefined) ?? 0.5;
    if (!Number.isInteger(k) || k <= 0) throw new CliUsageError(`--k must be a positive integer, got ${k}`);
    if (!(epsilon >= 0 && epsilon <= 1)) throw new CliUsageError(`--epsilon must lie in [0, 1], got ${epsilon}`);
    const base = load(flags.base as string, "--base");
    const tuned = load(flags.tuned as string, "--tuned");
    const rep = analyzeCheckpoints(base, tuned, { k, epsilon });
    if (flags.json) {
      io.out(JSON.stringify(rep) + "\n");
      return 0;
    }
    const body = rep.tensors.map((t) => [
      t.name,
      t.shape.join("×"),
      String(t.intruders),
      fmt(t.relativeChange),
      `${fmt(t.effectiveRankBase)} → ${fmt(t.effectiveRankTuned)}`,
      `${fmt(t.stableRankBase)} → ${fmt(t.stableRankTuned)}`,
    ]);
    const lines = [table(["tensor", "shape", "intruders", "rel. change", "effective rank", "stable rank"], body)];
    for (const s of rep.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
    lines.push(
      `total: ${rep.totals.intruders} intruder dimension(s) in ${rep.totals.tensors} tensor(s) (k=${k}, ε=${epsilon}; left singular vectors of [out, in] weights)`,
    );
    io.out(lines.join("\n") + "\n");
    return 0;
  },
};

export const spectrumCommand: CliCommand = {
  summary: "singular values, effective rank and stable rank of every 2-D tensor in a checkpoint",
  usage: "initlab spectrum file.safetensors [--json]",
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, { json: "boolean" });
    if (positionals.length !== 1) throw new CliUsageError(`expected one file, got ${positionals.length}`);
    const rep = { file: positionals[0], ...spectrumOfCheckpoint(load(positionals[0], "file")) };
    if (flags.json) {
      io.out(JSON.stringify(rep) + "\n");
      return 0;
    }
    const body = rep.tensors.map((t) => [
      t.name,
      t.shape.join("×"),
      fmt(t.spectralNorm),
      fmt(t.effectiveRank),
      fmt(t.stableRank),
      t.singularValues
        .slice(0, 5)
        .map((v) => fmt(v, 3))
        .join(" ") + (t.singularValues.length > 5 ? " …" : ""),
    ]);
    const lines = [table(["tensor", "shape", "σ_max", "effective rank", "stable rank", "top singular values"], body)];
    for (const s of rep.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
    io.out(lines.join("\n") + "\n");
    return 0;
  },
};
