import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { Matrix as MlMatrix } from "ml-matrix";
import {
  effectiveRank,
  participationRatio,
  rankMe,
  relativeWeightChange,
  spectralNorm,
  spectrum,
  stableRank,
} from "../../src/metrics/spectral";
import { Rng, seed } from "../../src/core/random";
import { createSpectralProbe, spectrumMetrics } from "../../src/metrics/probe";
import { ridgeProbe } from "../../src/metrics/linear-probe";
import { augmentImages, JointEmbeddingModel, vicregLoss } from "../../src/nn/vicreg";
import { train } from "../../src/train/loop";
import { trainVICReg, twoViewSource } from "../../src/train/vicreg";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/spectral.json", "utf8"));

function close(actual: number, expected: number, rtol: number, msg: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected)),
    `${msg}: ${actual} vs ${expected} (rtol ${rtol})`,
  );
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
const q = (t: number) => [
  [Math.cos(t), -Math.sin(t)],
  [Math.sin(t), Math.cos(t)],
];
const closedForms: Array<[string, number[][], { stable: number; norm: number; pr: number }]> = [
  ["diag(3,1)", diag([3, 1]), { stable: 10 / 9, norm: 3, pr: 100 / 82 }],
  ["rotation (orthogonal 2×2)", q(0.3), { stable: 2, norm: 1, pr: 2 }],
  ["5·I₃", scale(diag([1, 1, 1]), 5), { stable: 3, norm: 5, pr: 3 }],
  ["rank-1 u vᵀ, ‖u‖=5, ‖v‖=2", outer([3, 4], [0, 2, 0]), { stable: 1, norm: 10, pr: 1 }],
  [
    "diag(2,1,1) stacked (6×3)",
    [...diag([2, 1, 1]), ...diag([2, 1, 1])],
    { stable: 6 / 4, norm: 2 * Math.SQRT2, pr: 36 / 18 },
  ],
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
  close(
    relativeWeightChange(
      diag([3, 4]),
      diag([3, 4]).map((r, i) => r.map((v, j) => v + (i === 0 && j === 1 ? 5 : 0))),
    ),
    1,
    1e-12,
    "+5 entry",
  );
});

const bad: Array<[string, () => unknown, RegExp]> = [
  [
    "rankMe NaN entry",
    () =>
      rankMe([
        [1, NaN],
        [0, 1],
      ]),
    /z: entry \[0\]\[1\] is NaN/,
  ],
  [
    "rankMe Infinity entry",
    () =>
      rankMe([
        [1, 0],
        [Infinity, 1],
      ]),
    /z: entry \[1\]\[0\] is Infinity/,
  ],
  ["rankMe empty", () => rankMe([]), /z: is empty/],
  ["rankMe empty rows", () => rankMe([[]]), /z: is empty/],
  ["rankMe 1-D array", () => rankMe([1, 2, 3] as unknown as number[][]), /z: must be 2-D/],
  ["rankMe 1-D tensor", () => rankMe(tf.tensor1d([1, 2]) as never), /z: must be a 2-D tensor/],
  ["rankMe ragged", () => rankMe([[1, 2], [3]]), /z: is ragged/],
  [
    "rankMe all zeros",
    () =>
      rankMe([
        [0, 0],
        [0, 0],
      ]),
    /singularValues: are all zero/,
  ],
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
  [
    "relativeWeightChange shape mismatch",
    () => relativeWeightChange([[1, 2]], [[1], [2]]),
    /w1: shape 2×1 does not match w0's 1×2/,
  ],
  ["relativeWeightChange zero w0", () => relativeWeightChange([[0]], [[1]]), /w0: is all zeros/],
];
for (const [name, fn, re] of bad) test(`rejects bad input: ${name}`, () => assert.throws(fn, re));

// ---------------------------------------------------------------------------------------
// Training probe (src/metrics/probe.ts)

test("probe records every N steps, once per step, one row per target × metric", () => {
  const a = gaussian(40, 6, 31);
  const probe = createSpectralProbe({
    every: 5,
    targets: { a: () => a, b: () => diag([3, 1]) },
    metrics: ["rankMe", "stableRank"],
  });
  const recorded: number[] = [];
  for (let s = 0; s <= 12; s++) if (probe.maybeRecord(s)) recorded.push(s);
  assert.equal(probe.maybeRecord(10), false, "same step twice");
  assert.deepEqual(recorded, [0, 5, 10]);
  assert.equal(probe.records, 3);
  assert.equal(probe.rows().length, 3 * 2 * 2);
  assert.ok(Number.isFinite(probe.seconds) && probe.seconds >= 0);
  assert.deepEqual(
    probe
      .rows()
      .slice(0, 4)
      .map((r) => `${r.step}:${r.target}:${r.metric}`),
    ["0:a:rankMe", "0:a:stableRank", "0:b:rankMe", "0:b:stableRank"],
  );
});

const probeTargets: Array<[string, number[][]]> = [
  ["tall 60×5 (Gram route)", gaussian(60, 5, 41)],
  ["wide 4×30 (Gram route)", gaussian(4, 30, 42)],
  ["square 7×7 (SVD route)", gaussian(7, 7, 43)],
  ["rank-1 4×4", outer([1, 2, 3, 4], [2, -1, 0.5, 1])],
];
for (const [name, z] of probeTargets) {
  test(`probe values equal the library functions: ${name}`, () => {
    const probe = createSpectralProbe({
      every: 1,
      targets: { z: () => z },
      metrics: ["rankMe", "effectiveRank", "stableRank", "spectralNorm", "participationRatio"],
    });
    probe.record(3);
    const got = Object.fromEntries(probe.rows().map((r) => [r.metric, r.value]));
    close(got.rankMe, rankMe(z), 1e-6, "rankMe");
    close(got.effectiveRank, effectiveRank(spectrum(z)), 1e-6, "effectiveRank");
    close(got.stableRank, stableRank(z), 1e-8, "stableRank");
    close(got.spectralNorm, spectralNorm(z), 1e-8, "spectralNorm");
    close(got.participationRatio, participationRatio(z), 1e-8, "participationRatio");
  });
}

test("spectrumMetrics on diag(3,1) singular values: closed forms", () => {
  const m = spectrumMetrics([3, 1]);
  close(m.rankMe, 1.7547653, 5e-8, "rankMe");
  close(m.stableRank, 10 / 9, 1e-12, "stableRank");
  close(m.participationRatio, 100 / 82, 1e-12, "participationRatio");
  close(m.spectralNorm, 3, 1e-12, "spectralNorm");
});

test("probe disposes tensors its targets create but not variables", () => {
  const v = tf.variable(tf.tensor2d(gaussian(8, 3, 51)));
  const before = tf.memory().numTensors;
  const probe = createSpectralProbe({
    every: 1,
    targets: { fresh: () => tf.tensor2d(gaussian(8, 3, 52)), weight: () => v as unknown as tf.Tensor2D },
  });
  probe.record(0);
  probe.record(1);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(v.isDisposed, false);
  v.dispose();
});

const badProbe: Array<[string, () => unknown, RegExp]> = [
  [
    "every 0",
    () => createSpectralProbe({ every: 0, targets: { a: () => I4 } }),
    /opts.every: must be a positive integer/,
  ],
  ["empty targets", () => createSpectralProbe({ every: 1, targets: {} }), /opts.targets: is empty/],
  [
    "non-function target",
    () => createSpectralProbe({ every: 1, targets: { a: I4 as never } }),
    /opts.targets: "a" must be a function/,
  ],
  [
    "unknown metric",
    () => createSpectralProbe({ every: 1, targets: { a: () => I4 }, metrics: ["rank" as never] }),
    /opts.metrics: unknown metric "rank"/,
  ],
  [
    "unknown option",
    () => createSpectralProbe({ every: 1, targets: { a: () => I4 }, evry: 2 } as never),
    /opts: unknown option "evry"/,
  ],
  [
    "NaN from a target",
    () => createSpectralProbe({ every: 1, targets: { a: () => [[NaN]] } }).record(0),
    /targets.a\(\): entry \[0\]\[0\] is NaN/,
  ],
];
for (const [name, fn, re] of badProbe) test(`probe rejects bad input: ${name}`, () => assert.throws(fn, re));

// ---------------------------------------------------------------------------------------
// Ridge linear probe (src/metrics/linear-probe.ts)

function clusters(n: number, seedValue: number, spread: number): { x: number[][]; y: number[] } {
  const r = new Rng(seedValue);
  const centres = [
    [4, 0],
    [0, 4],
    [-4, -4],
  ];
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push(centres[c].map((v) => v + spread * r.normal()));
    y.push(c);
  }
  return { x, y };
}

test("ridge probe solves the normal equations (XᵀX + λI)W = XᵀY with an unpenalised bias", () => {
  const { x, y } = clusters(30, 61, 2);
  const lambda = 3;
  const { weights } = ridgeProbe(x, y, x, y, { lambda });
  const a = x.map((r) => [...r, 1]);
  const d = 3;
  for (let i = 0; i < d; i++) {
    for (let c = 0; c < 3; c++) {
      let lhs = 0;
      for (let j = 0; j < d; j++) lhs += a.reduce((s, row) => s + row[i] * row[j], 0) * weights[j][c];
      if (i < d - 1) lhs += lambda * weights[i][c];
      const rhs = a.reduce((s, row, k) => s + row[i] * (y[k] === c ? 1 : 0), 0);
      close(lhs, rhs, 1e-8, `row ${i} class ${c}`);
    }
  }
});

test("ridge probe: separable clusters → accuracy 1; huge λ → the majority class", () => {
  const tr = clusters(60, 62, 0.5);
  const te = clusters(30, 63, 0.5);
  const r = ridgeProbe(tr.x, tr.y, te.x, te.y);
  assert.equal(r.accuracy, 1);
  assert.equal(r.trainAccuracy, 1);
  // With λ → ∞ only the bias is left; it predicts the most frequent train class (class 0 on ties → first max).
  const trY = [...tr.y, 1, 1];
  const trX = [...tr.x, [0, 4], [0, 4]];
  const big = ridgeProbe(trX, trY, te.x, te.y, { lambda: 1e12 });
  close(big.accuracy, te.y.filter((v) => v === 1).length / te.y.length, 1e-12, "majority accuracy");
});

const badRidge: Array<[string, () => unknown, RegExp]> = [
  [
    "label count",
    () => ridgeProbe([[1], [2]], [0], [[1]], [0], { numClasses: 2 }),
    /trainY: has 1 entries; expected 2/,
  ],
  ["column mismatch", () => ridgeProbe([[1], [2]], [0, 1], [[1, 2]], [0]), /testX: has 2 columns; trainX has 1/],
  ["NaN feature", () => ridgeProbe([[1], [NaN]], [0, 1], [[1]], [0]), /trainX: entry \[1\]\[0\] is NaN/],
  [
    "negative lambda",
    () => ridgeProbe([[1], [2]], [0, 1], [[1]], [0], { lambda: -1 }),
    /opts.lambda: must be a finite number >= 0/,
  ],
  ["bad label", () => ridgeProbe([[1], [2]], [0, 1.5], [[1]], [0], { numClasses: 2 }), /trainY: entry 1 is 1.5/],
  ["unknown option", () => ridgeProbe([[1], [2]], [0, 1], [[1]], [0], { l2: 1 } as never), /opts: unknown option "l2"/],
];
for (const [name, fn, re] of badRidge) test(`ridge probe rejects bad input: ${name}`, () => assert.throws(fn, re));

// ---------------------------------------------------------------------------------------
// VICReg loss and augmentations (src/nn/vicreg.ts)

function lossParts(za: number[][], zb: number[][], w = { inv: 1, var: 1, cov: 1 }) {
  const a = tf.tensor2d(za);
  const b = tf.tensor2d(zb);
  const p = vicregLoss(a, b, w);
  const out = {
    loss: p.loss.dataSync()[0],
    inv: p.inv.dataSync()[0],
    var: p.var.dataSync()[0],
    cov: p.cov.dataSync()[0],
  };
  tf.dispose([a, b, p.loss, p.inv, p.var, p.cov]);
  return out;
}

test("VICReg loss terms match closed forms", () => {
  // Columns (1,-1,1,-1)·2 and (1,1,-1,-1)·2: variance 16/3 each (std > 1 → var term 0),
  // uncorrelated (cov term 0).
  const z = [
    [2, 2],
    [-2, 2],
    [2, -2],
    [-2, -2],
  ];
  const p = lossParts(z, z);
  close(p.inv, 0, 1e-7, "inv");
  close(p.var, 0, 1e-7, "var");
  close(p.cov, 0, 1e-6, "cov");
  // Constant embeddings: var term = 1 − √1e-4 = 0.99 per branch.
  const c = lossParts(
    [
      [1, 1],
      [1, 1],
      [1, 1],
    ],
    [
      [1, 1],
      [1, 1],
      [1, 1],
    ],
  );
  close(c.var, 0.99, 1e-5, "var of collapse");
  // Perfectly correlated columns x, x with x = (1,-1,1,-1): C = [[4/3,4/3],[4/3,4/3]],
  // off-diagonal Σ C² / d = 2·(16/9)/2 per branch, two branches.
  const x = [
    [1, 1],
    [-1, -1],
    [1, 1],
    [-1, -1],
  ];
  close(lossParts(x, x).cov, 2 * (16 / 9), 1e-5, "cov of correlated columns");
  // Invariance is the mean squared difference; loss is the weighted sum.
  const q = lossParts(
    [
      [0, 0],
      [1, 1],
    ],
    [
      [1, 0],
      [1, 3],
    ],
    { inv: 2, var: 0.5, cov: 3 },
  );
  close(q.inv, (1 + 0 + 0 + 4) / 4, 1e-6, "inv");
  close(q.loss, 2 * q.inv + 0.5 * q.var + 3 * q.cov, 1e-5, "weighted sum");
});

test("augmentations: identity with all knobs off, zero-filled shift, seeded", () => {
  const img = new Float32Array(2 * 16).map((_, i) => (i % 16) + 1);
  const same = augmentImages(img, [1], new Rng(1), { height: 4, width: 4, shift: 0, dropout: 0, noise: 0 });
  assert.deepEqual(Array.from(same), Array.from(img.subarray(16, 32)));
  const shifted = augmentImages(img, [0, 1, 0], new Rng(2), { height: 4, width: 4, shift: 1, dropout: 0, noise: 0 });
  for (let k = 0; k < 3; k++) {
    const v = Array.from(shifted.subarray(16 * k, 16 * (k + 1)));
    // Some shift (dy, dx) ∈ [−1, 1]² with zero fill reproduces it.
    const ok = [-1, 0, 1].some((dy) =>
      [-1, 0, 1].some((dx) =>
        v.every((p, q) => {
          const si = Math.floor(q / 4) - dy;
          const sj = (q % 4) - dx;
          return p === (si >= 0 && si < 4 && sj >= 0 && sj < 4 ? si * 4 + sj + 1 : 0);
        }),
      ),
    );
    assert.ok(ok, `view ${k} is a zero-filled shift`);
  }
  const o = { height: 4, width: 4 };
  const a = augmentImages(img, [0, 1], new Rng(3), o);
  const b = augmentImages(img, [0, 1], new Rng(3), o);
  assert.notDeepEqual(Array.from(a), Array.from(augmentImages(img, [0, 1], new Rng(4), o)));
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.throws(() => augmentImages(img, [2], new Rng(1), { height: 4, width: 4 }), /rows: entry 0 is 2/);
  assert.throws(() => augmentImages(img, [0], new Rng(1), { sigma: 1 } as never), /opts: unknown option "sigma"/);
});

// ---------------------------------------------------------------------------------------
// VICReg training on the library loop (src/train/vicreg.ts): the same batches and RNG order
// as a hand loop (stream sampler: permutation, then view a, then view b; reshuffle when the
// next full batch does not fit), and the logged loss is that step's VICReg loss.

test("twoViewSource on the stream sampler gives the hand loop's views", async () => {
  const n = 5;
  const img = new Float32Array(n * 16).map((_, i) => ((i * 7) % 11) / 10);
  const aug = { height: 4, width: 4, shift: 1, dropout: 0.2, noise: 0.1 };
  const v = tf.variable(tf.scalar(1));
  const got: number[][][] = [];
  await train({ variables: () => [v] }, twoViewSource(img, 16, aug), {
    steps: 5,
    batchSize: 2,
    sampler: "stream",
    seed: 7,
    optimizer: "sgd",
    lr: 1e-3,
    objective: (b) => {
      got.push([Array.from(b.xa.dataSync()), Array.from(b.xb.dataSync())]);
      return tf.mul(v, tf.add(tf.sum(b.xa), tf.sum(b.xb))) as tf.Scalar;
    },
  });
  v.dispose();
  const rng = new Rng(7);
  let perm = rng.permutation(n);
  let pos = 0;
  for (let step = 0; step < 5; step++) {
    if (pos + 2 > n) {
      perm = rng.permutation(n);
      pos = 0;
    }
    const idx = perm.slice(pos, pos + 2);
    pos += 2;
    const va = augmentImages(img, idx, rng, aug);
    const vb = augmentImages(img, idx, rng, aug);
    assert.deepEqual(got[step][0], Array.from(va), `step ${step + 1} view a`);
    assert.deepEqual(got[step][1], Array.from(vb), `step ${step + 1} view b`);
  }
});

test("trainVICReg logs the step's own VICReg loss (first step = the loss at init on the hand-made views)", async () => {
  seed(3);
  const n = 6;
  const img = new Float32Array(n * 16).map((_, i) => ((i * 5) % 13) / 13);
  const aug = { height: 4, width: 4, shift: 1, dropout: 0.1, noise: 0.05 };
  const model = new JointEmbeddingModel({ encoder: [16, 8, 4], projector: [6, 5] });
  const w = { inv: 25, var: 25, cov: 1 };
  const rng = new Rng(11);
  const idx = rng.permutation(n).slice(0, 4);
  const va = tf.tensor2d(augmentImages(img, idx, rng, aug), [4, 16]);
  const vb = tf.tensor2d(augmentImages(img, idx, rng, aug), [4, 16]);
  const p = vicregLoss(model.embed(va), model.embed(vb), w);
  const want = [p.loss, p.inv, p.var, p.cov].map((t) => t.dataSync()[0]);
  tf.dispose([va, vb, p.loss, p.inv, p.var, p.cov]);
  const steps: number[] = [];
  const res = await trainVICReg(model, img, 16, {
    steps: 3,
    batchSize: 4,
    lr: 1e-3,
    weights: w,
    seed: 11,
    augment: aug,
    logEvery: 2,
    onStep: (s) => steps.push(s),
  });
  model.dispose();
  assert.deepEqual(steps, [1, 2, 3]);
  assert.deepEqual(
    res.losses.map((l) => l.step),
    [2, 3],
  );
  assert.ok(res.trainSeconds >= 0);
  // A one-step run logs step 1 (the last step): the loss of the initial model on the same views.
  seed(3);
  const m2 = new JointEmbeddingModel({ encoder: [16, 8, 4], projector: [6, 5] });
  const one = await trainVICReg(m2, img, 16, { steps: 1, batchSize: 4, lr: 1e-3, weights: w, seed: 11, augment: aug });
  m2.dispose();
  const l = one.losses[0];
  [l.loss, l.inv, l.var, l.cov].forEach((v, k) =>
    close(v, want[k], 1e-5 * Math.max(1, Math.abs(want[k])), `part ${k}`),
  );
  await assert.rejects(
    () => trainVICReg(m2, img, 16, { steps: 1, batchSize: 7, lr: 1e-3, weights: w, seed: 1 }),
    /x: holds 6 rows of 16; need at least batchSize = 7/,
  );
});
