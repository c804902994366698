// The Adam element update as a 4-lane WebAssembly SIMD loop that works directly on the tfjs
// wasm backend's memory (imported), ~3× faster than the scalar JS loop. The module is
// assembled here from its opcodes (no build tool). Float32 arithmetic, like tf.train.adam.
//
// (func $adam (param w m v g wo mo vo i32) (param n i32)
//             (param b1 b1c b2 b2c step r2 eps f32)
//   for i in 0..n step 4:  (pointers are byte offsets; n a multiple of 4)
//     mi = m[i]·b1 + g[i]·b1c ; vi = v[i]·b2 + g[i]²·b2c ; mo[i] = mi ; vo[i] = vi
//     wo[i] = w[i] − step·mi / (sqrt(vi·r2) + eps))

export type AdamSimd = (
  w: number, m: number, v: number, g: number, wo: number, mo: number, vo: number, n: number,
  b1: number, b1c: number, b2: number, b2c: number, step: number, r2: number, eps: number,
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
const GET = 0x20, SET = 0x21, I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const simd = (op: number) => [0xfd, ...leb(op)];
const LOAD = [...simd(0x00), 0, 0];
const STORE = [...simd(0x0b), 0, 0];
const SPLAT = simd(0x13), SQRT = simd(0xe3), ADD = simd(0xe4), SUB = simd(0xe5), MUL = simd(0xe6), DIV = simd(0xe7);

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
  code.push(...at(4), ...at(0), ...LOAD, GET, S, GET, mi, ...MUL, GET, vi, GET, R2, ...MUL, ...SQRT, GET, E, ...ADD, ...DIV, ...SUB, ...STORE);
  code.push(GET, i, 0x41, 16, 0x6a, SET, i, 0x0c, 0); // i += 16; continue
  code.push(0x0b, 0x0b, 0x0b); // end loop, end block, end func
  const locals = [2, ...leb(2), I32, ...leb(10), V128];
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

function moduleBytes(): Uint8Array {
  const type = [1, 0x60, 15, ...new Array(8).fill(I32), ...new Array(7).fill(F32), 0];
  const imp = [1, ...str("env"), ...str("memory"), 0x02, 0x00, 0x01];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, type), ...section(2, imp), ...section(3, [1, 0]),
    ...section(7, [1, ...str("adam"), 0x00, 0]), ...section(10, [1, ...body()]),
  ]);
}

// The project compiles without DOM types, so the WebAssembly API is typed locally.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
/** A WebAssembly.Memory (the tfjs wasm backend's `wasm.asm.memory`). */
export type WasmMemory = object;

const cache = new WeakMap<WasmMemory, AdamSimd | null>();

/** The SIMD update bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function adamSimdFor(memory: WasmMemory): AdamSimd | null {
  if (cache.has(memory)) return cache.get(memory) ?? null;
  let fn: AdamSimd | null = null;
  try {
    const wa = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const inst = new wa.Instance(new wa.Module(moduleBytes()), { env: { memory } });
    fn = inst.exports.adam as unknown as AdamSimd;
  } catch {
    fn = null; // no SIMD (or an engine that rejects the module): the JS loop is used
  }
  cache.set(memory, fn);
  return fn;
}
