// JSON that keeps non-finite numbers (NaN, ±Infinity become {"$num": "NaN"} on disk), and
// atomic file writes (write a temporary file, then rename), so a kill never leaves half a file.
import * as fs from "fs";
import * as path from "path";

const TAG = "$num";

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return { [TAG]: String(v) };
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    indent,
  );
}

export function fromJson<T = unknown>(text: string, where = "json"): T {
  try {
    return JSON.parse(text, (_k, v) => {
      if (
        v &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        Object.keys(v).length === 1 &&
        typeof v[TAG] === "string"
      ) {
        const n = Number(v[TAG]);
        if (v[TAG] === "NaN" || !Number.isFinite(n)) return n;
      }
      return v;
    }) as T;
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
  }
}

/** Writes `data` to `file` atomically (temporary file in the same folder, then rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } finally {
    if (fs.existsSync(tmp)) fs.rmSync(tmp, { force: true });
  }
}
