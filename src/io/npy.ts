// NumPy .npy reader and writer (format versions 1.0–3.0 read, 1.0 written; 2.0 when the
// header needs it). Little-endian, C-order only: big-endian data and fortran_order=True
// are rejected with a named error rather than misread. Element types share the
// safetensors dtype names (F32 ↔ '<f4', I64 ↔ '<i8', BOOL ↔ '|b1', ...).
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

export interface NpyArray {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface NpyInput {
  dtype: Dtype;
  shape: number[];
  data: ArrayLike<number> | ArrayLike<bigint>;
}

const DESCR: Record<Dtype, string | null> = {
  BOOL: "|b1",
  U8: "|u1",
  I8: "|i1",
  U16: "<u2",
  I16: "<i2",
  U32: "<u4",
  I32: "<i4",
  U64: "<u8",
  I64: "<i8",
  F16: "<f2",
  BF16: null,
  F32: "<f4",
  F64: "<f8",
};

function dtypeOfDescr(descr: string, src: string): Dtype {
  // numpy writes one-byte types with '|' but accepts '<' and '=' too.
  const norm =
    descr.length === 3 && descr[2] === "1" && (descr[0] === "<" || descr[0] === "=")
      ? "|" + descr.slice(1)
      : descr.replace(/^=/, "<");
  for (const d of DTYPES) if (DESCR[d] === norm) return d;
  if (descr.startsWith(">")) fail(src, `dtype '${descr}' is big-endian; only little-endian .npy files are supported`);
  return fail(src, `unknown or unsupported dtype '${descr}'`);
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses numpy's header dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. */
function parseHeader(text: string, src: string): { descr: string; fortran: boolean; shape: number[] } {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}"))
    fail(src, `header is not a Python dict literal: ${JSON.stringify(t.slice(0, 80))}`);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(t);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(t);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(t);
  if (!descr || !fortran || !shape) fail(src, "header must contain 'descr', 'fortran_order' and 'shape'");
  const keys = t.match(/'([^']*)'\s*:/g) ?? [];
  if (keys.length !== 3) fail(src, `header has ${keys.length} keys; expected exactly descr, fortran_order, shape`);
  const dims = shape[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const out = dims.map((s) => {
    if (!/^\d+L?$/.test(s)) fail(src, `shape entry "${s}" is not a non-negative integer`);
    return Number(s.replace("L", ""));
  });
  return { descr: descr[1], fortran: fortran[1] === "True", shape: out };
}

/** Parses .npy bytes; errors name the source and the reason. */
export function readNpy(bytes: Uint8Array, opts: { int64?: Int64Mode; source?: string } = {}): NpyArray {
  const src = opts.source ?? "npy";
  if (!(bytes instanceof Uint8Array)) fail(src, "must be a Uint8Array or Buffer of file bytes");
  if (bytes.length < 10) fail(src, `truncated file: ${bytes.length} bytes; the .npy preamble needs 10`);
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) fail(src, "bad magic: not a .npy file");
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let hstart: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(src, "truncated file inside the version 2/3 preamble");
    hlen = dv.getUint32(8, true);
    hstart = 12;
  } else return fail(src, `unsupported .npy format version ${major}.${bytes[7]}`);
  if (hstart + hlen > bytes.length)
    fail(src, `header length ${hlen} is beyond the file (${bytes.length - hstart} bytes left)`);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(hstart, hstart + hlen));
  const h = parseHeader(text, src);
  if (h.fortran) fail(src, "fortran_order=True is not supported; save with np.ascontiguousarray");
  const dtype = dtypeOfDescr(h.descr, src);
  const count = numel(h.shape, src);
  const dataStart = hstart + hlen;
  const need = count * DTYPE_SIZE[dtype];
  if (bytes.length - dataStart !== need) {
    fail(
      src,
      `shape (${h.shape.join(", ")}) of ${h.descr} needs ${need} data bytes but the file has ${bytes.length - dataStart}`,
    );
  }
  return { dtype, shape: h.shape, data: decodeElements(bytes.subarray(dataStart), dtype, count, src, opts.int64) };
}

/** Serialises an array as .npy (C order, little-endian). BF16 has no numpy dtype and is rejected. */
export function writeNpy(arr: NpyInput): Uint8Array {
  if (arr == null || typeof arr !== "object") fail("arr", "must be {dtype, shape, data}");
  if (!isDtype(arr.dtype)) fail("arr.dtype", `unknown dtype ${JSON.stringify(arr.dtype)}`);
  const descr = DESCR[arr.dtype];
  if (descr === null) fail("arr.dtype", `${arr.dtype} has no .npy equivalent (numpy has no bfloat16); convert to F32`);
  if (!Array.isArray(arr.shape)) fail("arr.shape", "must be an array");
  const count = numel(arr.shape, "arr.shape");
  if (arr.data == null || arr.data.length !== count)
    fail("arr.data", `has ${arr.data?.length} values; shape [${arr.shape.join(", ")}] needs ${count}`);
  const data = encodeElements(arr.data, arr.dtype, "arr.data");
  const shapeStr = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const v1 = header.length + 1 + 10 <= 65535 + 10;
  const pre = v1 ? 10 : 12;
  // Pad with spaces and end with \n so data starts on a 64-byte boundary (numpy's rule).
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header + " ".repeat(total - pre - header.length - 1) + "\n";
  const out = new Uint8Array(total + data.length);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), pre);
  out.set(data, total);
  return out;
}

export function loadNpy(path: string, opts: { int64?: Int64Mode } = {}): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    return fail(path, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...opts, source: path });
}

export function saveNpy(path: string, arr: NpyInput): void {
  fs.writeFileSync(path, writeNpy(arr));
}
