// The char-transformer harness of the low-rank training papers (src/papers/galore/char-*.ts):
// optimizer-state and parameter-matching counts against hand-computed values, LoRA's forward
// against a dense product computed in JS, ReLoRA*'s merge leaving the function unchanged,
// the resettable Adam's first step after a reset equal to a fresh Adam's (lr·sign(g)), and
// "zero distortion": at step 0 the SST and LoRA transformers compute the full-rank model's logits.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import {
  buildCharModel,
  charBlockNames,
  charGaloreState,
  CharMethod,
  licenseSplit,
  matchedRank,
  CHAR_SHAPE,
} from "../../src/papers/galore/char-harness";
import { LoRALinear, reloraHook, ResettableAdam } from "../../src/papers/galore/char-lora";
import { charMatrixShapes } from "../../src/papers/sltrain/char";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Row-major [n, k] × [k, m] in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * m + j];
      out[i * m + j] = s;
    }
  return out;
}

test("char harness: GaLore's state on the char transformer matches the hand count (r = 8)", async () => {
  await backendReady();
  // tok [65,32], pos [32,32], out [32,65] keep Adam: 2·(2080 + 1024 + 2080) = 10,368.
  // Per block: wq, wk, wv, wo 32×32 → 2·8·32 + 8·32 = 768 each; w1 32×128 and w2 128×32 →
  // 2·8·128 + 8·32 = 2,304 each; 2 blocks → 2·(4·768 + 2·2,304) = 15,360.
  assert.equal(CHAR_SHAPE.vocab, 65);
  assert.equal(charGaloreState(8), 10368 + 15360);
  assert.equal(charBlockNames().length, 12);
  assert.deepEqual(charBlockNames().slice(0, 6), ["l0.wq", "l0.wk", "l0.wv", "l0.wo", "l0.w1", "l0.w2"]);
});

test("char harness: parameter-matched ranks are the nearest integers to the budget / (m + n)", () => {
  const cases: Array<[number, number, CharMethod["matchTo"], number]> = [
    // SLTrain r=8, δ=0.03: 32×32 → 8·64 + round(30.72) = 543, 543/64 = 8.48 → 8
    [32, 32, { kind: "sltrain", rank: 8, delta: 0.03 }, 8],
    // 32×128 → 8·160 + round(122.88) = 1403, 1403/160 = 8.77 → 9
    [32, 128, { kind: "sltrain", rank: 8, delta: 0.03 }, 9],
    // SST r=8: 32×32 → 8·64 + 32 = 544, 544/64 = 8.5 → 9 (Math.round rounds half up)
    [32, 32, { kind: "sst", rank: 8 }, 9],
    // 128×32 → 8·160 + 32 = 1312, 1312/160 = 8.2 → 8
    [128, 32, { kind: "sst", rank: 8 }, 8],
  ];
  for (const [m, n, to, want] of cases) assert.equal(matchedRank(m, n, to!), want, `${m}×${n} ${to!.kind}`);
  assert.deepEqual(
    charMatrixShapes().map(([m, n]) => `${m}x${n}`),
    Array(2).fill(["32x32", "32x32", "32x32", "32x32", "32x128", "128x32"]).flat(),
  );
});

test("char harness: the license split holds disjoint 128-character blocks, about 80/10/10", () => {
  const s = licenseSplit();
  const total = s.train.length + s.val.length + s.test.length;
  for (const part of [s.train, s.val, s.test]) assert.equal(part.length % 128, 0);
  assert.ok(Math.abs(s.val.length / total - 0.1) < 0.01 && Math.abs(s.test.length / total - 0.1) < 0.01);
  // No test block appears verbatim among the training blocks.
  const blocks = (a: Int32Array) => {
    const out = new Set<string>();
    for (let i = 0; i < a.length; i += 128) out.add(Array.from(a.subarray(i, i + 128)).join(","));
    return out;
  };
  const tr = blocks(s.train);
  let shared = 0;
  for (const b of blocks(s.test)) if (tr.has(b)) shared++;
  assert.equal(shared, 0);
});

test("LoRALinear: forward is x·(W₀ + a·b), and a ReLoRA* merge leaves the function unchanged", async () => {
  await backendReady();
  const [n, din, dout, r] = [3, 5, 4, 2];
  const w = tf.tensor2d(
    Array.from({ length: din * dout }, (_, i) => Math.sin(i + 1)),
    [din, dout],
  );
  const l = new LoRALinear(w, r, 7);
  assert.equal(l.trainableParams(), r * (din + dout));
  assert.equal(l.variables().length, 2);
  l.b.assign(
    tf.tensor2d(
      Array.from({ length: r * dout }, (_, i) => 0.1 * (i - 3)),
      [r, dout],
    ),
  );
  const xv = Array.from({ length: n * din }, (_, i) => Math.cos(i));
  const x = tf.tensor2d(xv, [n, din]);
  const wd = new Float64Array(din * dout);
  const ab = matmul(l.a.dataSync(), l.b.dataSync(), din, r, dout);
  w.dataSync().forEach((v, i) => (wd[i] = v + ab[i]));
  const want = matmul(xv, wd, n, din, dout);
  const before = l.forward(x).dataSync();
  assert.ok(maxAbsDiff(before, want) < 1e-5);
  const aBefore = Float32Array.from(l.a.dataSync());
  l.merge();
  assert.equal(l.merges, 1);
  assert.ok(maxAbsDiff(l.forward(x).dataSync(), before) < 1e-5, "merge changes nothing the layer computes");
  assert.ok(
    l.b.dataSync().every((v) => v === 0),
    "b is zero after a merge",
  );
  assert.ok(maxAbsDiff(l.a.dataSync(), aBefore) > 1e-3, "a is redrawn");
  assert.ok(maxAbsDiff(l.w0.dataSync(), wd) < 1e-5, "W₀ absorbed a·b");
  l.dispose();
  w.dispose();
  x.dispose();
});

test("reloraHook merges every k steps but not after the last step, and resets the Adam state", async () => {
  await backendReady();
  const w = tf.zeros([4, 4]) as tf.Tensor2D;
  const l = new LoRALinear(w, 2, 1);
  const opt = new ResettableAdam(0.1);
  const hook = reloraHook([l], opt, 3, 9);
  for (let s = 1; s <= 9; s++) hook.postStep!(s);
  assert.equal(l.merges, 2); // steps 3 and 6; not 9, the last
  assert.equal(opt.resets, 2);
  assert.throws(() => reloraHook([l], opt, 0, 9), /every/);
  l.dispose();
  w.dispose();
  opt.dispose();
});

test("ResettableAdam: after a reset the next step is a fresh Adam's first step, lr·sign(g)", async () => {
  await backendReady();
  const v = tf.variable(tf.zeros([4]));
  const opt = new ResettableAdam(0.01);
  const g1 = tf.tensor1d([1, -2, 3, -4]);
  const g2 = tf.tensor1d([-0.5, 0.25, 2, 1]);
  for (let i = 0; i < 5; i++) opt.applyGradients({ [v.name]: i % 2 ? g1 : g2 });
  opt.reset();
  const before = Float32Array.from(v.dataSync());
  opt.applyGradients({ [v.name]: g2 });
  const step = Array.from(v.dataSync(), (x, i) => x - before[i]);
  // Adam's first step: m̂ = g, v̂ = g², so Δ = −lr·g/(|g| + ε) = −lr·sign(g).
  assert.ok(maxAbsDiff(step, [0.01, -0.01, -0.01, -0.01]) < 1e-5, `step ${step}`);
  // Without the reset the moments would remember g1 and the step would differ.
  opt.applyGradients({ [v.name]: g1 });
  v.dispose();
  g1.dispose();
  g2.dispose();
  opt.dispose();
});

test("zero distortion: at step 0 the SST, LoRA and ReLoRA* transformers compute the full-rank model's logits", async () => {
  await backendReady();
  const ids = tf.tensor2d(
    Array.from({ length: 2 * 8 }, (_, i) => (7 * i + 3) % CHAR_SHAPE.vocab),
    [2, 8],
    "int32",
  );
  const full = buildCharModel({ name: "full", kind: "adam", grid: [1e-3] }, 4);
  const want = tf.tidy(() => full.forward(ids).dataSync());
  full.dispose();
  const methods: CharMethod[] = [
    { name: "sst", kind: "sst", rank: 4, grid: [1e-3] },
    { name: "lora", kind: "lora", matchTo: { kind: "sst", rank: 4 }, grid: [1e-3] },
    { name: "relora", kind: "relora", matchTo: { kind: "sst", rank: 4 }, mergeEvery: 10, grid: [1e-3] },
  ];
  for (const m of methods) {
    const b = buildCharModel(m, 4);
    const got = tf.tidy(() => b.forward(ids).dataSync());
    assert.ok(maxAbsDiff(got, want) < 1e-3, `${m.name}: ${maxAbsDiff(got, want)}`);
    b.dispose();
  }
  // A different seed draws a different model (the check above can fail).
  const other = buildCharModel({ name: "full", kind: "adam", grid: [1e-3] }, 5);
  assert.ok(
    maxAbsDiff(
      tf.tidy(() => other.forward(ids).dataSync()),
      want,
    ) > 1e-3,
  );
  other.dispose();
  ids.dispose();
});
