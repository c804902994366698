// `initlab analyze` and `initlab spectrum`: spectral and intruder-dimension summaries of
// the 2-D tensors in .safetensors checkpoints. Matrices are analysed as stored (PyTorch
// [out, in] layout ⇒ intruders use the output space, as in Shuttleworth et al.).
import { svd } from "../linalg/decompose";
import { openCheckpoint, CheckpointReader } from "../io/checkpoint";
import { openLoraAdapter, LoraAdapter } from "../io/peft";
import { SafeTensor, SafetensorsFile } from "../io/safetensors";
import { effectiveRank } from "../metrics/spectral";
import {
  adapterSource,
  analyzeSources,
  AnalyzeReport,
  checkpointSource,
  Matrix2D,
  nanToNull,
  orNull,
  rows,
  stable,
  TensorSource,
  toMatrix,
} from "./analyze-stream";
import { writeAnalyzeReport } from "./analyze-report";
import { CliCommand, CliIO, CliUsageError, parseFlags } from "./flags";

export type { AnalyzeReport, AnalyzeTensorRow } from "./analyze-stream";

function memorySource(f: SafetensorsFile): TensorSource {
  const names = Object.keys(f.tensors);
  const get = (n: string): SafeTensor | undefined =>
    Object.prototype.hasOwnProperty.call(f.tensors, n) ? f.tensors[n] : undefined;
  return {
    names,
    shape: (n) => get(n)?.shape,
    read: (n): Matrix2D => toMatrix(get(n)!, n),
  };
}

/** Compares every 2-D tensor present in both (in-memory) files with the same shape. */
export function analyzeCheckpoints(
  base: SafetensorsFile,
  tuned: SafetensorsFile,
  opts: { k: number; epsilon: number },
): AnalyzeReport {
  return analyzeSources(memorySource(base), memorySource(tuned), opts);
}

export interface SpectrumRow {
  name: string;
  shape: number[];
  singularValues: number[];
  effectiveRank: number | null;
  stableRank: number | null;
  spectralNorm: number;
}

/** Singular values and rank summaries of every 2-D tensor in a file (in memory, or read one at a time). */
export function spectrumOfCheckpoint(file: SafetensorsFile | CheckpointReader): {
  tensors: SpectrumRow[];
  skipped: Array<{ name: string; reason: string }>;
} {
  const tensors: SpectrumRow[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  const reader = "tensors" in file ? null : file;
  const names = reader ? reader.names : Object.keys((file as SafetensorsFile).tensors);
  for (const name of names) {
    const t = reader ? reader.read(name) : (file as SafetensorsFile).tensors[name];
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
      m = rows(toMatrix(t, name));
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

const USAGE =
  "initlab analyze --base A.safetensors|MODEL_DIR (--tuned B.safetensors|MODEL_DIR | --adapter PEFT_DIR) " +
  "[--k 10] [--epsilon 0.5] [--include REGEX] [--exclude REGEX] [--json] [--report DIR] [--progress]";

function open(p: string | undefined, flag: string): CheckpointReader {
  if (!p) throw new CliUsageError(`${flag} <file.safetensors or model folder> is required`);
  return openCheckpoint(p);
}

function regex(v: unknown, flag: string): RegExp[] {
  if (v === undefined) return [];
  try {
    return [new RegExp(v as string)];
  } catch (e) {
    throw new CliUsageError(`${flag} is not a valid regular expression: ${(e as Error).message}`);
  }
}

const clock = (s: number) =>
  s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;

/** A progress line: tensors done, elapsed, ETA (rewritten in place on a terminal). */
function progressLine(io: CliIO, tty: boolean): (done: number, total: number, name: string) => void {
  const t0 = Date.now();
  let last = 0;
  return (done, total, name) => {
    const now = Date.now();
    if (done < total && now - last < (tty ? 200 : 5000)) return;
    last = now;
    const el = (now - t0) / 1000;
    const eta = done > 0 ? (el / done) * (total - done) : NaN;
    const line = `analyze: ${done}/${total} tensors, ${clock(el)} elapsed, ETA ${Number.isFinite(eta) ? clock(eta) : "?"} (${name})`;
    io.err(tty ? `\r${line}\x1b[K${done === total ? "\n" : ""}` : line + "\n");
  };
}

export const analyzeCommand: CliCommand = {
  summary: "compare two checkpoints (files, model folders, sharded, or base + PEFT LoRA adapter): intruder dimensions",
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { flags, positionals } = parseFlags(args, {
      base: "string",
      tuned: "string",
      adapter: "string",
      k: "number",
      epsilon: "number",
      include: "string",
      exclude: "string",
      json: "boolean",
      report: "string",
      progress: "boolean",
    });
    if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
    const k = (flags.k as number | undefined) ?? 10;
    const epsilon = (flags.epsilon as number | undefined) ?? 0.5;
    if (!Number.isInteger(k) || k <= 0) throw new CliUsageError(`--k must be a positive integer, got ${k}`);
    if (!(epsilon >= 0 && epsilon <= 1)) throw new CliUsageError(`--epsilon must lie in [0, 1], got ${epsilon}`);
    if (flags.tuned !== undefined && flags.adapter !== undefined)
      throw new CliUsageError("give --tuned or --adapter, not both");
    if (flags.base === undefined) throw new CliUsageError("--base <file.safetensors or model folder> is required");
    if (flags.tuned === undefined && flags.adapter === undefined)
      throw new CliUsageError("--tuned <file.safetensors or model folder> (or --adapter <PEFT folder>) is required");
    const include = regex(flags.include, "--include");
    const exclude = regex(flags.exclude, "--exclude");
    const base = open(flags.base as string, "--base");
    let tunedCk: CheckpointReader | null = null;
    let adapter: LoraAdapter | null = null;
    try {
      let tuned: TensorSource;
      if (flags.adapter !== undefined) {
        adapter = openLoraAdapter(flags.adapter as string);
        tuned = adapterSource(base, adapter);
        const hits = tuned.names.filter((n) => base.entry(n) !== undefined).length;
        if (tuned.names.length && !hits)
          throw new Error(
            `${flags.adapter}: none of the adapter's ${tuned.names.length} module(s) (e.g. "${tuned.names[0]}") is a tensor of --base; is it this adapter's base model?`,
          );
      } else {
        tunedCk = open(flags.tuned as string, "--tuned");
        tuned = checkpointSource(tunedCk);
      }
      const tty = Boolean(process.stderr.isTTY);
      const rep = analyzeSources(checkpointSource(base), tuned, {
        k,
        epsilon,
        include,
        exclude,
        reportMissingInTuned: adapter === null,
        onProgress: flags.progress || tty ? progressLine(io, tty) : undefined,
      });
      if (adapter)
        for (const s of adapter.ignored) rep.skipped.push({ name: s.name, reason: `adapter module ${s.reason}` });
      if (flags.report !== undefined) {
        const w = await writeAnalyzeReport(rep, flags.report as string, {
          base: flags.base as string,
          tuned: (flags.tuned ?? `${flags.base} + adapter ${flags.adapter}`) as string,
        });
        io.err(`analyze: wrote ${w.html} (${w.figures.length} figure(s) as SVG, PNG and PDF)\n`);
      }
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
    } finally {
      base.close();
      tunedCk?.close();
      adapter?.close();
    }
  },
};

export const spectrumCommand: CliCommand = {
  summary: "singular values, effective rank and stable rank of every 2-D tensor in a checkpoint",
  usage: "initlab spectrum file.safetensors|MODEL_DIR [--json]",
  run(args: string[], io: CliIO): number {
    const { flags, positionals } = parseFlags(args, { json: "boolean" });
    if (positionals.length !== 1) throw new CliUsageError(`expected one file, got ${positionals.length}`);
    const ck = open(positionals[0], "file");
    let rep: { file: string } & ReturnType<typeof spectrumOfCheckpoint>;
    try {
      rep = { file: positionals[0], ...spectrumOfCheckpoint(ck) };
    } finally {
      ck.close();
    }
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
