import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSafetensors, readSafetensors, saveSafetensors, writeSafetensors } from "../../src/io/safetensors";
import { loadNpy, readNpy, writeNpy } from "../../src/io/npy";
import { bf16ToNumber, Dtype, f16ToNumber, numberToBf16, numberToF16 } from "../../src/io/dtypes";

const FX = path.join(__dirname, "../fixtures/safetensors");
const expected = JSON.parse(fs.readFileSync(path.join(FX, "dtypes.json"), "utf8"));

test("reads a numpy-written file with every dtype (values, shapes, metadata)", () => {
  const f = loadSafetensors(path.join(FX, "dtypes.safetensors"));
  assert.deepEqual({ ...f.metadata }, { format: "pt", note: "numpy-written" });
  assert.deepEqual(Object.keys(f.tensors).sort(), Object.keys(expected).sort());
  for (const [name, e] of Object.entries<{ dtype: Dtype; shape: number[]; values: (number | string)[] }>(expected)) {
    const t = f.tensors[name];
    assert.equal(t.dtype, e.dtype, name);
    assert.deepEqual(t.shape, e.shape, name);
    const got = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? String(v) : v));
    if (e.dtype === "F32" || e.dtype === "F16" || e.dtype === "BF16") {
      got.forEach((v, i) =>
        assert.ok(
          Object.is(v, e.values[i]) ||
            Math.abs((v as number) - (e.values[i] as number)) <= 1e-7 * Math.abs(e.values[i] as number),
          `${name}[${i}] ${v} vs ${e.values[i]}`,
        ),
      );
    } else assert.deepEqual(got, e.values, name);
  }
  assert.ok(f.tensors.i64.data instanceof BigInt64Array);
  assert.throws(
    () => loadSafetensors(path.join(FX, "dtypes.safetensors"), { int64: "number" }),
    /tensor "i64".*not exactly representable/,
  );
});

const roundTrip: Array<[Dtype, number[], Array<number | bigint>]> = [
  ["F32", [2, 3], [0, -1.5, 3.25, Math.fround(1e-30), Math.fround(-7e20), Math.fround(0.1)]],
  ["F64", [3], [Math.PI, -1e-300, 1e300]],
  ["F16", [2, 2], [0, -2, 65504, 5.960464477539063e-8]],
  ["BF16", [4], [1, -3, 0.15625, 3.3895313892515355e38]],
  ["I32", [4], [-2147483648, -1, 0, 2147483647]],
  ["I64", [3], [-(2n ** 63n), 0n, 2n ** 63n - 1n]],
  ["U8", [2, 2], [0, 1, 128, 255]],
  ["I8", [2], [-128, 127]],
  ["U16", [2], [0, 65535]],
  ["I16", [2], [-32768, 32767]],
  ["U32", [1], [4294967295]],
  ["U64", [1], [2n ** 64n - 1n]],
  ["BOOL", [3], [1, 0, 1]],
  ["F32", [], [42]],
  ["F32", [0, 5], []],
];

for (const [dtype, shape, values] of roundTrip) {
  test(`round trip ${dtype} shape [${shape}]`, () => {
    const bytes = writeSafetensors({ t: { dtype, shape, data: values as never } }, { k: "v" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0, "data buffer 8-aligned");
    const back = readSafetensors(bytes);
    assert.deepEqual({ ...back.metadata }, { k: "v" });
    assert.equal(back.tensors.t.dtype, dtype);
    assert.deepEqual(back.tensors.t.shape, shape);
    assert.deepEqual(Array.from(back.tensors.t.data as ArrayLike<number | bigint>), values);
  });
}

test("F16/BF16 encoders round to nearest even and agree with the decoders", () => {
  assert.equal(numberToF16(1 + 2 ** -11), numberToF16(1)); // halfway → even
  assert.equal(numberToF16(1 + 3 * 2 ** -11), numberToF16(1 + 2 ** -9));
  assert.equal(f16ToNumber(numberToF16(65520)), Infinity);
  assert.ok(Number.isNaN(f16ToNumber(numberToF16(NaN))));
  assert.equal(f16ToNumber(numberToF16(2 ** -25)), 0); // half of the smallest subnormal → 0
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(numberToF16(f16ToNumber(h)), h, `f16 ${h}`);
  for (let b = 0; b < 0x7f80; b += 13) assert.equal(numberToBf16(bf16ToNumber(b)), b, `bf16 ${b}`);
  assert.equal(bf16ToNumber(numberToBf16(1 + 2 ** -8)), 1); // tie → even
});

test("multiple tensors keep order; file helpers round trip", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "st-"));
  const p = path.join(dir, "x.safetensors");
  saveSafetensors(p, { b: { dtype: "F32", shape: [2], data: [1, 2] }, a: { dtype: "I32", shape: [1], data: [3] } });
  const f = loadSafetensors(p);
  assert.deepEqual(Object.keys(f.tensors), ["b", "a"]);
  assert.deepEqual({ ...f.metadata }, {});
  fs.rmSync(dir, { recursive: true });
});

test("writer rejects bad input", () => {
  assert.throws(
    () => writeSafetensors({ t: { dtype: "F32", shape: [3], data: [1, 2] } }),
    /tensors\["t"\]: has 2 values; shape \[3\] needs 3/,
  );
  assert.throws(() => writeSafetensors({ t: { dtype: "Q4" as Dtype, shape: [1], data: [1] } }), /unknown dtype "Q4"/);
  assert.throws(() => writeSafetensors({ t: { dtype: "U8", shape: [1], data: [256] } }), /U8 holds integers/);
  assert.throws(() => writeSafetensors({ t: { dtype: "I64", shape: [1], data: [2 ** 60] } }), /I64 needs an integer/);
  assert.throws(
    () => writeSafetensors({ __metadata__: { dtype: "F32", shape: [1], data: [1] } }),
    /not a valid tensor name/,
  );
  assert.throws(() => writeSafetensors({}, { n: 1 as never }), /metadata: value of "n" must be a string/);
});

// ---- corrupt corpus: every case must throw an error naming the tensor (or header) and the reason.
function file(header: string | object, data: Uint8Array | number = 0, lengthOverride?: bigint): Uint8Array {
  const h = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}
const ent = (dtype: string, shape: number[], a: number, b: number) => ({ dtype, shape, data_offsets: [a, b] });
const valid = writeSafetensors({
  w: { dtype: "F32", shape: [2, 2], data: [1, 2, 3, 4] },
  b: { dtype: "F32", shape: [2], data: [5, 6] },
});

const corrupt: Array<[string, Uint8Array, RegExp]> = [
  ["empty file", new Uint8Array(0), /header: truncated file: 0 bytes/],
  ["7 bytes", new Uint8Array(7), /header: truncated file: 7 bytes/],
  ["header length beyond the file", file({}, 0, 1000n), /header: header length 1000 is beyond the file/],
  ["header length 2^64 − 1", file({}, 0, 2n ** 64n - 1n), /header length 18446744073709551615 is beyond the file/],
  [
    "truncated data (file cut mid-tensor)",
    valid.subarray(0, valid.length - 3),
    /tensor "b": data_offsets \[16, 24\] are out of range/,
  ],
  ["invalid JSON", file('{"w": {"dtype": "F32",'), /header: invalid JSON/],
  ["header not an object", file("[1, 2]"), /header: must be a JSON object/],
  [
    "invalid UTF-8",
    file(Buffer.from([0x7b, 0xff, 0x7d]).toString("latin1")),
    /header: (is not valid UTF-8|invalid JSON)/,
  ],
  ["unknown dtype", file({ w: ent("Q4_K", [2], 0, 2) }, 2), /tensor "w": unknown or unsupported dtype "Q4_K"/],
  [
    "shape vs byte length",
    file({ w: ent("F32", [2, 3], 0, 16) }, 16),
    /tensor "w": shape \[2, 3\] of F32 needs 24 bytes but data_offsets span 16/,
  ],
  [
    "offsets out of range",
    file({ w: ent("F32", [4], 0, 16) }, 8),
    /tensor "w": data_offsets \[0, 16\] are out of range: the data buffer has 8 bytes/,
  ],
  [
    "overlapping offsets",
    file({ a: ent("F32", [2], 0, 8), b: ent("F32", [2], 4, 12) }, 12),
    /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/,
  ],
  ["same range twice", file({ a: ent("F32", [2], 0, 8), b: ent("F32", [2], 0, 8) }, 8), /overlap tensor/],
  [
    "gap between tensors",
    file({ a: ent("F32", [1], 0, 4), b: ent("F32", [1], 8, 12) }, 12),
    /tensor "b": .*leave a gap/,
  ],
  ["trailing bytes", file({ a: ent("F32", [1], 0, 4) }, 8), /header: tensors cover 4 bytes but the data buffer has 8/],
  ["begin > end", file({ a: ent("F32", [0], 4, 0) }, 4), /tensor "a": data_offsets \[4, 0\] have begin > end/],
  ["negative offset", file({ a: ent("F32", [1], -4, 0) }, 4), /tensor "a": data_offsets must be/],
  ["negative shape", file({ a: ent("F32", [-1], 0, 4) }, 4), /tensor "a": shape entry 0 is -1/],
  [
    "duplicate tensor keys",
    file(
      '{"w": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "w": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      4,
    ),
    /tensor "w": duplicate key "w"/,
  ],
  [
    "duplicate field inside an entry",
    file('{"w": {"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}', 4),
    /duplicate key "dtype"/,
  ],
  ["metadata not strings", file({ __metadata__: { n: 1 } }), /__metadata__: value of "n" is number/],
  ["missing data_offsets", file({ w: { dtype: "F32", shape: [1] } }, 4), /tensor "w": data_offsets must be/],
  [
    "BOOL byte not 0/1",
    file({ w: ent("BOOL", [1], 0, 1) }, new Uint8Array([2])),
    /tensor "w": BOOL element 0 is byte 2/,
  ],
];

for (const [label, bytes, re] of corrupt) {
  test(`corrupt: ${label} is rejected`, () => {
    assert.throws(
      () => readSafetensors(bytes, { source: "x.st" }),
      (e: Error) => {
        assert.match(e.message, /^x\.st /, "names the source");
        assert.match(e.message, re);
        return true;
      },
    );
  });
}

test("a valid file still parses after the corrupt cases (control)", () => {
  assert.deepEqual(Array.from(readSafetensors(valid).tensors.w.data as Float32Array), [1, 2, 3, 4]);
});

test("missing file: error names the path", () => {
  assert.throws(
    () => loadSafetensors("/nonexistent/a.safetensors"),
    /\/nonexistent\/a\.safetensors: cannot read file: ENOENT/,
  );
});

// ---- npy --------------------------------------------------------------------------
test("npy: reads numpy's np.save output (F32 and I64)", () => {
  const a = loadNpy(path.join(FX, "f32.npy"));
  assert.equal(a.dtype, "F32");
  assert.deepEqual(a.shape, [3, 4]);
  assert.deepEqual(
    Array.from(a.data as Float32Array),
    Array.from({ length: 12 }, (_, i) => (i - 5) / 4),
  );
  const b = loadNpy(path.join(FX, "i64.npy"));
  assert.deepEqual(Array.from(b.data as BigInt64Array, String), expected.i64.values);
});

for (const [dtype, shape, values] of roundTrip.filter(([d]) => d !== "BF16")) {
  test(`npy round trip ${dtype} shape [${shape}]`, () => {
    const bytes = writeNpy({ dtype, shape, data: values as never });
    const hlen = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + hlen) % 64, 0, "data 64-aligned");
    const back = readNpy(bytes);
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.data as ArrayLike<number | bigint>), values);
  });
}

test("npy: our writer's bytes equal numpy's for the same array", () => {
  const ours = writeNpy({ dtype: "F32", shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => (i - 5) / 4) });
  assert.deepEqual(Buffer.from(ours), fs.readFileSync(path.join(FX, "f32.npy")));
});

test("npy: corrupt or unsupported input is rejected", () => {
  const good = fs.readFileSync(path.join(FX, "f32.npy"));
  const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  assert.throws(() => readNpy(u8(good.subarray(0, 5)), { source: "a.npy" }), /a\.npy: truncated file/);
  assert.throws(
    () => readNpy(u8(good.subarray(0, good.length - 4)), { source: "a.npy" }),
    /a\.npy: shape \(3, 4\) of <f4 needs 48 data bytes but the file has 44/,
  );
  const bad = Buffer.from(good);
  bad[0] = 0;
  assert.throws(() => readNpy(u8(bad)), /bad magic/);
  const be = Buffer.from(good.toString("latin1").replace("'<f4'", "'>f4'"), "latin1");
  assert.throws(() => readNpy(u8(be)), /big-endian/);
  const fo = Buffer.from(good.toString("latin1").replace("False", "True "), "latin1");
  assert.throws(() => readNpy(u8(fo)), /fortran_order=True/);
  const longHeader = Buffer.from(good);
  longHeader.writeUInt16LE(60000, 8);
  assert.throws(() => readNpy(u8(longHeader)), /header length 60000 is beyond the file/);
  assert.throws(() => writeNpy({ dtype: "BF16", shape: [1], data: [1] }), /no \.npy equivalent/);
});
