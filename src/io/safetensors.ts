// safetensors reader and writer (huggingface/safetensors format): u64 LE header length N,
// N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?},
// then the little-endian, row-major byte buffer. The reader validates the whole header
// before decoding anything (no partial loads) and never reads outside the file: every
// error names the tensor (or "header") and the reason.
import * as fs from "fs";
import { fail } from "../core/validate";
import {
  decodeElements,
  Dtype,
  DTYPE_SIZE,
  DTYPES,
  encodeElements,
  Int64Mode,
  isDtype,
  numel,
  TensorData,
} from "./dtypes";

export interface SafeTensor {
  dtype: Dtype;
  shape: number[];
  /** Decoded values (F16/BF16 → Float32Array; I64/U64 → BigInt64Array/BigUint64Array or Float64Array). */
  data: TensorData;
}

/** `tensors` and `metadata` are null-prototype objects: a tensor named "__proto__" is kept like any other. */
export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** A tensor to write: values are encoded to `dtype` (F16/BF16 round to nearest even). */
export interface SafeTensorInput {
  dtype: Dtype;
  shape: number[];
  data: ArrayLike<number> | ArrayLike<bigint>;
}

export interface ReadSafetensorsOptions {
  /** I64/U64 as bigint arrays (default) or as Float64Array, failing on |v| > 2^53 − 1. */
  int64?: Int64Mode;
  /** Label for errors (e.g. the file path). */
  source?: string;
}

/** Header entries as parsed and validated (no data decoded). */
export interface SafetensorsEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  dataOffsets: [number, number];
}

const MAX_HEADER = 100 * 1024 * 1024; // the reference parser's cap

/** Fails on a key repeated inside any JSON object (JSON.parse silently keeps the last one). */
function checkDuplicateKeys(text: string, src: string): void {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "{") {
      stack.push(new Set());
      i++;
      continue;
    }
    if (c === "[") {
      stack.push(null);
      i++;
      continue;
    }
    if (c === "}" || c === "]") {
      stack.pop();
      i++;
      continue;
    }
    if (c !== '"') {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    const token = text.slice(i, j + 1);
    i = j + 1;
    let k = i;
    while (k < text.length && /\s/.test(text[k])) k++;
    const top = stack[stack.length - 1];
    if (text[k] === ":" && top) {
      const key = JSON.parse(token) as string;
      if (top.has(key))
        fail(
          stack.length === 1 ? `${src} tensor "${key}"` : `${src} header`,
          `duplicate key "${key}" in the JSON header`,
        );
      top.add(key);
    }
  }
}

/** Parses and validates the header of a safetensors byte buffer (no tensor data read). */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  opts: { source?: string } = {},
): {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  dataStart: number;
} {
  const src = opts.source ?? "safetensors";
  if (!(bytes instanceof Uint8Array)) fail(src, "must be a Uint8Array or Buffer of file bytes");
  const n = checkHeaderLength(bytes.subarray(0, 8), bytes.length, src);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length, src);
}

/**
 * Checks the 8-byte little-endian header length against the file length (before anything
 * is allocated for the header) and returns it.
 */
export function checkHeaderLength(first8: Uint8Array, fileLength: number, src: string): number {
  if (fileLength < 8 || first8.length < 8)
    fail(`${src} header`, `truncated file: ${fileLength} bytes, but the header length alone needs 8`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(fileLength - 8))
    fail(`${src} header`, `header length ${n64} is beyond the file (${fileLength - 8} bytes after the length field)`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`${src} header`, `header length ${n} exceeds the 100 MB limit`);
  if (n < 2) fail(`${src} header`, `header length ${n} is too small for a JSON object`);
  return n;
}

/**
 * Validates the JSON header (`headerBytes`, the n bytes after the length field) of a file of
 * `fileLength` bytes. Names are data: tensors and metadata are keyed without prototypes.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  fileLength: number,
  src: string,
): { entries: SafetensorsEntry[]; metadata: Record<string, string>; dataStart: number } {
  const n = headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    return fail(`${src} header`, "is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`${src} header`, `invalid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail(`${src} header`, "must be a JSON object");
  checkDuplicateKeys(text, src);
  const dataStart = 8 + n;
  const bufferLen = fileLength - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw))
        fail(`${src} __metadata__`, "must be an object of string values");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`${src} __metadata__`, `value of "${k}" is ${typeof v}; expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    const arg = `${src} tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      fail(arg, "header entry must be an object {dtype, shape, data_offsets}");
    const e = raw as Record<string, unknown>;
    if (!isDtype(e.dtype))
      fail(arg, `unknown or unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${DTYPES.join(", ")})`);
    if (!Array.isArray(e.shape)) fail(arg, "shape must be an array of non-negative integers");
    const shape = e.shape as number[];
    const count = numel(shape, arg);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => Number.isSafeInteger(v) && v >= 0)) {
      fail(arg, "data_offsets must be [begin, end] with non-negative integers");
    }
    const [begin, end] = off as [number, number];
    if (begin > end) fail(arg, `data_offsets [${begin}, ${end}] have begin > end`);
    if (end > bufferLen)
      fail(
        arg,
        `data_offsets [${begin}, ${end}] are out of range: the data buffer has ${bufferLen} bytes (truncated file?)`,
      );
    const need = count * DTYPE_SIZE[e.dtype];
    if (end - begin !== need)
      fail(arg, `shape [${shape.join(", ")}] of ${e.dtype} needs ${need} bytes but data_offsets span ${end - begin}`);
    entries.push({ name, dtype: e.dtype, shape: [...shape], dataOffsets: [begin, end] });
  }
  // Ranges must tile the buffer in order without overlap (as the reference parser requires).
  const sorted = [...entries].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let pos = 0;
  let prev: SafetensorsEntry | null = null;
  for (const e of sorted) {
    const [b, en] = e.dataOffsets;
    if (b < pos)
      fail(
        `${src} tensor "${e.name}"`,
        `data_offsets [${b}, ${en}] overlap tensor "${prev?.name}" [${prev?.dataOffsets.join(", ")}]`,
      );
    if (b > pos)
      fail(`${src} tensor "${e.name}"`, `data_offsets [${b}, ${en}] leave a gap after byte ${pos} of the data buffer`);
    pos = en;
    prev = e;
  }
  if (pos !== bufferLen)
    fail(`${src} header`, `tensors cover ${pos} bytes but the data buffer has ${bufferLen} (trailing bytes)`);
  return { entries, metadata, dataStart };
}

/** Parses a whole safetensors buffer; throws (naming tensor and reason) on any inconsistency. */
export function readSafetensors(bytes: Uint8Array, opts: ReadSafetensorsOptions = {}): SafetensorsFile {
  const src = opts.source ?? "safetensors";
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, { source: src });
  const tensors: Record<string, SafeTensor> = Object.create(null);
  for (const e of entries) {
    const [b, en] = e.dataOffsets;
    const count = numel(e.shape, e.name);
    const data = decodeElements(
      bytes.subarray(dataStart + b, dataStart + en),
      e.dtype,
      count,
      `${src} tensor "${e.name}"`,
      opts.int64,
    );
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return { tensors, metadata };
}

/** Reads a .safetensors file from disk. */
export function loadSafetensors(path: string, opts: Omit<ReadSafetensorsOptions, "source"> = {}): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    return fail(path, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...opts, source: path });
}

/**
 * Serialises tensors (in insertion order) with optional string metadata. The header is
 * padded with spaces so the data buffer starts at a multiple of 8 bytes.
 */
export function writeSafetensors(
  tensors: Record<string, SafeTensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (tensors == null || typeof tensors !== "object")
    fail("tensors", "must be an object mapping names to {dtype, shape, data}");
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object") fail("metadata", "must be an object of string values");
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== "string") fail("metadata", `value of "${k}" must be a string, got ${typeof v}`);
    if (Object.keys(metadata).length) header.__metadata__ = Object.assign(Object.create(null), metadata);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const arg = `tensors["${name}"]`;
    if (name === "" || name === "__metadata__") fail(arg, "is not a valid tensor name");
    if (t == null || typeof t !== "object") fail(arg, "must be {dtype, shape, data}");
    if (!isDtype(t.dtype)) fail(arg, `unknown dtype ${JSON.stringify(t.dtype)} (known: ${DTYPES.join(", ")})`);
    if (!Array.isArray(t.shape)) fail(arg, "shape must be an array");
    const count = numel(t.shape, arg);
    if (t.data == null || t.data.length !== count)
      fail(arg, `has ${t.data?.length} values; shape [${t.shape.join(", ")}] needs ${count}`);
    const bytes = encodeElements(t.data, t.dtype, arg);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((8 + Buffer.byteLength(json, "utf8")) % 8)) % 8;
  json += " ".repeat(pad);
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Writes tensors to a .safetensors file. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, SafeTensorInput>,
  metadata?: Record<string, string>,
): void {
  fs.writeFileSync(path, writeSafetensors(tensors, metadata));
}
