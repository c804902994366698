// WeLore: normalised spectra by hand, the bisected threshold against a brute-force search over
// every distinct normalised value, the uniform cut's budget, and truncation (Eckart–Young).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  normalizedSpectrum,
  ranksPruned,
  reductionAt,
  truncateRank,
  uniformKeeps,
  weloreThreshold,
  WeloreLayer,
} from "../../src/compress";
import { Rng } from "../../src/core/random";
import { singularValues } from "../../src/linalg";

test("normalised spectrum and pruned counts by hand", () => {
  assert.deepEqual(normalizedSpectrum([5, 3, 1]), [1, 0.5, 0]);
  assert.deepEqual(normalizedSpectrum([2, 2]), [0, 0]);
  assert.equal(ranksPruned([5, 3, 1], 0.5), 1); // only ŝ = 0 is < 0.5
  assert.equal(ranksPruned([5, 3, 1], 0.51), 2);
  assert.equal(ranksPruned([5, 3, 1], 0), 0);
  assert.throws(() => normalizedSpectrum([]), /s/);
  assert.throws(() => normalizedSpectrum([1, NaN]), /value 1/);
});

function randomLayers(seedValue: number): WeloreLayer[] {
  const rng = new Rng(seedValue);
  const shapes: Array<[number, number]> = [
    [20, 8],
    [8, 8],
    [30, 12],
    [12, 5],
  ];
  return shapes.map((shape) => ({
    shape,
    spectrum: Array.from({ length: Math.min(...shape) }, () => Math.exp(2 * rng.normal())).sort((a, b) => b - a),
  }));
}

test("the bisected τ matches a brute-force search over the candidate thresholds", () => {
  for (let sd = 0; sd < 20; sd++) {
    const layers = randomLayers(sd);
    for (const target of [0.1, 0.3, 0.5, 0.7]) {
      const plan = weloreThreshold(layers, { target, tol: 1e-12 });
      // brute force: the reduction only changes just above some ŝ value; the smallest
      // reachable reduction ≥ target, and the ŝ that first reaches it
      const cands = [...new Set(layers.flatMap((l) => normalizedSpectrum(l.spectrum)))].sort((a, b) => a - b);
      let best = -1;
      let bestTau = NaN;
      for (const c of cands) {
        const red = reductionAt(layers, c + 1e-10);
        if (red >= target) {
          best = red;
          bestTau = c;
          break;
        }
      }
      assert.ok(best >= 0, "brute force found a threshold");
      assert.ok(Math.abs(plan.reduction - best) < 1e-12, `seed ${sd} target ${target}: ${plan.reduction} vs ${best}`);
      assert.ok(Math.abs(plan.tau - bestTau) < 1e-9, `τ ${plan.tau} vs brute force ${bestTau}`);
      const pruned = plan.layers.reduce((a, l, i) => a + l.pruned * (layers[i].shape[0] + layers[i].shape[1]), 0);
      const all = layers.reduce((a, l) => a + l.spectrum.length * (l.shape[0] + l.shape[1]), 0);
      assert.ok(Math.abs(pruned / all - plan.reduction) < 1e-12);
    }
  }
});

test("LRC / N-LRC split follows minRatio", () => {
  const layers: WeloreLayer[] = [
    { shape: [10, 4], spectrum: [10, 1, 0.9, 0.8] }, // steep: loses 3 of 4 ranks at τ≈0.5
    { shape: [10, 4], spectrum: [10, 9, 8.5, 8] }, // flat top: loses 1 (the minimum)
  ];
  const plan = weloreThreshold(layers, { target: 0.5, minRatio: 0.3 });
  assert.deepEqual(
    plan.layers.map((l) => [l.pruned, l.lrc]),
    [
      [3, true],
      [1, false],
    ],
  );
  assert.equal(plan.reduction, 0.5);
});

test("uniform keeps never exceed the budget and use a common fraction", () => {
  const layers = randomLayers(3);
  const w = layers.map((l) => l.shape[0] + l.shape[1]);
  for (const budget of [0, 50, 200, 400]) {
    const keeps = uniformKeeps(layers, budget);
    const cost = keeps.reduce((a, k, i) => a + k * w[i], 0);
    assert.ok(cost <= budget, `cost ${cost} > budget ${budget}`);
    // one more percent of common fraction would exceed the budget or change nothing
    keeps.forEach((k, i) => assert.ok(k <= layers[i].spectrum.length));
  }
  assert.deepEqual(
    uniformKeeps(
      [
        { shape: [4, 4], spectrum: [4, 3, 2, 1] },
        { shape: [4, 4], spectrum: [4, 3, 2, 1] },
      ],
      32,
    ),
    [2, 2],
  );
});

test("truncateRank leaves the tail of the spectrum (Eckart–Young)", () => {
  const rng = new Rng(9);
  const W = Array.from({ length: 12 }, () => Array.from({ length: 7 }, () => rng.normal()));
  const s = singularValues(W);
  for (const k of [0, 3, 7]) {
    const T = truncateRank(W, k);
    const err = Math.sqrt(W.reduce((a, r, i) => a + r.reduce((b, v, j) => b + (v - T[i][j]) ** 2, 0), 0));
    const want = Math.sqrt(s.slice(k).reduce((a, v) => a + v * v, 0));
    assert.ok(Math.abs(err - want) < 1e-9, `k=${k}`);
  }
  assert.throws(() => truncateRank(W, 8), /k/);
});

test("weloreThreshold rejects bad input", () => {
  const layers = randomLayers(1);
  assert.throws(() => weloreThreshold([], { target: 0.5 }), /layers/);
  assert.throws(() => weloreThreshold(layers, { target: 1.5 }), /target/);
  assert.throws(() => weloreThreshold(layers, { target: 0.5, rate: 1 } as never), /unknown option "rate"/);
  assert.throws(() => weloreThreshold([{ shape: [2, 2], spectrum: [3, 2, 1] }], { target: 0.5 }), /spectrum/);
});
