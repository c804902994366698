// Mutation fuzzing of the readers: from valid safetensors, .npy and index.json files, random
// mutations (bit flips, truncations, header-length edits near 2^53 and 2^64, overlapping and
// out-of-order offsets, duplicate and non-UTF-8 names, shape and dtype edits). Every read must
// either return a consistent result or throw initlab's input error naming the source; a crash,
// a raw RangeError/TypeError, or output larger than the file justifies fails the test.
// FUZZ_MUTATIONS sets the total (default 10,000, split 4:3:3); the seed is fixed.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { InitlabInputError } from "../../src/core/validate";
import { parseSafetensorsIndex } from "../../src/io/checkpoint";
import { readNpy, writeNpy } from "../../src/io/npy";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors";
import { openSafetensors } from "../../src/io/safetensors-file";

const TOTAL = Number(process.env.FUZZ_MUTATIONS || 10_000);
const FX = path.join(__dirname, "../fixtures");

let state = 0x9e3779b9;
const rand = () => {
  // xorshift32: fixed seed, so a failure reproduces
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

const NEAR_LIMITS = [
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64 - 1,
  2 ** 64,
  2 ** 32,
  2 ** 31 - 1,
  -1,
  1e300,
  0.5,
];
const BIG_U64 = [2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 8n, 2n ** 32n];
const ODD_NAMES = ["__proto__", "constructor", "toString", "__metadata__", "", "a\u0000b", "\ud800"];

function flipBits(b: Uint8Array): Uint8Array {
  const o = Uint8Array.from(b);
  for (let i = 0, n = 1 + int(8); i < n; i++) o[int(o.length)] ^= 1 << int(8);
  return o;
}
const truncate = (b: Uint8Array) => b.slice(0, int(b.length));
function spliceBytes(b: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const o = new Uint8Array(b.length + bytes.length);
  o.set(b.subarray(0, at));
  o.set(bytes, at);
  o.set(b.subarray(at), at + bytes.length);
  return o;
}

// ---- safetensors ---------------------------------------------------------------------------

function headerOf(b: Uint8Array): { json: Record<string, Record<string, unknown>>; data: Uint8Array } {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString("utf8")), data: b.subarray(8 + n) };
}
function assemble(headerText: string | Uint8Array, data: Uint8Array, declared?: bigint): Uint8Array {
  const h = typeof headerText === "string" ? Buffer.from(headerText, "utf8") : headerText;
  const o = new Uint8Array(8 + h.length + data.length);
  new DataView(o.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  o.set(h, 8);
  o.set(data, 8 + h.length);
  return o;
}

function mutateSafetensors(seed: Uint8Array): Uint8Array {
  const kind = int(12);
  if (kind === 0) return flipBits(seed);
  if (kind === 1) return truncate(seed);
  const { json, data } = headerOf(seed);
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  const name = pick(names);
  const e = json[name];
  switch (kind) {
    case 2: // header length near the limits
      return assemble(JSON.stringify(json), data, pick(BIG_U64) + BigInt(int(16)));
    case 3: // offsets near 2^53 / 2^64
      e.data_offsets = [pick(NEAR_LIMITS), pick(NEAR_LIMITS)];
      break;
    case 4: {
      // overlap another tensor
      const other = json[pick(names)];
      e.data_offsets = [...(other.data_offsets as number[])];
      break;
    }
    case 5: {
      // out of order: swap two tensors' offsets
      const other = json[pick(names)];
      [e.data_offsets, other.data_offsets] = [other.data_offsets, e.data_offsets];
      break;
    }
    case 6: // shape edits
      e.shape = pick([[pick(NEAR_LIMITS)], [-1, 2], [2 ** 26, 2 ** 26, 2 ** 26], [1.5], ["3"], null, {}]);
      break;
    case 7:
      e.dtype = pick(["F8", "f32", "", null, 7, "__proto__", "F64", "BOOL", "I64", "BF16"]);
      break;
    case 8: {
      // duplicate name (textually: JSON objects cannot hold it otherwise)
      const text = JSON.stringify(json);
      const entry = `"${name}":${JSON.stringify(e)}`;
      return assemble(text.replace("{", `{${entry},`), data);
    }
    case 9: {
      // non-UTF-8 bytes inside a name
      const text = Buffer.from(JSON.stringify(json), "utf8");
      const at = text.indexOf(Buffer.from(`"${name}"`)) + 1;
      return assemble(spliceBytes(text, at, [pick([0xff, 0xc0, 0x80, 0xed]), 0xa0]), data);
    }
    case 10: {
      // odd names and metadata keys
      delete json[name];
      const odd = pick(ODD_NAMES);
      if (rand() < 0.5) json[odd] = e;
      else json.__metadata__ = { [odd]: pick(["x", 1, null]) } as Record<string, unknown>;
      break;
    }
    default: // trailing or missing data bytes
      return assemble(JSON.stringify(json), rand() < 0.5 ? spliceBytes(data, data.length, [1, 2, 3]) : data.slice(1));
  }
  return assemble(JSON.stringify(json), data);
}

// ---- npy -----------------------------------------------------------------------------------

function mutateNpy(seed: Uint8Array): Uint8Array {
  const kind = int(7);
  if (kind === 0) return flipBits(seed);
  if (kind === 1) return truncate(seed);
  const hlen = new DataView(seed.buffer, seed.byteOffset).getUint16(8, true);
  const header = Buffer.from(seed.subarray(10, 10 + hlen)).toString("latin1");
  const data = seed.subarray(10 + hlen);
  let h = header;
  if (kind === 2)
    h = header.replace(
      /'shape': \([^)]*\)/,
      `'shape': (${pick(NEAR_LIMITS.map(String).concat(["2**64", "18446744073709551615", "9007199254740993"]))}, 2)`,
    );
  if (kind === 3)
    h = header.replace(/'descr': '[^']*'/, `'descr': '${pick(["<f2", ">f4", "<c8", "|O", "<U4", "<f8", "|b1", ""])}'`);
  if (kind === 4) h = header.replace("False", pick(["True", "false", "0"]));
  if (kind === 5) h = header.replace("{", pick(["{'extra': 1, ", "{{", "[", "{'shape': (1,), "]));
  const hb = Buffer.from(h, "latin1");
  const o = new Uint8Array(10 + hb.length + data.length);
  o.set(seed.subarray(0, 8));
  new DataView(o.buffer).setUint16(8, kind === 6 ? int(65536) : hb.length, true);
  if (kind === 6 && rand() < 0.5) o[6] = pick([2, 3, 4, 0]);
  o.set(hb, 10);
  o.set(data, 10 + hb.length);
  return o;
}

// ---- index.json ----------------------------------------------------------------------------

function mutateIndex(seed: string): string {
  const kind = int(7);
  if (kind === 0) return Buffer.from(flipBits(Buffer.from(seed))).toString("latin1");
  if (kind === 1) return seed.slice(0, int(seed.length));
  const j = JSON.parse(seed);
  const names = Object.keys(j.weight_map);
  const name = pick(names);
  if (kind === 2)
    j.weight_map[name] = pick([null, 3, "", "../x.safetensors", "/etc/passwd", "a/b.safetensors", "x.bin", {}, ["a"]]);
  if (kind === 3) j.weight_map[pick(ODD_NAMES)] = pick(["model.safetensors", 1]);
  if (kind === 4) j.weight_map = pick([null, [], "x", 1]);
  if (kind === 5) j.metadata = pick([[], "x", { total_size: 2 ** 64 }, { __proto__: 1 }]);
  if (kind === 6) return JSON.stringify(j).replace('"weight_map":{', `"weight_map":{"${name}":"dup.safetensors",`);
  return JSON.stringify(j);
}

// ---- the oracle ----------------------------------------------------------------------------

interface Tally {
  runs: number;
  accepted: number;
  rejected: number;
  crashes: string[];
  unclear: string[];
  maxMs: number;
}
const tally = (): Tally => ({ runs: 0, accepted: 0, rejected: 0, crashes: [], unclear: [], maxMs: 0 });

function check(
  t: Tally,
  src: string,
  fileBytes: number,
  read: () => unknown,
  valid: (r: unknown) => string | null,
): void {
  t.runs++;
  const t0 = performance.now();
  try {
    const r = read();
    const bad = valid(r);
    if (bad) t.crashes.push(`accepted an inconsistent result: ${bad}`);
    else t.accepted++;
  } catch (e) {
    if (!(e instanceof InitlabInputError)) t.crashes.push(`${(e as Error)?.name}: ${(e as Error)?.message}`);
    else if (!(e as Error).message.startsWith(src) || (e as Error).message.length < src.length + 8)
      t.unclear.push((e as Error).message);
    else t.rejected++;
  }
  t.maxMs = Math.max(t.maxMs, performance.now() - t0);
  void fileBytes;
}

function tensorsConsistent(
  tensors: Iterable<[string, { shape: number[]; data: ArrayLike<unknown> }]>,
  fileBytes: number,
): string | null {
  let decoded = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) return `tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`;
    decoded += (t.data as unknown as ArrayBufferView).byteLength;
  }
  // F16/BF16 decode to F32: at most twice the file's bytes.
  return decoded > 2 * fileBytes ? `decoded ${decoded} bytes from a ${fileBytes}-byte file` : null;
}

const report = (label: string, t: Tally) =>
  console.log(
    `fuzz ${label}: ${t.runs} mutations, ${t.accepted} read, ${t.rejected} rejected with a named error, ` +
      `crashes ${t.crashes.length}, unclear errors ${t.unclear.length}, slowest read ${t.maxMs.toFixed(1)} ms`,
  );

function assertClean(t: Tally): void {
  assert.deepEqual(t.crashes.slice(0, 5), [], `${t.crashes.length} crash(es)`);
  assert.deepEqual(t.unclear.slice(0, 5), [], `${t.unclear.length} unclear error(s)`);
}

const stSeeds = [
  new Uint8Array(fs.readFileSync(path.join(FX, "safetensors/dtypes.safetensors"))),
  new Uint8Array(fs.readFileSync(path.join(FX, "checkpoints/names/names.safetensors"))),
  new Uint8Array(fs.readFileSync(path.join(FX, "checkpoints/lora/adapter_model.safetensors"))),
  writeSafetensors(
    { a: { dtype: "F16", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, b: { dtype: "I64", shape: [2], data: [1n, -2n] } },
    { k: "v" },
  ),
];

test(
  `safetensors reader: ${Math.round(TOTAL * 0.4)} mutations, no crash, every error named`,
  { timeout: 600_000 },
  () => {
    const t = tally();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-fuzz-"));
    const file = path.join(tmp, "m.safetensors");
    for (let i = 0; i < Math.round(TOTAL * 0.4); i++) {
      const m = mutateSafetensors(pick(stSeeds));
      check(
        t,
        "safetensors",
        m.length,
        () => readSafetensors(m),
        (r) => tensorsConsistent(Object.entries((r as ReturnType<typeof readSafetensors>).tensors), m.length),
      );
      if (i % 10 === 0) {
        // The on-disk reader (header first, then one tensor at a time) sees the same bytes.
        fs.writeFileSync(file, m);
        check(
          t,
          file,
          m.length,
          () => {
            const r = openSafetensors(file);
            try {
              return [...r.entries.keys()].map((n) => [n, r.read(n)] as const);
            } finally {
              r.close();
            }
          },
          (r) => tensorsConsistent(r as Array<[string, { shape: number[]; data: ArrayLike<unknown> }]>, m.length),
        );
      }
    }
    fs.rmSync(tmp, { recursive: true });
    report("safetensors", t);
    assertClean(t);
    assert.ok(t.rejected > t.runs / 4 && t.accepted > 0, "the mutations reach both outcomes");
  },
);

test(`npy reader: ${Math.round(TOTAL * 0.3)} mutations, no crash, every error named`, { timeout: 600_000 }, () => {
  const seeds = [
    new Uint8Array(fs.readFileSync(path.join(FX, "safetensors/f32.npy"))),
    new Uint8Array(fs.readFileSync(path.join(FX, "safetensors/i64.npy"))),
    writeNpy({ dtype: "F16", shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }),
  ];
  const t = tally();
  for (let i = 0; i < Math.round(TOTAL * 0.3); i++) {
    const m = mutateNpy(pick(seeds));
    check(
      t,
      "npy",
      m.length,
      () => readNpy(m),
      (r) => tensorsConsistent([["array", r as { shape: number[]; data: ArrayLike<unknown> }]], m.length),
    );
  }
  report("npy", t);
  assertClean(t);
  assert.ok(t.rejected > t.runs / 4 && t.accepted > 0);
});

test(
  `index.json parser: ${TOTAL - Math.round(TOTAL * 0.4) - Math.round(TOTAL * 0.3)} mutations, no crash, every error named`,
  { timeout: 600_000 },
  () => {
    const seed = fs.readFileSync(path.join(FX, "checkpoints/base/model.safetensors.index.json"), "utf8");
    const t = tally();
    for (let i = 0; i < TOTAL - Math.round(TOTAL * 0.4) - Math.round(TOTAL * 0.3); i++) {
      const m = mutateIndex(seed);
      check(
        t,
        "index.json",
        m.length,
        () => parseSafetensorsIndex(m),
        (r) => {
          for (const [name, file] of (r as ReturnType<typeof parseSafetensorsIndex>).weightMap)
            if (typeof file !== "string" || file.includes("/") || !file.endsWith(".safetensors"))
              return `weight_map["${name}"] = ${file}`;
          return null;
        },
      );
    }
    report("index.json", t);
    assertClean(t);
    assert.ok(t.rejected > t.runs / 4 && t.accepted > 0);
  },
);
