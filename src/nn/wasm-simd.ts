// Two 4-lane WebAssembly SIMD loops that work directly on the tfjs wasm backend's memory
// (imported), assembled here from their opcodes (no build tool), float32 arithmetic:
//
// (func $adam (param w m v g wo mo vo i32) (param n i32)
//             (param b1 b1c b2 b2c step r2 eps f32)
//   for i in 0..n step 4:  (pointers are byte offsets; n a multiple of 4)
//     mi = m[i]·b1 + g[i]·b1c ; vi = v[i]·b2 + g[i]²·b2c ; mo[i] = mi ; vo[i] = vi
//     wo[i] = w[i] − step·mi / (sqrt(vi·r2) + eps))
//   — Adam's element update, ~3× faster than a scalar JS loop.
//
// (func $colsum (param x out rows colBytes rowBytes i32)
//   for r in 0..rows: for j in 0..colBytes step 16: out[j] += x[r·rowBytes + j])
//   — the sum over the leading axis (every bias gradient), which tfjs-wasm computes by
//   transposing first.
//
// (func $bmm (param a b c batch M K N i32)
//   for each batch: C[M,N] = A[M,K]·B[K,N], row by row: C[i,:] = Σ_k A[i,k]·B[k,:] (N % 4 = 0))
//   — batched matmul (attention), which tfjs-wasm runs on a scalar loop when batch > 1.

export type ColSumSimd = (x: number, out: number, rows: number, colBytes: number, rowBytes: number) => void;

export type AdamSimd = (
  w: number,
  m: number,
  v: number,
  g: number,
  wo: number,
  mo: number,
  vo: number,
  n: number,
  b1: number,
  b1c: number,
  b2: number,
  b2c: number,
  step: number,
  r2: number,
  eps: number,
) => void;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const str = (s: string) => [...leb(s.length), ...Buffer.from(s, "utf8")];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

// Opcodes.
const GET = 0x20,
  SET = 0x21,
  I32 = 0x7f,
  F32 = 0x7d,
  V128 = 0x7b;
const simd = (op: number) => [0xfd, ...leb(op)];
const LOAD = [...simd(0x00), 0, 0];
const STORE = [...simd(0x0b), 0, 0];
const SPLAT = simd(0x13),
  SQRT = simd(0xe3),
  ADD = simd(0xe4),
  SUB = simd(0xe5),
  MUL = simd(0xe6),
  DIV = simd(0xe7);

function body(): number[] {
  // Params 0..6 pointers, 7 n, 8..14 scalars; locals 15 i, 16 end, 17..23 splats, 24 gi, 25 mi, 26 vi.
  const [n, i, end, gi, mi, vi] = [7, 15, 16, 24, 25, 26];
  const at = (ptr: number) => [GET, ptr, GET, i, 0x6a]; // ptr + i
  const code: number[] = [GET, n, 0x41, 4, 0x6c, SET, end]; // end = n·4 bytes
  for (let k = 0; k < 7; k++) code.push(GET, 8 + k, ...SPLAT, SET, 17 + k);
  const [B1, B1C, B2, B2C, S, R2, E] = [17, 18, 19, 20, 21, 22, 23];
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop
  code.push(GET, i, GET, end, 0x4f, 0x0d, 1); // if i >= end: break
  code.push(...at(3), ...LOAD, SET, gi);
  code.push(...at(1), ...LOAD, GET, B1, ...MUL, GET, gi, GET, B1C, ...MUL, ...ADD, SET, mi);
  code.push(...at(2), ...LOAD, GET, B2, ...MUL, GET, gi, GET, gi, ...MUL, GET, B2C, ...MUL, ...ADD, SET, vi);
  code.push(...at(5), GET, mi, ...STORE);
  code.push(...at(6), GET, vi, ...STORE);
  code.push(
    ...at(4),
    ...at(0),
    ...LOAD,
    GET,
    S,
    GET,
    mi,
    ...MUL,
    GET,
    vi,
    GET,
    R2,
    ...MUL,
    ...SQRT,
    GET,
    E,
    ...ADD,
    ...DIV,
    ...SUB,
    ...STORE,
  );
  code.push(GET, i, 0x41, 16, 0x6a, SET, i, 0x0c, 0); // i += 16; continue
  code.push(0x0b, 0x0b, 0x0b); // end loop, end block, end func
  const locals = [2, ...leb(2), I32, ...leb(10), V128];
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

function colsumBody(): number[] {
  // Params 0 x, 1 out, 2 rows, 3 colBytes, 4 rowBytes; locals 5 r, 6 j, 7 rowPtr.
  const code: number[] = [GET, 0, SET, 7];
  code.push(0x02, 0x40, 0x03, 0x40); // rows: block, loop
  code.push(GET, 5, GET, 2, 0x4f, 0x0d, 1);
  code.push(0x41, 0, SET, 6);
  code.push(0x02, 0x40, 0x03, 0x40); // columns: block, loop
  code.push(GET, 6, GET, 3, 0x4f, 0x0d, 1);
  code.push(GET, 1, GET, 6, 0x6a, GET, 1, GET, 6, 0x6a, ...LOAD, GET, 7, GET, 6, 0x6a, ...LOAD, ...ADD, ...STORE);
  code.push(GET, 6, 0x41, 16, 0x6a, SET, 6, 0x0c, 0, 0x0b, 0x0b);
  code.push(GET, 7, GET, 4, 0x6a, SET, 7, GET, 5, 0x41, 1, 0x6a, SET, 5, 0x0c, 0, 0x0b, 0x0b);
  code.push(0x0b);
  const fn = [1, ...leb(3), I32, ...code];
  return [...leb(fn.length), ...fn];
}

function bmmBody(): number[] {
  // Params 0 a, 1 b, 2 c, 3 batch, 4 M, 5 K, 6 N (N a multiple of 4; c is written, not read first).
  // Locals 7 bi, 8 i, 9 k, 10 j, 11 aRow, 12 bRow, 13 cRow, 14 NB, 15 aB, 16 bB, 17 cB, 18 av.
  const g = (x: number) => [GET, x],
    st = (x: number) => [SET, x],
    c = (n: number) => [0x41, ...leb(n)];
  const ADDI = 0x6a,
    MULI = 0x6c,
    GEU = 0x4f;
  const inc = (x: number, by: number[]) => [...g(x), ...by, ADDI, ...st(x)];
  const loopWhile = (x: number, lim: number[], inner: number[]) => [
    0x02,
    0x40,
    0x03,
    0x40,
    ...g(x),
    ...lim,
    GEU,
    0x0d,
    1,
    ...inner,
    0x0c,
    0,
    0x0b,
    0x0b,
  ];
  const ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
  const zeroRow = [
    ...c(0),
    ...st(10),
    ...loopWhile(10, g(14), [...g(13), ...g(10), ADDI, ...ZERO, ...STORE, ...inc(10, c(16))]),
  ];
  const axpy = [
    ...c(0),
    ...st(10),
    ...loopWhile(10, g(14), [
      ...g(13),
      ...g(10),
      ADDI,
      ...g(13),
      ...g(10),
      ADDI,
      ...LOAD,
      ...g(18),
      ...g(12),
      ...g(10),
      ADDI,
      ...LOAD,
      ...MUL,
      ...ADD,
      ...STORE,
      ...inc(10, c(16)),
    ]),
  ];
  const kLoop = [
    ...c(0),
    ...st(9),
    ...g(16),
    ...st(12),
    ...loopWhile(9, g(5), [
      ...g(11),
      ...g(9),
      ...c(4),
      MULI,
      ADDI,
      0x2a,
      2,
      0,
      ...SPLAT,
      ...st(18),
      ...axpy,
      ...inc(12, g(14)),
      ...inc(9, c(1)),
    ]),
  ];
  const iLoop = [
    ...c(0),
    ...st(8),
    ...g(15),
    ...st(11),
    ...g(17),
    ...st(13),
    ...loopWhile(8, g(4), [
      ...zeroRow,
      ...kLoop,
      ...inc(11, [...g(5), ...c(4), MULI]),
      ...inc(13, g(14)),
      ...inc(8, c(1)),
    ]),
  ];
  const code = [
    ...g(6),
    ...c(4),
    MULI,
    ...st(14),
    ...g(0),
    ...st(15),
    ...g(1),
    ...st(16),
    ...g(2),
    ...st(17),
    ...c(0),
    ...st(7),
    ...loopWhile(7, g(3), [
      ...iLoop,
      ...inc(15, [...g(4), ...g(5), MULI, ...c(4), MULI]),
      ...inc(16, [...g(5), ...g(14), MULI]),
      ...inc(17, [...g(4), ...g(14), MULI]),
      ...inc(7, c(1)),
    ]),
    0x0b,
  ];
  const fn = [2, ...leb(11), I32, ...leb(1), V128, ...code];
  return [...leb(fn.length), ...fn];
}

function moduleBytes(): Uint8Array {
  const types = [
    3,
    0x60,
    15,
    ...new Array(8).fill(I32),
    ...new Array(7).fill(F32),
    0,
    0x60,
    5,
    ...new Array(5).fill(I32),
    0,
    0x60,
    7,
    ...new Array(7).fill(I32),
    0,
  ];
  const imp = [1, ...str("env"), ...str("memory"), 0x02, 0x00, 0x01];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(2, imp),
    ...section(3, [3, 0, 1, 2]),
    ...section(7, [3, ...str("adam"), 0x00, 0, ...str("colsum"), 0x00, 1, ...str("bmm"), 0x00, 2]),
    ...section(10, [3, ...body(), ...colsumBody(), ...bmmBody()]),
  ]);
}

// The project compiles without DOM types, so the WebAssembly API is typed locally.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
/** A WebAssembly.Memory (the tfjs wasm backend's `wasm.asm.memory`). */
export type WasmMemory = object;

export type BmmSimd = (a: number, b: number, c: number, batch: number, m: number, k: number, n: number) => void;

export interface SimdKernels {
  adam: AdamSimd;
  colsum: ColSumSimd;
  bmm: BmmSimd;
}

const cache = new WeakMap<WasmMemory, SimdKernels | null>();

/** The SIMD loops bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdKernelsFor(memory: WasmMemory): SimdKernels | null {
  if (cache.has(memory)) return cache.get(memory) ?? null;
  let k: SimdKernels | null = null;
  try {
    const wa = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const inst = new wa.Instance(new wa.Module(moduleBytes()), { env: { memory } });
    k = {
      adam: inst.exports.adam as unknown as AdamSimd,
      colsum: inst.exports.colsum as unknown as ColSumSimd,
      bmm: inst.exports.bmm as unknown as BmmSimd,
    };
  } catch {
    k = null; // no SIMD (or an engine that rejects the module): callers use JS loops
  }
  cache.set(memory, k);
  return k;
}

/** The SIMD Adam update bound to `memory`, or null without WebAssembly SIMD. */
export function adamSimdFor(memory: WasmMemory): AdamSimd | null {
  return simdKernelsFor(memory)?.adam ?? null;
}
