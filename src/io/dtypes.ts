// Element types shared by the safetensors and .npy codecs: byte sizes, little-endian
// decode/encode, and hand-written float16 / bfloat16 conversion (Node 20 has no
// Float16Array). 64-bit integers decode to BigInt64Array/BigUint64Array by default;
// `int64: "number"` converts them to Float64Array and throws if a value is not exactly
// representable (|v| > 2^53 − 1), so no value is silently rounded.
import { fail } from "../core/validate";

export type Dtype =
  "BOOL" | "U8" | "I8" | "U16" | "I16" | "U32" | "I32" | "U64" | "I64" | "F16" | "BF16" | "F32" | "F64";

export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  U16: 2,
  I16: 2,
  U32: 4,
  I32: 4,
  U64: 8,
  I64: 8,
  F16: 2,
  BF16: 2,
  F32: 4,
  F64: 8,
};

export const DTYPES = Object.keys(DTYPE_SIZE) as Dtype[];

/** Decoded element storage: F16 and BF16 decode to Float32Array; BOOL to Uint8Array (0/1). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type Int64Mode = "bigint" | "number";

export function isDtype(s: unknown): s is Dtype {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** Number of elements of a shape (1 for a 0-rank tensor), checked against overflow. */
export function numel(shape: readonly number[], arg: string): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isSafeInteger(d) || d < 0)
      fail(arg, `shape entry ${i} is ${String(d)}; expected a non-negative integer`);
    n *= d;
    if (!Number.isSafeInteger(n)) fail(arg, `shape [${shape.join(", ")}] has too many elements`);
  }
  return n;
}

// ---- float16 / bfloat16 ----------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits → number (exact). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → binary16 bits, round to nearest even; overflow → ±Inf, NaN kept. */
export function numberToF16(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -24 * 0.5) return sign; // rounds to zero (exactly half rounds to even = 0)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1; // guard log2 rounding
  if (2 ** (e + 1) <= a) e += 1;
  if (e < -14) {
    // subnormal: units of 2^-24
    const q = roundHalfEven(a / 2 ** -24);
    return sign | q; // q may reach 1024, which is the smallest normal: bits still correct
  }
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** bfloat16 bits → number: the top half of a float32. */
export function bf16ToNumber(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** number → bfloat16 bits via float32, round to nearest even; NaN stays NaN. */
export function numberToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(f32[0])) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

// ---- decode / encode -------------------------------------------------------------------

/**
 * Decodes `count` little-endian elements from `bytes` (any alignment: the bytes are copied
 * first). `name` labels errors.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: Dtype,
  count: number,
  name: string,
  int64: Int64Mode = "bigint",
): TensorData {
  const size = DTYPE_SIZE[dtype];
  if (bytes.length !== count * size)
    fail(name, `has ${bytes.length} data bytes; ${count} elements of ${dtype} need ${count * size}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "BOOL": {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const b = bytes[i];
        if (b > 1) fail(name, `BOOL element ${i} is byte ${b}; expected 0 or 1`);
        out[i] = b;
      }
      return out;
    }
    case "U8":
      return Uint8Array.from(bytes);
    case "I8":
      return new Int8Array(Uint8Array.from(bytes).buffer);
    case "U16": {
      const o = new Uint16Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getUint16(2 * i, true);
      return o;
    }
    case "I16": {
      const o = new Int16Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getInt16(2 * i, true);
      return o;
    }
    case "U32": {
      const o = new Uint32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getUint32(4 * i, true);
      return o;
    }
    case "I32": {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getInt32(4 * i, true);
      return o;
    }
    case "F32": {
      const o = new Float32Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getFloat32(4 * i, true);
      return o;
    }
    case "F64": {
      const o = new Float64Array(count);
      for (let i = 0; i < count; i++) o[i] = dv.getFloat64(8 * i, true);
      return o;
    }
    case "F16": {
      const o = new Float32Array(count);
      for (let i = 0; i < count; i++) o[i] = f16ToNumber(dv.getUint16(2 * i, true));
      return o;
    }
    case "BF16": {
      const o = new Float32Array(count);
      for (let i = 0; i < count; i++) o[i] = bf16ToNumber(dv.getUint16(2 * i, true));
      return o;
    }
    case "I64":
    case "U64": {
      const big = dtype === "I64" ? new BigInt64Array(count) : new BigUint64Array(count);
      for (let i = 0; i < count; i++)
        big[i] = dtype === "I64" ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true);
      if (int64 === "bigint") return big;
      const o = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = big[i];
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(
            name,
            `${dtype} element ${i} = ${v} is not exactly representable as a JS number (|v| > 2^53 − 1); read with int64: "bigint"`,
          );
        }
        o[i] = Number(v);
      }
      return o;
    }
    default:
      return fail(name, `unsupported dtype ${String(dtype)}`);
  }
}

type DataIn = ArrayLike<number> | ArrayLike<bigint>;

function intRange(dtype: Dtype): [number, number] | null {
  switch (dtype) {
    case "BOOL":
      return [0, 1];
    case "U8":
      return [0, 255];
    case "I8":
      return [-128, 127];
    case "U16":
      return [0, 65535];
    case "I16":
      return [-32768, 32767];
    case "U32":
      return [0, 4294967295];
    case "I32":
      return [-2147483648, 2147483647];
    default:
      return null;
  }
}

/** Encodes values as little-endian `dtype` bytes, rejecting values the dtype cannot hold. */
export function encodeElements(data: DataIn, dtype: Dtype, name: string): Uint8Array {
  if (!isDtype(dtype)) fail(name, `unknown dtype ${String(dtype)} (known: ${DTYPES.join(", ")})`);
  const n = data.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const dv = new DataView(out.buffer);
  const range = intRange(dtype);
  for (let i = 0; i < n; i++) {
    const raw = data[i];
    if (dtype === "I64" || dtype === "U64") {
      let b: bigint;
      if (typeof raw === "bigint") b = raw;
      else {
        if (!Number.isSafeInteger(raw))
          fail(name, `element ${i} is ${raw}; ${dtype} needs an integer within ±(2^53 − 1) or a bigint`);
        b = BigInt(raw);
      }
      const lo = dtype === "I64" ? -(1n << 63n) : 0n;
      const hi = dtype === "I64" ? (1n << 63n) - 1n : (1n << 64n) - 1n;
      if (b < lo || b > hi) fail(name, `element ${i} = ${b} is out of range for ${dtype}`);
      if (dtype === "I64") dv.setBigInt64(8 * i, b, true);
      else dv.setBigUint64(8 * i, b, true);
      continue;
    }
    const v = typeof raw === "bigint" ? Number(raw) : raw;
    if (typeof v !== "number") fail(name, `element ${i} is ${typeof v}; expected a number`);
    if (range) {
      if (!Number.isInteger(v) || v < range[0] || v > range[1])
        fail(name, `element ${i} is ${v}; ${dtype} holds integers in [${range[0]}, ${range[1]}]`);
    }
    switch (dtype) {
      case "BOOL":
      case "U8":
        dv.setUint8(i, v);
        break;
      case "I8":
        dv.setInt8(i, v);
        break;
      case "U16":
        dv.setUint16(2 * i, v, true);
        break;
      case "I16":
        dv.setInt16(2 * i, v, true);
        break;
      case "U32":
        dv.setUint32(4 * i, v, true);
        break;
      case "I32":
        dv.setInt32(4 * i, v, true);
        break;
      case "F32":
        dv.setFloat32(4 * i, v, true);
        break;
      case "F64":
        dv.setFloat64(8 * i, v, true);
        break;
      case "F16":
        dv.setUint16(2 * i, numberToF16(v), true);
        break;
      case "BF16":
        dv.setUint16(2 * i, numberToBf16(v), true);
        break;
    }
  }
  return out;
}

/** Converts decoded data to plain numbers (64-bit ints checked: |v| ≤ 2^53 − 1). */
export function toNumberArray(data: TensorData, name: string): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === "bigint") {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
        fail(name, `element ${i} = ${v} is not exactly representable as a JS number`);
      out[i] = Number(v);
    } else out[i] = v;
  }
  return out;
}
