// SLTrain (low-rank + fixed-support sparse) and SST (sparse spectral) layers. SLTrain: parameter counts against the closed
// formulas, forward against a dense product computed by hand in JS, and the support staying
// fixed through Adam steps taken by the library's training loop. SST: sampling frequencies
// against exact probabilities, counts, forward against a hand product, and orthonormality.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { matchedLowRank, sltrainParamCount, SLTrainLinear, sparseNnz, sparseSupport } from "../../src/nn/sltrain";
import { train } from "../../src/train/loop";
import { makeDataset } from "../../src/data/dataset";
import { Rng } from "../../src/core/random";
import { sampleByWeight, SSTLinear, sstStoredParams, sstTrainableParams } from "../../src/nn/sst";

test("sltrain: parameter counts follow r(m+n) + round(δmn) (+ bias)", () => {
  const cases: Array<[number, number, number, number, boolean, number]> = [
    // [in, out, r, δ, bias, expected by hand]
    [784, 256, 64, 0.03, false, 64 * 1040 + 6021], // the card's 72,581
    [256, 256, 64, 0.03, true, 64 * 512 + 1966 + 256],
    [10, 6, 2, 0, true, 2 * 16 + 6],
    [10, 6, 3, 0.5, false, 3 * 16 + 30],
  ];
  for (const [m, n, r, d, b, want] of cases) {
    assert.equal(sltrainParamCount(m, n, r, d, b), want, `${m}x${n} r=${r} δ=${d}`);
    const layer = new SLTrainLinear({ inDim: m, outDim: n, rank: r, delta: d, seed: 3, bias: b });
    assert.equal(layer.parameterCount(), want);
    assert.equal(layer.support.length, sparseNnz(m, n, d));
    layer.dispose();
  }
  assert.equal(sltrainParamCount(784, 256, 64, 0.03, false), 72581);
  // 72,581 / (784 + 256) = 69.8 → rank 70 is the closest low-rank-only budget.
  assert.equal(matchedLowRank(784, 256, 72581), 70);
});

test("sltrain: support is distinct, in range, reproducible from its seed, and differs across seeds", () => {
  const a = sparseSupport(40, 30, 0.1, 5);
  const b = sparseSupport(40, 30, 0.1, 5);
  const c = sparseSupport(40, 30, 0.1, 6);
  assert.equal(a.length, 120);
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  assert.equal(new Set(a).size, a.length);
  assert.ok(a.every((k) => k >= 0 && k < 1200));
  assert.throws(() => sparseSupport(4, 4, 1, 0), /delta/);
  assert.throws(() => sparseSupport(4, 4, -0.1, 0), /delta/);
});

test("sltrain: forward equals x·(scale·a·b + S on its support) + bias, computed by hand", () => {
  const m = 7,
    n = 5,
    r = 2;
  const layer = new SLTrainLinear({ inDim: m, outDim: n, rank: r, delta: 0.3, alpha: 6, seed: 11, bInit: "uniform" });
  layer.bias!.assign(tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5]));
  const rng = new Rng(1);
  const xs = Array.from({ length: 3 * m }, () => rng.normal());
  const A = layer.a.arraySync();
  const B = layer.b.arraySync();
  const S = layer.s!.arraySync();
  const bias = layer.bias!.arraySync();
  const on = new Set(layer.support);
  const got = tf.tidy(() => layer.forward(tf.tensor2d(xs, [3, m])).arraySync());
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < n; j++) {
      let want = bias[j];
      for (let k = 0; k < m; k++) {
        let w = 0;
        for (let q = 0; q < r; q++) w += A[k][q] * B[q][j];
        w *= 6 / r;
        if (on.has(k * n + j)) w += S[k][j];
        want += xs[i * m + k] * w;
      }
      assert.ok(Math.abs(got[i][j] - want) < 1e-5, `(${i},${j}) ${got[i][j]} vs ${want}`);
    }
  layer.dispose();
});

test("sltrain: the sparse support stays fixed through Adam steps while its values move", async () => {
  const m = 12,
    n = 4;
  const layer = new SLTrainLinear({ inDim: m, outDim: n, rank: 2, delta: 0.25, seed: 2 });
  const s0 = layer.s!.dataSync().slice();
  const rng = new Rng(9);
  const x = new Float32Array(64 * m).map(() => rng.normal());
  const y = new Int32Array(64).map((_, i) => i % n);
  const ds = makeDataset("toy", x, y, [m], n);
  await train({ variables: () => layer.variables(), forward: (v) => layer.forward(v) }, ds, {
    steps: 15,
    batchSize: 16,
    seed: 0,
    lr: 0.05,
  });
  const s1 = layer.s!.dataSync();
  const on = new Set(layer.support);
  let moved = 0;
  for (let k = 0; k < s1.length; k++) {
    if (!on.has(k)) assert.equal(s1[k], 0, `off-support entry ${k} moved`);
    else if (s1[k] !== s0[k]) moved++;
  }
  assert.ok(moved > layer.support.length / 2, `only ${moved} support values moved`);
  // B starts at zero (SLTrain's init) and must have left it: the low-rank part trains too.
  assert.ok(Math.max(...Array.from(layer.b.dataSync()).map(Math.abs)) > 0);
  layer.dispose();
});

test("sltrain: bad options are rejected with the argument's name", () => {
  assert.throws(() => new SLTrainLinear({ inDim: 4, outDim: 3, rank: 5, delta: 0.1, seed: 0 }), /opts.rank/);
  assert.throws(() => new SLTrainLinear({ inDim: 4, outDim: 3, rank: 1, delta: 0.1, seed: 0, alpha: -1 }), /alpha/);
  assert.throws(
    () => new SLTrainLinear({ inDim: 4, outDim: 3, rank: 1, delta: 0.1, seed: 0, bInit: "x" as "zeros" }),
    /bInit/,
  );
  const l = new SLTrainLinear({ inDim: 4, outDim: 3, rank: 1, delta: 0.1, seed: 0 });
  assert.throws(() => l.forward(tf.zeros([2, 5]) as tf.Tensor2D), /x/);
  l.dispose();
});

// ---- Sparse Spectral Training (SST) ----

test("sst: one weighted draw picks i with frequency s_i / Σs over many draws", () => {
  const w = [4, 2, 1, 1, 0];
  const rng = new Rng(123);
  const N = 40000;
  const counts = new Array(w.length).fill(0);
  for (let t = 0; t < N; t++) counts[sampleByWeight(w, 1, rng)[0]]++;
  const total = w.reduce((a, b) => a + b, 0);
  w.forEach((wi, i) => {
    const p = wi / total;
    const sd = Math.sqrt(N * p * (1 - p) || 1);
    assert.ok(Math.abs(counts[i] - N * p) < 5 * sd, `index ${i}: ${counts[i]} vs ${N * p}`);
  });
  assert.equal(counts[4], 0);
});

test("sst: two draws without replacement match the exact inclusion probabilities", () => {
  const w = [5, 3, 1.5, 0.5];
  const W = w.reduce((a, b) => a + b, 0);
  // P(i in sample) = p_i + Σ_{j≠i} p_j · w_i / (W − w_j), enumerated by hand.
  const exact = w.map((wi, i) => wi / W + w.reduce((a, wj, j) => (j === i ? a : a + (wj / W) * (wi / (W - wj))), 0));
  const rng = new Rng(7);
  const N = 30000;
  const counts = new Array(w.length).fill(0);
  for (let t = 0; t < N; t++) {
    const pick = sampleByWeight(w, 2, rng);
    assert.equal(new Set(pick).size, 2);
    pick.forEach((i) => counts[i]++);
  }
  exact.forEach((p, i) => {
    const sd = Math.sqrt(N * p * (1 - p));
    assert.ok(Math.abs(counts[i] - N * p) < 5 * sd, `index ${i}: ${counts[i]} vs ${N * p}`);
  });
  assert.throws(() => sampleByWeight([1, 0, 0], 2, rng), /weights/);
  assert.throws(() => sampleByWeight([1, NaN], 1, rng), /weights/);
});

test("sst: parameter counts follow k(m+n)+k stored and r(m+n)+k updated per step", () => {
  assert.equal(sstStoredParams(784, 256, false), 256 * 1040 + 256);
  assert.equal(sstTrainableParams(784, 256, 16, true), 16 * 1040 + 256 + 256);
  const l = new SSTLinear({ inDim: 9, outDim: 5, rank: 2, seed: 1 });
  const stored = l.variables().reduce((a, v) => a + v.size, 0);
  assert.equal(stored, sstStoredParams(9, 5, true));
  assert.equal(l.trainableParams(), 2 * 14 + 5 + 5);
  assert.equal(l.sampled.length, 2);
  l.dispose();
});

test("sst: forward equals x·U·diag(s)·Vᵀ + bias computed by hand", () => {
  const m = 6,
    n = 4;
  const l = new SSTLinear({ inDim: m, outDim: n, rank: 2, seed: 4 });
  l.bias!.assign(tf.tensor1d([0.5, -1, 0, 2]));
  const U = l.u.arraySync();
  const s = l.s.arraySync();
  const V = l.v.arraySync();
  const rng = new Rng(2);
  const xs = Array.from({ length: 2 * m }, () => rng.normal());
  const got = tf.tidy(() => l.forward(tf.tensor2d(xs, [2, m])).arraySync());
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < n; j++) {
      let want = [0.5, -1, 0, 2][j];
      for (let a = 0; a < m; a++) for (let q = 0; q < n; q++) want += xs[i * m + a] * U[a][q] * s[q] * V[j][q];
      assert.ok(Math.abs(got[i][j] - want) < 1e-4, `(${i},${j}) ${got[i][j]} vs ${want}`);
    }
  l.dispose();
});

test("sst: training moves every s but only sampled vectors; re-orthogonalisation restores orthonormal U, V", async () => {
  const m = 10,
    n = 6;
  const l = new SSTLinear({ inDim: m, outDim: n, rank: 2, seed: 3, resampleEvery: 100, reorthEvery: 100 });
  assert.ok(l.orthogonalityError() < 1e-5);
  const rng = new Rng(5);
  const ds = makeDataset(
    "toy",
    new Float32Array(48 * m).map(() => rng.normal()),
    new Int32Array(48).map((_, i) => i % n),
    [m],
    n,
  );
  const u0 = l.u.arraySync();
  const s0 = l.s.arraySync();
  const sampled = new Set(l.sampled);
  const model = { variables: () => l.variables(), forward: (x: tf.Tensor2D) => l.forward(x) };
  await train(model, ds, { steps: 20, batchSize: 16, seed: 0, lr: 0.05, hooks: [l.hook()] });
  const u1 = l.u.arraySync();
  const s1 = l.s.arraySync();
  assert.ok(
    s1.every((v, i) => v !== s0[i]),
    "every singular value is updated",
  );
  for (let q = 0; q < n; q++) {
    const moved = u1.some((row, a) => row[q] !== u0[a][q]);
    assert.equal(moved, sampled.has(q), `column ${q}: moved=${moved}, sampled=${sampled.has(q)}`);
  }
  // Updated columns drift off orthonormality; a re-SVD restores it without changing W.
  const drift = l.orthogonalityError();
  assert.ok(drift > 1e-3, `expected drift, got ${drift}`);
  const w0 = l.denseWeight().arraySync();
  l.reorthogonalize();
  const w1 = l.denseWeight().arraySync();
  assert.ok(l.orthogonalityError() < 1e-4, `after re-SVD: ${l.orthogonalityError()}`);
  w0.forEach((row, a) => row.forEach((v, j) => assert.ok(Math.abs(v - w1[a][j]) < 1e-4)));
  // Through the hook: with reorthEvery = 10 the factors end orthonormal after step 20.
  const l2 = new SSTLinear({ inDim: m, outDim: n, rank: 2, seed: 3, resampleEvery: 5, reorthEvery: 10 });
  await train({ variables: () => l2.variables(), forward: (x: tf.Tensor2D) => l2.forward(x) }, ds, {
    steps: 20,
    batchSize: 16,
    seed: 0,
    lr: 0.05,
    hooks: [l2.hook()],
  });
  assert.equal(l2.reorths, 2);
  assert.ok(l2.orthogonalityError() < 1e-4);
  l.dispose();
  l2.dispose();
});
