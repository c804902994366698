import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { Matrix as MlMatrix } from "ml-matrix";
import {
  effectiveRank, participationRatio, rankMe, relativeWeightChange, spectralNorm, spectrum, stableRank,
} from "../../src/metrics/spectral";
import { Rng } from "../../src/random";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/spectral.json", "utf8"));

function close(actual: number, expected: number, rtol: number, msg: string): void {
  assert.ok(Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected)), `${msg}: ${actual} vs ${expected} (rtol ${rtol})`);
}
const diag = (d: number[]): number[][] => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
const gaussian = (rows: number, cols: number, seedValue: number): number[][] => {
  const r = new Rng(seedValue);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.normal()));
};
const scale = (z: number[][], c: number) => z.map((r) => r.map((v) => v * c));
const outer = (u: number[], v: number[]) => u.map((a) => v.map((b) => a * b));

// The card's hand checks (§1d): eps = 1e-7, natural log, no centring.
const I4 = diag([1, 1, 1, 1]);
const hand: Array<[string, number[][], number, number]> = [
  ["I₄", I4, 4.0000006, 5e-8],
  ["I₄ stacked twice (8×4)", [...I4, ...I4], 4.0000006, 5e-8],
  ["diag(3,1)", diag([3, 1]), 1.7547653, 5e-8],
  ["diag(1,1,0,0)", diag([1, 1, 0, 0]), 2.0000063, 5e-8],
  ["rank-1 4×4", outer([1, 2, 3, 4], [2, -1, 0.5, 1]), 1.0000047, 5e-8],
];
for (const [name, z, want, tol] of hand) {
  test(`rankMe hand check: ${name} → ${want}`, () => close(rankMe(z), want, tol, name));
}

const invariances: Array<[string, number[][]]> = [
  ["gaussian 30×6 (Gram route)", gaussian(30, 6, 1)],
  ["gaussian 7×5 (SVD route)", gaussian(7, 5, 2)],
  ["gaussian 5×24 wide (Gram route)", gaussian(5, 24, 3)],
];
for (const [name, z] of invariances) {
  test(`rankMe is scale invariant and stacked-duplicate invariant: ${name}`, () => {
    const r = rankMe(z);
    for (const c of [1e-3, 0.5, 7, 1e4]) close(rankMe(scale(z, c)), r, 1e-9, `c = ${c}`);
    if (z.length >= z[0].length) {
      close(rankMe([...z, ...z]), r, 1e-9, "stacked twice");
      close(rankMe([...z, ...z, ...z]), r, 1e-9, "stacked three times");
    } else {
      // Stacking a wide matrix adds zero singular values (min(N, K) grows), each adding an
      // eps-sized entropy term: exact invariance holds only at eps = 0.
      close(rankMe([...z, ...z], { eps: 0 }), rankMe(z, { eps: 0 }), 1e-9, "stacked twice, eps 0");
      assert.ok(rankMe([...z, ...z]) > r, "eps terms of the added zero singular values raise it");
    }
    // Transposing swaps the route (or keeps it) but not the singular values.
    close(rankMe(z[0].map((_, j) => z.map((row) => row[j]))), r, 1e-9, "transpose");
  });
}

test("rankMe of a 100×64 i.i.d. Gaussian is ≈ 57.4 (card; few samples bias it below 64)", () => {
  for (const s of [11, 12, 13]) {
    const r = rankMe(gaussian(100, 64, s));
    assert.ok(r > 56.5 && r < 58.3, `seed ${s}: ${r}`);
  }
});

test("rankMe centring option: a large offset collapses the uncentred rank only", () => {
  const z = gaussian(200, 16, 5).map((r) => r.map((v) => v + 10));
  const raw = rankMe(z);
  const centred = rankMe(z, { center: true });
  assert.ok(raw < 4, `uncentred ${raw}`);
  assert.ok(centred > 13, `centred ${centred}`);
});

test("rankMe accepts tf tensors and ml-matrix matrices with the same value", () => {
  const z = gaussian(20, 4, 9);
  const t = tf.tensor2d(z);
  close(rankMe(t), rankMe(z), 1e-6, "tensor (float32)");
  t.dispose();
  close(rankMe(new MlMatrix(z)), rankMe(z), 1e-12, "ml-matrix");
});

test("rankMe's eps option: eps = 0 gives the plain effective rank", () => {
  close(rankMe(I4, { eps: 0 }), 4, 1e-12, "I₄");
  close(rankMe(diag([1, 1, 0, 0]), { eps: 0 }), 2, 1e-12, "diag(1,1,0,0)");
});

const erCases: Array<[string, number[], number]> = [
  ["uniform of length 5", [2, 2, 2, 2, 2], 5],
  ["one non-zero", [3, 0, 0], 1],
  ["p = (.75, .25)", [3, 1], Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)))],
  ["Float64Array input", Float64Array.from([1, 1]) as unknown as number[], 2],
];
for (const [name, s, want] of erCases) {
  test(`effectiveRank closed form: ${name}`, () => close(effectiveRank(s), want, 1e-12, name));
}

for (const c of fx.cases) {
  test(`agrees with numpy fixture: ${c.name}`, () => {
    const sv = spectrum(c.z);
    assert.equal(sv.length, c.s.length);
    sv.forEach((v, i) => close(v, c.s[i], 1e-10, `σ[${i}]`));
    // The Gram route squares the condition number: tiny σ move by ~1e-8 relative, which
    // changes RankMe only at the 1e-7 level.
    close(rankMe(c.z), c.rankMe, 1e-6, "rankMe");
    close(rankMe(c.z, { center: true }), c.rankMeCentered, 1e-6, "rankMe centred");
    close(effectiveRank(c.s), c.rankMeEps0, 1e-10, "effectiveRank (eps 0)");
    close(effectiveRank(c.s, { eps: 1e-7 }), c.rankMe, 1e-10, "effectiveRank (eps 1e-7)");
    close(stableRank(c.z), c.stableRank, 1e-10, "stableRank");
    close(spectralNorm(c.z), c.spectralNorm, 1e-10, "spectralNorm");
    close(participationRatio(c.z), c.participationRatio, 1e-10, "participationRatio");
  });
}

// Closed forms of the other summaries.
const q = (t: number) => [[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]];
const closedForms: Array<[string, number[][], { stable: number; norm: number; pr: number }]> = [
  ["diag(3,1)", diag([3, 1]), { stable: 10 / 9, norm: 3, pr: 100 / 82 }],
  ["rotation (orthogonal 2×2)", q(0.3), { stable: 2, norm: 1, pr: 2 }],
  ["5·I₃", scale(diag([1, 1, 1]), 5), { stable: 3, norm: 5, pr: 3 }],
  ["rank-1 u vᵀ, ‖u‖=5, ‖v‖=2", outer([3, 4], [0, 2, 0]), { stable: 1, norm: 10, pr: 1 }],
  ["diag(2,1,1) stacked (6×3)", [...diag([2, 1, 1]), ...diag([2, 1, 1])], { stable: 6 / 4, norm: 2 * Math.SQRT2, pr: 36 / 18 }],
];
for (const [name, w, want] of closedForms) {
  test(`stableRank, spectralNorm, participationRatio closed forms: ${name}`, () => {
    close(stableRank(w), want.stable, 1e-12, "stableRank");
    close(spectralNorm(w), want.norm, 1e-12, "spectralNorm");
    close(participationRatio(w), want.pr, 1e-12, "participationRatio");
  });
}

test("spectrum is descending and non-negative", () => {
  const s = spectrum(gaussian(9, 4, 21));
  for (let i = 1; i < s.length; i++) assert.ok(s[i - 1] >= s[i]);
  assert.ok(s.every((v) => v >= 0));
});

test("relativeWeightChange closed forms", () => {
  const w = gaussian(4, 3, 8);
  close(relativeWeightChange(w, w), 0, 1e-15, "same");
  close(relativeWeightChange(w, scale(w, 3)), 2, 1e-12, "3w");
  close(relativeWeightChange(diag([3, 4]), diag([3, 4]).map((r, i) => r.map((v, j) => v + (i === 0 && j === 1 ? 5 : 0)))), 1, 1e-12, "+5 entry");
});

const bad: Array<[string, () => unknown, RegExp]> = [
  ["rankMe NaN entry", () => rankMe([[1, NaN], [0, 1]]), /z: entry \[0\]\[1\] is NaN/],
  ["rankMe Infinity entry", () => rankMe([[1, 0], [Infinity, 1]]), /z: entry \[1\]\[0\] is Infinity/],
  ["rankMe empty", () => rankMe([]), /z: is empty/],
  ["rankMe empty rows", () => rankMe([[]]), /z: is empty/],
  ["rankMe 1-D array", () => rankMe([1, 2, 3] as unknown as number[][]), /z: must be 2-D/],
  ["rankMe 1-D tensor", () => rankMe(tf.tensor1d([1, 2]) as never), /z: must be a 2-D tensor/],
  ["rankMe ragged", () => rankMe([[1, 2], [3]]), /z: is ragged/],
  ["rankMe all zeros", () => rankMe([[0, 0], [0, 0]]), /singularValues: are all zero/],
  ["rankMe unknown option", () => rankMe(I4, { centre: true } as never), /opts: unknown option "centre"/],
  ["rankMe negative eps", () => rankMe(I4, { eps: -1 }), /opts.eps: must be a finite number >= 0/],
  ["effectiveRank NaN", () => effectiveRank([1, NaN]), /singularValues: entry 1 is NaN/],
  ["effectiveRank empty", () => effectiveRank([]), /singularValues: is empty/],
  ["effectiveRank negative", () => effectiveRank([1, -1]), /singularValues: entry 1 is -1/],
  ["effectiveRank unknown option", () => effectiveRank([1], { epsilon: 1 } as never), /opts: unknown option "epsilon"/],
  ["stableRank NaN", () => stableRank([[NaN]]), /w: entry \[0\]\[0\] is NaN/],
  ["stableRank zero matrix", () => stableRank([[0, 0]]), /w: is all zeros/],
  ["spectralNorm empty", () => spectralNorm([]), /w: is empty/],
  ["spectrum 1-D", () => spectrum([1, 2] as unknown as number[][]), /w: must be 2-D/],
  ["participationRatio zero matrix", () => participationRatio([[0]]), /w: is all zeros/],
  ["relativeWeightChange shape mismatch", () => relativeWeightChange([[1, 2]], [[1], [2]]), /w1: shape 2×1 does not match w0's 1×2/],
  ["relativeWeightChange zero w0", () => relativeWeightChange([[0]], [[1]]), /w0: is all zeros/],
];
for (const [name, fn, re] of bad) test(`rejects bad input: ${name}`, () => assert.throws(fn, re));
