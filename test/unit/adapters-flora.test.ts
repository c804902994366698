// FLoRA's known answers: n-mode and Tucker products against sums written out by hand, the
// conv-kernel form against a dense Tucker reference and conv2d with the summed kernel, the
// reshape-LoRA baseline's index map, parameter counts as closed forms, the linear adapter's
// ΔW = s·U_in G U_outᵀ, its factor init scale, and named errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  createAdapter,
  FloraAdapter,
  FloraConv2d,
  floraConvParamCount,
  modeProduct,
  ReshapeLoraConv2d,
  tuckerProduct,
} from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";

const rand = (shape: number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(
    Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()),
    shape,
  );
};
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** Dense Tucker reference for a 4-d core: ΔK[a,b,c,d] = Σ G[p,q,u,v] U0[a,p] U1[b,q] U2[c,u] U3[d,v]. */
function denseTucker4(G: number[][][][], U: number[][][]): number[] {
  const [d0, d1, d2, d3] = U.map((u) => u.length);
  const [r0, r1, r2, r3] = U.map((u) => u[0].length);
  const out: number[] = [];
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++)
      for (let c = 0; c < d2; c++)
        for (let d = 0; d < d3; d++) {
          let s = 0;
          for (let p = 0; p < r0; p++)
            for (let q = 0; q < r1; q++)
              for (let u = 0; u < r2; u++)
                for (let v = 0; v < r3; v++) s += G[p][q][u][v] * U[0][a][p] * U[1][b][q] * U[2][c][u] * U[3][d][v];
          out.push(s);
        }
  return out;
}

test("flora: modeProduct on each mode of a 3-d tensor = the sum written out", async () => {
  await backendReady();
  const T = rand([2, 3, 4], 1);
  const t = T.arraySync() as number[][][];
  for (let n = 0; n < 3; n++) {
    const d = 5;
    const U = rand([d, T.shape[n]], 10 + n) as tf.Tensor2D;
    const u = U.arraySync();
    const got = modeProduct(T, U, n);
    const shape = [...T.shape];
    shape[n] = d;
    assert.deepEqual(got.shape, shape);
    const want: number[] = [];
    for (let i = 0; i < shape[0]; i++)
      for (let j = 0; j < shape[1]; j++)
        for (let k = 0; k < shape[2]; k++) {
          let s = 0;
          const idx = [i, j, k];
          for (let m = 0; m < T.shape[n]; m++) {
            const src = [...idx];
            src[n] = m;
            s += t[src[0]][src[1]][src[2]] * u[idx[n]][m];
          }
          want.push(s);
        }
    assert.ok(maxDiff(Array.from(got.dataSync()), want) < 1e-4, `mode ${n}`);
  }
  assert.throws(() => modeProduct(T, tf.zeros([3, 5]) as tf.Tensor2D, 0), /u: must be \[d, 2\]/);
  assert.throws(() => modeProduct(T, tf.zeros([3, 2]) as tf.Tensor2D, 3), /n: must be a mode index/);
  assert.throws(() => tuckerProduct(T, []), /factors: must be an array of 3/);
});

test("flora conv: ΔK = s·Tucker product (dense reference), forward = conv2d with K0 + ΔK, identity at init", async () => {
  await backendReady();
  const shape = [3, 3, 4, 6];
  const ranks: [number, number, number, number] = [2, 2, 3, 3];
  const K0 = rand(shape, 3) as tf.Tensor4D;
  const ad = new FloraConv2d(K0, { ranks, scale: 2.5, seed: 5 });
  assert.equal(ad.parameterCount(), 2 * 2 * 3 * 3 + 3 * 2 + 3 * 2 + 4 * 3 + 6 * 3);
  assert.equal(floraConvParamCount(shape, ranks), 78);
  const x = rand([2, 5, 5, 4], 7) as tf.Tensor4D;
  assert.ok(maxDiff(Array.from(ad.forward(x).dataSync()), Array.from(tf.conv2d(x, K0, 1, "same").dataSync())) < 1e-5);
  ad.core.assign(rand(ranks, 8));
  const U = ad.factors.map((f) => f.arraySync());
  const want = denseTucker4(ad.core.arraySync() as number[][][][], U).map((v) => 2.5 * v);
  const dk = ad.deltaKernel();
  assert.deepEqual(dk.shape, shape);
  assert.ok(maxDiff(Array.from(dk.dataSync()), want) < 1e-4, "ΔK vs dense Tucker");
  const ref = tf.conv2d(x, tf.add(K0, tf.tensor(want, shape)) as tf.Tensor4D, 2, "valid");
  assert.ok(
    maxDiff(Array.from(ad.forward(x, { strides: 2, pad: "valid" }).dataSync()), Array.from(ref.dataSync())) < 1e-4,
  );
  // Gradients reach the core and every factor (each is trainable through the product).
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(ad.forward(x))) as tf.Scalar, ad.trainableVariables());
  for (const v of ad.trainableVariables()) assert.ok(tf.max(tf.abs(grads[v.name])).dataSync()[0] > 0, v.name);
  assert.throws(() => new FloraConv2d(K0, { ranks: [4, 2, 3, 3] }), /config\.ranks\[0\]: is 4; it cannot exceed/);
  assert.throws(() => new FloraConv2d(K0, { ranks: [2, 2, 3] as never }), /config\.ranks/);
  assert.throws(() => new FloraConv2d(tf.zeros([3, 3]) as never, { ranks }), /kernel: must be a 4-D/);
  assert.throws(() => ad.forward(tf.zeros([1, 5, 5, 3]) as tf.Tensor4D), /x: must be \[batch, h, w, 4\]/);
  ad.dispose();
});

test("flora conv: reshape-LoRA's ΔK[a,b,c,d] = s·Σ_k A[(a·kw + b)·in + c, k] B[k, d]; count r(kh·kw·in + out)", async () => {
  await backendReady();
  const [kh, kw, cin, cout] = [3, 2, 4, 5];
  const ad = new ReshapeLoraConv2d(rand([kh, kw, cin, cout], 1) as tf.Tensor4D, { r: 3, scale: 0.5, seed: 2 });
  assert.equal(ad.parameterCount(), 3 * (kh * kw * cin + cout));
  assert.equal(tf.max(tf.abs(ad.deltaKernel())).dataSync()[0], 0, "B = 0 at init");
  ad.B.assign(rand([3, cout], 3) as tf.Tensor2D);
  const A = ad.A.arraySync();
  const B = ad.B.arraySync();
  const want: number[] = [];
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let c = 0; c < cin; c++)
        for (let d = 0; d < cout; d++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += A[(a * kw + b) * cin + c][k] * B[k][d];
          want.push(0.5 * s);
        }
  assert.ok(maxDiff(Array.from(ad.deltaKernel().dataSync()), want) < 1e-5);
  assert.throws(() => new ReshapeLoraConv2d(tf.zeros([1, 1, 2, 2]) as tf.Tensor4D, { r: 3 }), /config\.r: is 3/);
  ad.dispose();
});

test("flora linear: ΔW = s·U_in G U_outᵀ by hand, count in·r₁ + r₁r₂ + out·r₂, core spectrum, factor scale", async () => {
  await backendReady();
  const w0 = rand([6, 5], 1) as tf.Tensor2D;
  const ad = new FloraAdapter(w0, { r: [3, 2], scale: 1.5, seed: 9 });
  assert.equal(ad.parameterCount(), 6 * 3 + 3 * 2 + 5 * 2);
  ad.G.assign(
    tf.tensor2d([
      [3, 0],
      [0, -1],
      [0, 0],
    ]),
  );
  const [U, G, V] = [ad.Uin.arraySync(), ad.G.arraySync(), ad.Uout.arraySync()];
  const d = ad.deltaW().arraySync();
  for (let i = 0; i < 6; i++)
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 2; q++) s += U[i][p] * G[p][q] * V[j][q];
      assert.ok(Math.abs(d[i][j] - 1.5 * s) < 1e-5);
    }
  const sv = ad.coreSingularValues();
  assert.ok(Math.abs(sv[0] - 3) < 1e-6 && Math.abs(sv[1] - 1) < 1e-6, `core σ ${sv}`);
  ad.dispose();
  // kaiming-normal a=√3 over the rank axis: std 1/√(2r) (a 2000×8 draw: within 5%).
  const big = new FloraAdapter(tf.zeros([2000, 8]) as tf.Tensor2D, { r: 8, seed: 1 });
  const u = Array.from(big.Uin.dataSync());
  const std = Math.sqrt(u.reduce((s, v) => s + v * v, 0) / u.length);
  assert.ok(Math.abs(std - 1 / Math.sqrt(16)) < 0.05 / Math.sqrt(16), `std ${std}`);
  big.dispose();
});

test("flora linear: bad ranks and options fail naming the option", async () => {
  await backendReady();
  const w0 = tf.zeros([6, 4]) as tf.Tensor2D;
  const bad: Array<[object, RegExp]> = [
    [{ r: [7, 2] }, /config\.r\[0\]: is 7; it cannot exceed in = 6/],
    [{ r: [2, 5] }, /config\.r\[1\]: is 5; it cannot exceed out = 4/],
    [{ r: [2] }, /config\.r: must be a number or \[r1, r2\]/],
    [{ r: [2, 0.5] }, /config\.r\[1\]: must be a positive integer/],
    [{ r: 2, scale: 0 }, /config\.scale/],
    [{ r: 2, alpha: 2 }, /unknown option "alpha"/],
  ];
  for (const [cfg, re] of bad) assert.throws(() => createAdapter("flora", w0, cfg), re);
  // Rectangular ranks within each side are accepted (r₂ = out).
  createAdapter("flora", w0, { r: [6, 4] }).dispose();
});

test("flora conv checks: the paired difference and the budget rule read the runs as written", async () => {
  const { convChecks } = await import("../../src/papers/flora/conv-checks");
  const run = (method: string, seed: number, testAcc: number) => ({ method, seed, testAcc }) as never;
  const r = {
    baseAccA: 0.9,
    params: { "FLoRA-conv": 209, "reshape-LoRA": 210, "head only": 0 },
    runs: [
      run("FLoRA-conv", 0, 0.9),
      run("FLoRA-conv", 1, 0.92),
      run("FLoRA-conv", 2, 0.91),
      run("reshape-LoRA", 0, 0.88),
      run("reshape-LoRA", 1, 0.9),
      run("reshape-LoRA", 2, 0.88),
      run("head only", 0, 0.9),
      run("head only", 1, 0.93),
      run("head only", 2, 0.9),
    ],
  };
  const [budget, vsLora, vsHead] = convChecks(r as never);
  assert.equal(budget.pass, true);
  assert.ok(Math.abs((budget.measured as number) - 1 / 210) < 1e-5);
  // Differences 0.02, 0.02, 0.03: mean 0.02333, sd 0.005774, t(0.975, 2) = 4.3027 → lo 0.00899 > 0.
  const iv = vsLora.measured as { mean: number; lo: number; hi: number };
  assert.ok(Math.abs(iv.mean - 0.07 / 3) < 1e-9);
  assert.ok(Math.abs(iv.lo - (0.07 / 3 - (4.302653 * 0.0057735) / Math.sqrt(3))) < 1e-5);
  assert.equal(vsLora.pass, true);
  // Differences 0, −0.01, 0.01: interval straddles 0.
  assert.equal(vsHead.pass, false);
  const lopsided = { ...r, params: { ...r.params, "reshape-LoRA": 250 } };
  assert.equal(convChecks(lopsided as never)[0].pass, false, "a 16% budget gap fails the sanity rule");
});
