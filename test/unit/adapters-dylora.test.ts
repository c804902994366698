// DyLoRA's known answers: the forward and ΔW at every inference rank b against
// W0 + (α/b)·A[:, :b] B[:b] written out by hand, the rank a training forward uses (the
// sampled one, inside a gradient tape), which components get gradient in the two modes
// (checked against finite differences of the hand-written loss), the per-step rank stream
// (deterministic, shared by matrices built from one seed, uniform over 1..r_max), and errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { accuracyPerRank, createAdapter, DyLoraAdapter, dyloraAccKey } from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";

const IN = 6,
  OUT = 5,
  R = 4,
  ALPHA = 8;

const randArr = (rows: number, cols: number, seed: number, std = 1) => {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * std));
};

/** y = x W0 + (α/b)·(x A[:, :b]) B[:b] by explicit sums. */
function handForward(x: number[][], w0: number[][], A: number[][], B: number[][], b: number): number[][] {
  return x.map((xr) =>
    w0[0].map((_, o) => {
      let y = 0;
      for (let i = 0; i < IN; i++) y += xr[i] * w0[i][o];
      for (let j = 0; j < b; j++) {
        let z = 0;
        for (let i = 0; i < IN; i++) z += xr[i] * A[i][j];
        y += (ALPHA / b) * z * B[j][o];
      }
      return y;
    }),
  );
}

const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));

function setup(frozen = false) {
  const w0 = randArr(IN, OUT, 1, 0.5);
  const x = randArr(7, IN, 2);
  const t = randArr(7, OUT, 3);
  const ad = createAdapter("dylora", tf.tensor2d(w0), { r: R, alpha: ALPHA, frozen, seed: 11 }) as DyLoraAdapter;
  ad.B.assign(tf.tensor2d(randArr(R, OUT, 4, 0.3)));
  return { w0, x, t, ad };
}

test("dylora: forward, ΔW and merge at every inference rank b = closed form (α/b)·A[:, :b] B[:b]", async () => {
  await backendReady();
  const { w0, x, ad } = setup();
  const A = ad.A.arraySync(),
    B = ad.B.arraySync();
  assert.equal(ad.rank, R, "inference rank defaults to r_max");
  for (let b = 1; b <= R; b++) {
    ad.setRank(b);
    const want = handForward(x, w0, A, B, b);
    assert.ok(maxDiff(ad.forward(tf.tensor2d(x)).arraySync(), want) < 1e-5, `forward at b=${b}`);
    const d = ad.deltaW().arraySync();
    const dWant = handForward(
      w0.map((_, i) => w0.map((__, k) => (i === k ? 1 : 0))),
      w0.map((r) => r.map(() => 0)),
      A,
      B,
      b,
    );
    assert.ok(maxDiff(d, dWant) < 1e-5, `ΔW at b=${b}`);
    ad.merge();
    assert.ok(
      maxDiff(
        ad.base.arraySync(),
        w0.map((r, i) => r.map((v, j) => v + dWant[i][j])),
      ) < 1e-5,
    );
    assert.ok(maxDiff(ad.forward(tf.tensor2d(x)).arraySync(), want) < 1e-5, `merged forward at b=${b}`);
    if (b > 1) assert.throws(() => ad.setRank(1), /b: cannot change the inference rank while merged/);
    ad.unmerge();
  }
  ad.dispose();
});

test("dylora: a forward on a gradient tape uses the sampled training rank; outside it, the inference rank", async () => {
  await backendReady();
  const { w0, x, t, ad } = setup();
  const A = ad.A.arraySync(),
    B = ad.B.arraySync();
  const seen = new Set<number>();
  for (let step = 1; step <= 12; step++) {
    const b = ad.trainingRank;
    seen.add(b);
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(ad.forward(tf.tensor2d(x)), tf.tensor2d(t)))) as tf.Scalar,
      ad.trainableVariables(),
    );
    const y = handForward(x, w0, A, B, b);
    const want = y.flat().reduce((s, v, k) => s + (v - t.flat()[k]) ** 2, 0) / (7 * OUT);
    assert.ok(Math.abs(value.dataSync()[0] - want) < 1e-5, `training loss at b=${b}`);
    // Components past b get no gradient (static shapes: masked, not sliced).
    const gA = grads[ad.A.name].arraySync() as number[][];
    const gB = grads[ad.B.name].arraySync() as number[][];
    for (let j = b; j < R; j++) {
      assert.ok(
        gA.every((r) => r[j] === 0),
        `A column ${j} idle at b=${b}`,
      );
      assert.ok(
        gB[j].every((v) => v === 0),
        `B row ${j} idle at b=${b}`,
      );
    }
    ad.postStep();
  }
  assert.ok(seen.size > 1, "the sampled rank changes across steps");
  // Outside a tape: r_max.
  assert.ok(maxDiff(ad.forward(tf.tensor2d(x)).arraySync(), handForward(x, w0, A, B, R)) < 1e-5);
  ad.dispose();
});

test("dylora: frozen mode gives gradient to the b-th component only, equal to the finite difference", async () => {
  await backendReady();
  for (const frozen of [false, true]) {
    const { w0, x, t, ad } = setup(frozen);
    const A = ad.A.arraySync(),
      B = ad.B.arraySync();
    // Advance to a step whose sampled rank is ≥ 2 (so there are earlier components).
    while (ad.trainingRank < 2) ad.postStep();
    const b = ad.trainingRank;
    const { grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(ad.forward(tf.tensor2d(x)), tf.tensor2d(t)))) as tf.Scalar,
      ad.trainableVariables(),
    );
    const gA = grads[ad.A.name].arraySync() as number[][];
    const gB = grads[ad.B.name].arraySync() as number[][];
    const loss = (a: number[][], bb: number[][]) =>
      handForward(x, w0, a, bb, b)
        .flat()
        .reduce((s, v, k) => s + (v - t.flat()[k]) ** 2, 0) /
      (7 * OUT);
    const h = 1e-3;
    for (let j = 0; j < b; j++) {
      const ap = A.map((r) => r.slice()),
        am = A.map((r) => r.slice());
      ap[2][j] += h;
      am[2][j] -= h;
      const fdA = (loss(ap, B) - loss(am, B)) / (2 * h);
      const bp = B.map((r) => r.slice()),
        bm = B.map((r) => r.slice());
      bp[j][1] += h;
      bm[j][1] -= h;
      const fdB = (loss(A, bp) - loss(A, bm)) / (2 * h);
      const learns = !frozen || j === b - 1;
      const tol = (v: number) => 2e-3 * Math.max(1, Math.abs(v));
      assert.ok(Math.abs(gA[2][j] - (learns ? fdA : 0)) < tol(fdA), `frozen=${frozen} b=${b}: ∂A[2][${j}]`);
      assert.ok(Math.abs(gB[j][1] - (learns ? fdB : 0)) < tol(fdB), `frozen=${frozen} b=${b}: ∂B[${j}][1]`);
      if (learns) assert.ok(Math.abs(fdA) > 1e-4, "the finite difference is not trivially 0");
    }
    ad.dispose();
  }
});

test("dylora: the rank stream is seeded, shared by matrices of one config, and uniform over 1..r_max", async () => {
  await backendReady();
  const draws = (inDim: number, outDim: number, seed: number, n = 400) => {
    const ad = new DyLoraAdapter(tf.zeros([inDim, outDim]) as tf.Tensor2D, { r: R, seed });
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      out.push(ad.trainingRank);
      ad.postStep();
    }
    ad.dispose();
    return out;
  };
  const a = draws(9, 7, 5);
  assert.deepEqual(draws(9, 7, 5), a, "same seed, same sequence");
  assert.deepEqual(draws(20, 4, 5), a, "another matrix with the same config draws the same ranks");
  assert.notDeepEqual(draws(9, 7, 6), a, "another seed, another sequence");
  for (let b = 1; b <= R; b++) {
    const f = a.filter((v) => v === b).length / a.length;
    // 400 draws: sd of a frequency ≈ 0.022; ±0.1 is > 4 sd.
    assert.ok(Math.abs(f - 1 / R) < 0.1, `frequency of b=${b} is ${f}`);
  }
  assert.ok(a.every((v) => Number.isInteger(v) && v >= 1 && v <= R));
});

test("dylora: invalid ranks and options are named errors", async () => {
  await backendReady();
  const w = tf.zeros([6, 5]) as tf.Tensor2D;
  const ad = new DyLoraAdapter(w, { r: 3, seed: 1 });
  for (const b of [0, 4, 1.5, NaN, "2" as unknown as number])
    assert.throws(() => ad.setRank(b), /b: must be an integer in \[1, 3\]/);
  assert.throws(() => new DyLoraAdapter(w, { r: 3, frozen: "yes" as unknown as boolean }), /config\.frozen/);
  ad.dispose();
});

test("dylora bench: afterTrain measures every inference rank on both splits and restores r_max", async () => {
  await backendReady();
  const ads = [0, 1].map((k) => new DyLoraAdapter(tf.zeros([6, 5]) as tf.Tensor2D, { r: 3, seed: k }));
  const calls: string[] = [];
  const ctx = {
    model: { adapters: [ads[0], null, ads[1]] },
    evaluate: (split: "val" | "test") => {
      assert.equal(ads[0].rank, ads[1].rank, "every matrix at the same rank");
      calls.push(`${split}${ads[0].rank}`);
      return { loss: 0, acc: ads[0].rank / 10 + (split === "val" ? 0.01 : 0) };
    },
  } as unknown as Parameters<typeof accuracyPerRank>[0];
  const ex = accuracyPerRank(ctx);
  assert.deepEqual(calls, ["val1", "test1", "val2", "test2", "val3", "test3"]);
  for (let b = 1; b <= 3; b++) {
    assert.ok(Math.abs(Number(ex[dyloraAccKey("test", b)]) - b / 10) < 1e-12);
    assert.ok(Math.abs(Number(ex[dyloraAccKey("val", b)]) - (b / 10 + 0.01)) < 1e-12);
  }
  assert.deepEqual(
    ads.map((a) => a.rank),
    [3, 3],
    "r_max restored",
  );
  ads.forEach((a) => a.dispose());
});
