// Loader for the optional LAPACK addon (src/linalg/native, built by scripts/build-native.sh
// into build/native/initlab_lapack.node). When it is missing or INITLAB_LINALG=js, linalg
// stays on the pure-JS ml-matrix path; nothing else changes.
import * as fs from "fs";
import * as path from "path";
import { Matrix as MlMatrix } from "ml-matrix";
import { fail } from "../core/validate";
import { Matrix, toMl } from "./convert";

/** The addon's raw interface: row-major Float64Arrays in and out. */
export interface LapackAddon {
  svd(
    a: Float64Array,
    m: number,
    n: number,
    vectors: boolean,
  ): { s: Float64Array; u?: Float64Array; vt?: Float64Array };
  eigh(a: Float64Array, n: number): { w: Float64Array; zt: Float64Array };
  /** op(a)·op(b) (m×k times k×n), row-major; transA/transB read a / b as stored transposed. */
  gemm(
    a: Float64Array,
    b: Float64Array,
    m: number,
    k: number,
    n: number,
    transA?: boolean,
    transB?: boolean,
  ): Float64Array;
  /**
   * In place, float32: c[i] = op(a[i])·op(b[i]) for i < batch (row-major m×n products), a[i] at
   * i·strideA, b[i] at i·strideB (0 broadcasts), c[i] at i·m·n. Views of any buffer (a wasm heap).
   */
  sgemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
  ): void;
  /**
   * im2col of images [b0, b1) of x (NHWC) into cols ([(b1−b0)·Ho·Wo, KH·KW·C], padding 0); geometry is
   * [B, H, W, C, Ho, Wo, KH, KW, strideH, strideW, padTop, padLeft, dilationH, dilationW].
   */
  im2col(x: Float32Array, cols: Float32Array, geometry: number[], b0: number, b1: number): void;
  /** The adjoint of im2col over the whole batch: dx = scatter-add of dcols (dx is overwritten). */
  col2im(dcols: Float32Array, dx: Float32Array, geometry: number[]): void;
  /** OpenBLAS's thread count, after setting it to n when n is given. */
  blasThreads(n?: number): number;
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
  if (forced === "js") return 'forced by setLinalgPath("js")';
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

// ---- packing between initlab's matrix forms and the addon's row-major buffers ----

/** Row-major float64 copy of a validated ml-matrix (the addon's input form). */
export function packRowMajor(a: MlMatrix): Float64Array {
  const r = a.rows;
  const c = a.columns;
  const out = new Float64Array(r * c);
  // A dense ml-matrix keeps one Float64Array per row; views (transpose, sub-matrix) do not.
  const rowsData = (a as unknown as { data?: unknown }).data;
  if (
    Array.isArray(rowsData) &&
    rowsData.length === r &&
    rowsData[0] instanceof Float64Array &&
    rowsData[0].length === c
  ) {
    for (let i = 0; i < r; i++) out.set(rowsData[i] as Float64Array, i * c);
    return out;
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = a.get(i, j);
  return out;
}

/** A validated matrix as a row-major Float64Array, skipping ml-matrix for plain rows. */
export interface Packed {
  d: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Packs any accepted matrix form. Plain number[][] is copied in one validating pass; any
 * irregularity (or another form) goes through toMl, which owns the error messages.
 */
export function toPacked(m: Matrix, arg: string): Packed {
  if (Array.isArray(m) && m.length > 0 && Array.isArray(m[0]) && m[0].length > 0) {
    const rows = m.length;
    const cols = m[0].length;
    const d = new Float64Array(rows * cols);
    let ok = true;
    outer: for (let i = 0; i < rows; i++) {
      const row = m[i];
      if (!Array.isArray(row) || row.length !== cols) {
        ok = false;
        break;
      }
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== "number" || !Number.isFinite(v)) {
          ok = false;
          break outer;
        }
        d[o + j] = v;
      }
    }
    if (ok) return { d, rows, cols };
  }
  const a = toMl(m, arg);
  return { d: packRowMajor(a), rows: a.rows, cols: a.columns };
}

/** Rows of a row-major r×c buffer as nested arrays. */
export function unpackRows(buf: Float64Array, r: number, c: number): number[][] {
  const out: number[][] = new Array(r);
  for (let i = 0; i < r; i++) {
    const row = new Array<number>(c);
    const o = i * c;
    for (let j = 0; j < c; j++) row[j] = buf[o + j];
    out[i] = row;
  }
  return out;
}

/** Transpose of a row-major r×c buffer (tiled for cache locality), as nested c×r rows. */
export function unpackTransposed(buf: Float64Array, r: number, c: number): number[][] {
  const t = new Float64Array(r * c);
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) t[j * r + i] = buf[i * c + j];
    }
  }
  return unpackRows(t, c, r);
}
