// Simulated FP8/FP4/INT formats against hand-computed grids, maxima, spacings and ties, and a
// brute-force nearest-value search; group scales under the power-of-two constraints.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ceilLog2,
  floorLog2,
  formatGrid,
  formatMax,
  fpSpacing,
  quantizeMatrix,
  quantizeValue,
  QuantFormatName,
} from "../../src/compress";
import { Rng } from "../../src/core/random";

test("every format's max, value count, smallest subnormal and spacing match hand-computed values", () => {
  // E4M3: 15 binades × 8 − the NaN pattern (480) + 7 subnormals + zero = 127 non-negative values.
  // E5M2: 30 binades × 4 + 3 subnormals + zero = 124. E2M1: {0, .5, 1, 1.5, 2, 3, 4, 6}.
  const cases: Array<[QuantFormatName, number, number, number, Array<[number, number]>]> = [
    [
      "e4m3",
      448,
      127,
      2 ** -9,
      [
        [1, 0.125],
        [256, 32],
        [2 ** -6, 2 ** -9],
        [0.001, 2 ** -9],
        [447, 32],
      ],
    ],
    [
      "e5m2",
      57344,
      124,
      2 ** -16,
      [
        [1, 0.25],
        [2 ** -14, 2 ** -16],
        [40000, 8192],
      ],
    ],
    [
      "e2m1",
      6,
      8,
      0.5,
      [
        [1, 0.5],
        [0.5, 0.5],
        [2, 1],
        [5, 2],
      ],
    ],
  ];
  for (const [f, max, count, sub, spacings] of cases) {
    assert.equal(formatMax(f), max, f);
    const g = formatGrid(f);
    assert.equal(g.length, count, `${f} count`);
    assert.equal(g[g.length - 1], max, `${f} top of grid`);
    assert.equal(g[1], sub, `${f} smallest subnormal`);
    for (const [a, s] of spacings) assert.equal(fpSpacing(a, f as "e4m3"), s, `${f} spacing at ${a}`);
  }
  assert.deepEqual(formatGrid("e2m1"), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  assert.equal(formatMax("int8"), 127);
  assert.equal(formatMax("int4"), 7);
});

test("representable values round-trip exactly, with both signs", () => {
  for (const f of ["e4m3", "e5m2", "e2m1", "int8", "int4"] as QuantFormatName[]) {
    for (const v of formatGrid(f)) {
      assert.equal(quantizeValue(v, f), v, `${f} ${v}`);
      assert.ok(quantizeValue(-v, f) === -v, `${f} −${v}`);
    }
  }
});

test("ties round to the even mantissa, overflow saturates, subnormals are kept", () => {
  const cases: Array<[QuantFormatName, number, number]> = [
    ["e2m1", 2.5, 2],
    ["e2m1", 3.5, 4],
    ["e2m1", 5, 4],
    ["e2m1", 0.25, 0],
    ["e2m1", 0.75, 1],
    ["e2m1", 7, 6],
    ["e2m1", -100, -6],
    ["e4m3", 1.0625, 1],
    ["e4m3", 1.1875, 1.25],
    ["e4m3", 1000, 448],
    ["e4m3", 2 ** -10, 0],
    ["e4m3", 3 * 2 ** -10, 2 ** -8],
    ["e5m2", 1.125, 1],
    ["e5m2", 1e6, 57344],
    ["int4", 2.5, 2],
    ["int4", -3.5, -4],
    ["int4", 9, 7],
    ["int8", 126.6, 127],
  ];
  for (const [f, x, want] of cases) assert.equal(quantizeValue(x, f), want, `${f}(${x})`);
});

test("quantizeValue returns the nearest grid value (brute force over random inputs)", () => {
  const rng = new Rng(7);
  for (const f of ["e4m3", "e5m2", "e2m1", "int4"] as QuantFormatName[]) {
    const g = formatGrid(f);
    const full = [...g.map((v) => -v), ...g];
    const max = formatMax(f);
    for (let t = 0; t < 2000; t++) {
      const x = (rng.next() * 2 - 1) * max * (t % 3 === 0 ? 0.01 : 1);
      const q = quantizeValue(x, f);
      assert.ok(full.includes(q), `${f}: ${q} not in grid`);
      const best = Math.min(...full.map((v) => Math.abs(v - x)));
      assert.ok(Math.abs(Math.abs(q - x) - best) < 1e-12, `${f}(${x}) = ${q}, nearest is ${best} away`);
    }
  }
});

test("floorLog2 / ceilLog2 are exact at and around powers of two", () => {
  for (let e = -30; e <= 30; e++) {
    assert.equal(floorLog2(2 ** e), e);
    assert.equal(ceilLog2(2 ** e), e);
    assert.equal(floorLog2(2 ** e * 1.0000001), e);
    assert.equal(ceilLog2(2 ** e * 1.0000001), e + 1);
  }
});

function randomMatrix(rows: number, cols: number, seedValue: number): number[][] {
  const rng = new Rng(seedValue);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * 0.05));
}

test("pow2 scales are powers of two ≥ the real scale; rowpow2 scales are the row scale times 2^(−j), j ≥ 0", () => {
  const W = randomMatrix(40, 6, 1);
  const real = quantizeMatrix(W, { format: "e2m1", groupSize: 8, scale: "real" });
  const m1 = quantizeMatrix(W, { format: "e2m1", groupSize: 8, scale: "pow2" });
  const m2 = quantizeMatrix(W, { format: "e2m1", groupSize: 8, scale: "rowpow2" });
  for (let j = 0; j < 6; j++) {
    const rowScale = Math.max(...real.scales[j]);
    for (let g = 0; g < 5; g++) {
      const s = m1.scales[j][g];
      assert.equal(2 ** Math.round(Math.log2(s)), s, "M1 scale is a power of two");
      assert.ok(s >= real.scales[j][g] && s < 2 * real.scales[j][g], "M1 rounds the real scale up, by < 2×");
      const r = m2.scales[j][g] / rowScale;
      assert.equal(2 ** Math.round(Math.log2(r)), r, "M2 ratio is a power of two");
      assert.ok(r <= 1 && m2.scales[j][g] >= real.scales[j][g], "M2 never overflows the group");
    }
  }
  // no value ever clips: every dequantized magnitude within max·scale
  for (const q of [real, m1, m2])
    for (let i = 0; i < 40; i++)
      for (let j = 0; j < 6; j++) assert.ok(Math.abs(q.W[i][j]) <= 6 * q.scales[j][Math.floor(i / 8)] + 1e-15);
});

test("quantizeMatrix round-trips a matrix already on the scaled grid, and each entry is its group's grid value", () => {
  const col = [6, 3, -1.5, 0.5, -4, 0, 1, 2];
  const W = col.map((v) => [v * 0.1, v * 0.25]);
  const q = quantizeMatrix(W, { format: "e2m1", scale: "real" });
  for (let i = 0; i < col.length; i++) {
    assert.ok(Math.abs(q.W[i][0] - W[i][0]) < 1e-15);
    assert.ok(Math.abs(q.W[i][1] - W[i][1]) < 1e-15);
  }
  const R = randomMatrix(16, 3, 2);
  const p = quantizeMatrix(R, { format: "e4m3", groupSize: 4, scale: "pow2" });
  for (let i = 0; i < 16; i++)
    for (let j = 0; j < 3; j++) {
      const s = p.scales[j][Math.floor(i / 4)];
      assert.equal(p.W[i][j], quantizeValue(R[i][j] / s, "e4m3") * s);
    }
});

test("quantizeMatrix rejects bad input with the argument named", () => {
  assert.throws(() => quantizeMatrix([], { format: "e2m1" }), /W/);
  assert.throws(() => quantizeMatrix([[1, NaN]], { format: "e2m1" }), /W.*NaN/);
  assert.throws(() => quantizeMatrix([[1, 2], [3]], { format: "e2m1" }), /row 1/);
  assert.throws(() => quantizeMatrix([[1]], { format: "fp3" as "e2m1" }), /unknown format/);
  assert.throws(() => quantizeMatrix([[1]], { format: "e2m1", groupSize: 0 }), /groupSize/);
  assert.throws(() => quantizeMatrix([[1]], { format: "e2m1", scale: "log" as "real" }), /scale/);
  assert.throws(() => quantizeMatrix([[1]], { format: "e2m1", bits: 4 } as never), /unknown option "bits"/);
});
