// A safetensors file on disk read one tensor at a time: the header is read and validated
// (its declared length checked against the file size before anything is allocated), then
// each tensor's bytes are read from its offsets on demand, so memory is bounded by the
// tensor being read, not by the file.
import * as fs from "fs";
import { fail } from "../core/validate";
import { decodeElements, Int64Mode, numel } from "./dtypes";
import { checkHeaderLength, parseSafetensorsHeader, SafeTensor, SafetensorsEntry } from "./safetensors";

export interface SafetensorsReader {
  path: string;
  /** Header entries by tensor name, in header order. */
  entries: Map<string, SafetensorsEntry>;
  /** String metadata (`__metadata__`), keyed without a prototype. */
  metadata: Map<string, string>;
  /** File size in bytes. */
  size: number;
  /** Reads and decodes one tensor. */
  read(name: string, opts?: { int64?: Int64Mode }): SafeTensor;
  close(): void;
}

function readExactly(fd: number, length: number, position: number, what: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) fail(what, `file ended after ${got} of ${length} bytes (was it truncated while being read?)`);
    got += n;
  }
  return buf;
}

/** Opens a .safetensors file and validates its header; tensors are read by `read(name)`. */
export function openSafetensors(path: string): SafetensorsReader {
  if (typeof path !== "string" || path === "") fail("path", "must be a file path");
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (e) {
    return fail(path, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const first = size >= 8 ? readExactly(fd, 8, 0, `${path} header`) : new Uint8Array(0);
    const n = checkHeaderLength(first, size, path);
    const header = readExactly(fd, n, 8, `${path} header`);
    const { entries, metadata, dataStart } = parseSafetensorsHeader(header, size, path);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const meta = new Map(Object.entries(metadata));
    let open = true;
    return {
      path,
      entries: byName,
      metadata: meta,
      size,
      read(name, opts = {}) {
        if (!open) fail(path, "is closed");
        const e = byName.get(name);
        if (!e) return fail("name", `no tensor "${name}" in ${path}`);
        const [b, en] = e.dataOffsets;
        const what = `${path} tensor "${name}"`;
        const bytes = readExactly(fd, en - b, dataStart + b, what);
        const data = decodeElements(bytes, e.dtype, numel(e.shape, what), what, opts.int64);
        return { dtype: e.dtype, shape: [...e.shape], data };
      },
      close() {
        if (open) fs.closeSync(fd);
        open = false;
      },
    };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}
