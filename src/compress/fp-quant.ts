// Simulated low-precision number formats (ZeroQuant-FP): the FP8 formats E4M3 and E5M2, FP4
// E2M1 and symmetric INT baselines. Values stay float64; "quantize" snaps each one to the
// nearest value the format can hold (round half to even, saturating at ±max, with subnormals),
// so errors can be measured without bit packing.
import { fail } from "../core/validate";

export type FpFormatName = "e4m3" | "e5m2" | "e2m1";
export type IntFormatName = "int8" | "int4";
export type QuantFormatName = FpFormatName | IntFormatName;

export interface FpFormat {
  name: FpFormatName;
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** Largest finite magnitude. */
  max: number;
  /** Smallest normal exponent (1 − bias). */
  minExponent: number;
}

// E4M3 follows the OCP "fn" variant (no infinities; only S.1111.111 is NaN), hence 448 not 240.
// E5M2 keeps IEEE-style infinities, so its top exponent is reserved: max 1.75·2^15. E2M1 has
// no special values at all: max 1.5·2^2 = 6.
export const FP_FORMATS: Record<FpFormatName, FpFormat> = {
  e4m3: { name: "e4m3", exponentBits: 4, mantissaBits: 3, bias: 7, max: 448, minExponent: -6 },
  e5m2: { name: "e5m2", exponentBits: 5, mantissaBits: 2, bias: 15, max: 57344, minExponent: -14 },
  e2m1: { name: "e2m1", exponentBits: 2, mantissaBits: 1, bias: 1, max: 6, minExponent: 0 },
};

/** Largest magnitude a format holds (INT formats: 2^(b−1) − 1, symmetric). */
export function formatMax(name: QuantFormatName): number {
  if (name === "int8") return 127;
  if (name === "int4") return 7;
  const f = FP_FORMATS[name];
  if (!f) fail("format", `unknown format "${name}" (known: e4m3, e5m2, e2m1, int8, int4)`);
  return f.max;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; move exact ties to the even neighbour.
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Exact floor(log2 a) for a > 0 (Math.log2 can be off by one near powers of two). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** Spacing between neighbouring representable values at magnitude a (a ≥ 0) in an FP format. */
export function fpSpacing(a: number, format: FpFormatName): number {
  const f = FP_FORMATS[format];
  if (!f) fail("format", `unknown FP format "${format}" (known: e4m3, e5m2, e2m1)`);
  const e = a > 0 ? Math.max(floorLog2(a), f.minExponent) : f.minExponent;
  return 2 ** (e - f.mantissaBits);
}

/** One value snapped to the format's grid (unit scale). NaN is rejected by the callers. */
export function quantizeValue(x: number, format: QuantFormatName): number {
  const max = formatMax(format);
  if (format === "int8" || format === "int4") return Math.max(-max, Math.min(max, roundHalfEven(x)));
  const a = Math.abs(x);
  if (a === 0) return 0;
  if (a >= max) return Math.sign(x) * max; // saturate (no infinities in the simulated cast)
  const step = fpSpacing(a, format as FpFormatName);
  const q = Math.min(max, roundHalfEven(a / step) * step);
  return Math.sign(x) * q;
}

/** Every non-negative value of a format (ascending), enumerated from its bit fields. */
export function formatGrid(format: QuantFormatName): number[] {
  const max = formatMax(format);
  if (format === "int8" || format === "int4") return Array.from({ length: max + 1 }, (_, i) => i);
  const f = FP_FORMATS[format as FpFormatName];
  const M = 2 ** f.mantissaBits;
  const vals = new Set<number>();
  for (let ef = 0; ef < 2 ** f.exponentBits; ef++)
    for (let m = 0; m < M; m++) {
      // exponent field 0 holds the subnormals 0.m · 2^minExponent; patterns above max are NaN/Inf
      const v = ef === 0 ? (m / M) * 2 ** f.minExponent : (1 + m / M) * 2 ** (ef - f.bias);
      if (v <= max) vals.add(v);
    }
  return [...vals].sort((x, y) => x - y);
}

/**
 * How group scales are chosen. "real": absmax/formatMax. "pow2" (ZeroQuant-FP's M1): that
 * scale rounded UP to a power of two (never overflows). "rowpow2" (M2): one real scale per
 * output unit times a power-of-two factor ≤ 1 per group, so the FP4→FP8 cast is an exponent shift.
 */
export type ScaleMode = "real" | "pow2" | "rowpow2";

export interface QuantizeMatrixOptions {
  format: QuantFormatName;
  /** Consecutive inputs sharing a scale, per output unit (default: the whole input dimension). */
  groupSize?: number;
  scale?: ScaleMode;
}

export interface QuantizedMatrix {
  /** Dequantized weights, same [in, out] shape as the input. */
  W: number[][];
  /** scales[j][g]: scale of group g of output unit j. */
  scales: number[][];
}

const KNOWN = ["format", "groupSize", "scale"];

/**
 * Group-wise quantization of a dense kernel stored [in, out] (TF.js layout). A group is
 * `groupSize` consecutive inputs of one output unit, i.e. a run down one column, matching
 * PyTorch's per-row groups of an [out, in] weight.
 */
export function quantizeMatrix(W: number[][], opts: QuantizeMatrixOptions): QuantizedMatrix {
  if (!Array.isArray(W) || W.length === 0 || !Array.isArray(W[0]) || W[0].length === 0)
    fail("W", "must be a non-empty matrix (number[][])");
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  for (const k of Object.keys(opts)) if (!KNOWN.includes(k)) fail("opts", `unknown option "${k}" (known: ${KNOWN})`);
  const rows = W.length;
  const cols = W[0].length;
  for (let i = 0; i < rows; i++) {
    if (W[i].length !== cols) fail("W", `row ${i} has ${W[i].length} entries, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) if (!Number.isFinite(W[i][j])) fail("W", `entry [${i}][${j}] is ${W[i][j]}`);
  }
  const qmax = formatMax(opts.format);
  const gs = opts.groupSize ?? rows;
  if (!Number.isInteger(gs) || gs < 1) fail("opts.groupSize", `must be a positive integer, got ${gs}`);
  const mode = opts.scale ?? "real";
  if (!["real", "pow2", "rowpow2"].includes(mode))
    fail("opts.scale", `unknown scale mode "${mode}" (known: real, pow2, rowpow2)`);
  const groups = Math.ceil(rows / gs);
  const out: number[][] = W.map((r) => r.slice());
  const scales: number[][] = [];
  for (let j = 0; j < cols; j++) {
    let colMax = 0;
    for (let i = 0; i < rows; i++) colMax = Math.max(colMax, Math.abs(W[i][j]));
    const rowScale = colMax / qmax;
    const sj: number[] = [];
    for (let g = 0; g < groups; g++) {
      const lo = g * gs;
      const hi = Math.min(rows, lo + gs);
      let m = 0;
      for (let i = lo; i < hi; i++) m = Math.max(m, Math.abs(W[i][j]));
      let s = m / qmax;
      if (s > 0 && mode === "pow2") s = 2 ** ceilLog2(s);
      if (s > 0 && mode === "rowpow2") s = rowScale * 2 ** Math.min(0, ceilLog2(s / rowScale));
      sj.push(s);
      for (let i = lo; i < hi; i++) out[i][j] = s > 0 ? quantizeValue(W[i][j] / s, opts.format) * s : 0;
    }
    scales.push(sj);
  }
  return { W: out, scales };
}

/** Exact ceil(log2 a) for a > 0. */
export function ceilLog2(a: number): number {
  const e = floorLog2(a);
  return 2 ** e === a ? e : e + 1;
}

/** Relative Frobenius error ‖A − B‖_F / ‖A‖_F. */
export function relativeError(A: number[][], B: number[][]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < A.length; i++)
    for (let j = 0; j < A[i].length; j++) {
      num += (A[i][j] - B[i][j]) ** 2;
      den += A[i][j] ** 2;
    }
  if (den === 0) fail("A", "is all zeros; the relative error is undefined");
  return Math.sqrt(num / den);
}
