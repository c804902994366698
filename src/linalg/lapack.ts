// Loader for the optional LAPACK addon (src/linalg/native, built by scripts/build-native.sh
// into build/native/initlab_lapack.node). When it is missing or INITLAB_LINALG=js, linalg
// stays on the pure-JS ml-matrix path; nothing else changes.
import * as fs from "fs";
import * as path from "path";
import { fail } from "../validate";

/** The addon's raw interface: row-major Float64Arrays in and out. */
export interface LapackAddon {
  svd(a: Float64Array, m: number, n: number, vectors: boolean): { s: Float64Array; u?: Float64Array; vt?: Float64Array };
  eigh(a: Float64Array, n: number): { w: Float64Array; zt: Float64Array };
  /** op(a)·op(b) (m×k times k×n), row-major; transA/transB read a / b as stored transposed. */
  gemm(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transA?: boolean, transB?: boolean): Float64Array;
}

/** Which implementation svd/eigh/svdTopK use: "native" (LAPACK addon) or "js" (ml-matrix). */
export type LinalgPath = "native" | "js";

let addon: LapackAddon | null = null;
let loadError = "";
let loaded = false;
let forced: LinalgPath | null = null;

function findAddon(): string | null {
  // dist/linalg/lapack.js and src/linalg/lapack.ts both sit two levels below the root.
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const p = path.join(dir, "build", "native", "initlab_lapack.node");
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  return null;
}

function load(): LapackAddon | null {
  if (loaded) return addon;
  loaded = true;
  if (process.env.INITLAB_LINALG === "js") {
    loadError = "disabled by INITLAB_LINALG=js";
    return null;
  }
  const p = findAddon();
  if (!p) {
    loadError = "addon not built (run scripts/build-native.sh)";
    return null;
  }
  try {
    // A .node file is loaded by require; keep it out of bundlers' static analysis.
    addon = (module.require as (id: string) => LapackAddon)(p);
  } catch (e) {
    loadError = `addon failed to load: ${(e as Error).message.split("\n")[0]}`;
    addon = null;
  }
  return addon;
}

/** The addon if it is loaded and the active path is "native"; otherwise null. */
export function lapack(): LapackAddon | null {
  if (forced === "js") return null;
  return load();
}

/** The linear-algebra path in use now: "native" when the LAPACK addon is active, else "js". */
export function linalgPath(): LinalgPath {
  return lapack() ? "native" : "js";
}

/** Why the native path is not active ("" when it is). */
export function linalgPathReason(): string {
  if (forced === "js") return "forced by setLinalgPath(\"js\")";
  return load() ? "" : loadError;
}

/**
 * Forces a path ("js" or "native") or restores the default (null: native when available).
 * Asking for "native" when the addon is unavailable throws, naming the reason.
 */
export function setLinalgPath(p: LinalgPath | null): void {
  if (p !== null && p !== "native" && p !== "js") fail("p", `must be "native", "js" or null, got ${String(p)}`);
  if (p === "native" && !load()) fail("p", `"native" is unavailable: ${loadError}`);
  forced = p;
}
