// Checkpoints as Hugging Face writes them: one .safetensors file, or a model folder holding
// `model.safetensors`, or shards `model-0000x-of-0000y.safetensors` listed by
// `model.safetensors.index.json` ({metadata, weight_map: {tensor: shard file}}). Shards are
// opened lazily and tensors read one at a time. Names from files are data: every map here
// is a Map, so "__proto__" or "constructor" are names like any other.
import * as fs from "fs";
import * as path from "path";
import { fail } from "../core/validate";
import { Int64Mode } from "./dtypes";
import { SafeTensor, SafetensorsEntry } from "./safetensors";
import { openSafetensors, SafetensorsReader } from "./safetensors-file";

export interface SafetensorsIndex {
  /** `metadata` of the index (e.g. total_size), values as parsed. */
  metadata: Map<string, unknown>;
  /** Tensor name → shard file name (a plain file name inside the model folder). */
  weightMap: Map<string, string>;
}

const MAX_INDEX = 64 * 1024 * 1024;

/** Parses and validates a model.safetensors.index.json text. */
export function parseSafetensorsIndex(text: string, source = "index.json"): SafetensorsIndex {
  if (typeof text !== "string") fail(source, "must be the text of an index.json file");
  if (text.length > MAX_INDEX) fail(source, `is ${text.length} characters; an index over 64 MB is not plausible`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(source, `invalid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail(source, "must be a JSON object");
  const o = json as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(o, "weight_map")) fail(source, 'has no "weight_map"');
  const wm = o.weight_map;
  if (wm === null || typeof wm !== "object" || Array.isArray(wm))
    fail(`${source} weight_map`, "must be an object mapping tensor names to shard file names");
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    const arg = `${source} weight_map["${name}"]`;
    if (name === "") fail(arg, "tensor name is empty");
    if (typeof file !== "string" || file === "") fail(arg, `shard must be a file name, got ${JSON.stringify(file)}`);
    // A shard is a file in the model folder: no folders, no way out of it.
    if (file.includes("/") || file.includes("\\") || file === "." || file === ".." || file.includes("\0"))
      fail(arg, `shard "${file}" must be a plain file name inside the model folder`);
    if (!file.endsWith(".safetensors")) fail(arg, `shard "${file}" is not a .safetensors file`);
    weightMap.set(name, file);
  }
  const metadata = new Map<string, unknown>();
  if (o.metadata !== undefined && o.metadata !== null) {
    if (typeof o.metadata !== "object" || Array.isArray(o.metadata)) fail(`${source} metadata`, "must be an object");
    for (const [k, v] of Object.entries(o.metadata as Record<string, unknown>)) metadata.set(k, v);
  }
  return { metadata, weightMap };
}

export interface CheckpointReader {
  /** The path given (file or folder). */
  source: string;
  /** "file", "folder" (one model.safetensors) or "sharded" (index + shards). */
  layout: "file" | "folder" | "sharded";
  /** Tensor names in a stable order (index order for sharded folders, header order otherwise). */
  names: string[];
  /** Header entry (dtype, shape) of a tensor, without reading its data. */
  entry(name: string): SafetensorsEntry | undefined;
  read(name: string, opts?: { int64?: Int64Mode }): SafeTensor;
  /** Total bytes of the files behind the checkpoint. */
  bytes: number;
  close(): void;
}

const INDEX = "model.safetensors.index.json";

function singleFile(file: string, source: string, layout: "file" | "folder"): CheckpointReader {
  const r = openSafetensors(file);
  return {
    source,
    layout,
    names: [...r.entries.keys()],
    entry: (name) => r.entries.get(name),
    read: (name, opts) => r.read(name, opts),
    bytes: r.size,
    close: () => r.close(),
  };
}

function sharded(dir: string): CheckpointReader {
  const indexPath = path.join(dir, INDEX);
  let text: string;
  try {
    text = fs.readFileSync(indexPath, "utf8");
  } catch (e) {
    return fail(indexPath, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const index = parseSafetensorsIndex(text, indexPath);
  const shards = new Map<string, SafetensorsReader>();
  const openShard = (file: string): SafetensorsReader => {
    let r = shards.get(file);
    if (!r) {
      r = openSafetensors(path.join(dir, file));
      shards.set(file, r);
    }
    return r;
  };
  try {
    // Validate every shard header up front: each indexed tensor is where the index says.
    let bytes = 0;
    for (const file of new Set(index.weightMap.values())) bytes += openShard(file).size;
    for (const [name, file] of index.weightMap)
      if (!openShard(file).entries.has(name))
        fail(`${indexPath} weight_map["${name}"]`, `tensor is not in its shard ${file}`);
    return {
      source: dir,
      layout: "sharded",
      names: [...index.weightMap.keys()],
      entry: (name) => {
        const file = index.weightMap.get(name);
        return file === undefined ? undefined : openShard(file).entries.get(name);
      },
      read: (name, opts) => {
        const file = index.weightMap.get(name);
        if (file === undefined) return fail("name", `no tensor "${name}" in ${indexPath}`);
        return openShard(file).read(name, opts);
      },
      bytes,
      close: () => {
        for (const r of shards.values()) r.close();
      },
    };
  } catch (e) {
    for (const r of shards.values()) r.close();
    throw e;
  }
}

/**
 * Opens a checkpoint: a .safetensors file, or a folder with model.safetensors.index.json
 * (sharded), model.safetensors, or exactly one .safetensors file.
 */
export function openCheckpoint(p: string): CheckpointReader {
  if (typeof p !== "string" || p === "") fail("path", "must be a file or folder path");
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    return fail(p, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) return singleFile(p, p, "file");
  if (fs.existsSync(path.join(p, INDEX))) return sharded(p);
  if (fs.existsSync(path.join(p, "model.safetensors")))
    return singleFile(path.join(p, "model.safetensors"), p, "folder");
  const found = fs.readdirSync(p).filter((f) => f.endsWith(".safetensors"));
  if (found.length === 1) return singleFile(path.join(p, found[0]), p, "folder");
  if (found.length === 0)
    fail(p, `is a folder without ${INDEX}, model.safetensors or any .safetensors file (a PEFT adapter? use --adapter)`);
  return fail(p, `holds ${found.length} .safetensors files but no ${INDEX} saying which tensor is where`);
}
