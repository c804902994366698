// S4D inits against their formulas, the Vandermonde kernel against the discretised
// recurrence (direct convolution), ZOH vs bilinear at small steps, and the tfjs layer
// against the float64 kernel and a direct convolution.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { hippoLegSNormal } from "../../src/linalg";
import {
  causalConv,
  causalConvChannels,
  discretizeDiag,
  runRecurrence,
  s4dInit,
  s4dKernel,
  s4dParams,
  s4dRealInit,
  vandermondeKernel,
} from "../../src/nn";
import { Rng, seed } from "../../src/core/random";
import { backendReady } from "../../src/nn/backend";

const near = (a: number, b: number, tol: number, msg: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg}: ${a} vs ${b}`);
const maxAbs = (v: number[]) => Math.max(...v.map(Math.abs));

const FORMULAS: Array<[string, (n: number, N: number) => number]> = [
  ["lin", (n) => Math.PI * n],
  ["inv", (n, N) => (N / Math.PI) * (N / (2 * n + 1) - 1)],
];
for (const [kind, f] of FORMULAS)
  for (const N of [2, 8, 64])
    test(`s4dInit(${N}, "${kind}"): N/2 values, Re = −½, Im by the formula`, () => {
      const a = s4dInit(N, kind as "lin" | "inv");
      assert.equal(a.re.length, N / 2);
      a.re.forEach((r) => assert.equal(r, -0.5));
      a.im.forEach((w, n) => near(w, f(n, N), 1e-14, `Im ${n}`));
    });

test('s4dInit(N, "legs"): the positive-imaginary eigenvalues of HiPPO-LegS\'s normal part (ml-matrix as reference)', () => {
  const N = 12;
  const a = s4dInit(N, "legs");
  const e = new EigenvalueDecomposition(new MlMatrix(hippoLegSNormal(N)));
  const pos = [...e.imaginaryEigenvalues].filter((w) => w > 0).sort((x, y) => x - y);
  assert.equal(a.im.length, N / 2);
  a.im.forEach((w, j) => near(w, pos[j], 1e-8, `ω_${j}`));
  a.re.forEach((r) => near(r, -0.5, 1e-14, "Re"));
});

test('s4dInit(N, "random"): Im = exp(𝒩(0,1)) from the seeded stream; bad input is named', () => {
  seed(4);
  const a = s4dInit(16, "random");
  seed(4);
  assert.deepEqual(s4dInit(16, "random"), a);
  a.im.forEach((w) => assert.ok(w > 0));
  a.re.forEach((r) => assert.equal(r, -0.5));
  assert.deepEqual(s4dRealInit(6).re, [-1, -2, -3]);
  assert.throws(() => s4dInit(7, "lin"), /N: must be even/);
  assert.throws(() => s4dInit(8, "foo" as "lin"), /kind: unknown init "foo"/);
});

test("discretizeDiag: hand-computed ZOH and bilinear for a real A = −1, Δ = 0.5", () => {
  const A = { re: [-1], im: [0] };
  const z = discretizeDiag(A, 0.5, "zoh");
  near(z.Abar.re[0], Math.exp(-0.5), 1e-15, "ZOH Ā");
  near(z.Bfac.re[0], 1 - Math.exp(-0.5), 1e-15, "ZOH B̄ = (e^{ΔA} − 1)/A");
  const b = discretizeDiag(A, 0.5, "bilinear");
  near(b.Abar.re[0], 0.75 / 1.25, 1e-15, "bilinear Ā");
  near(b.Bfac.re[0], 0.5 / 1.25, 1e-15, "bilinear B̄");
  assert.throws(() => discretizeDiag(A, 0, "zoh"), /dt: must be a positive number/);
  assert.throws(() => discretizeDiag(A, 0.1, "euler" as "zoh"), /method: unknown discretisation/);
});

const CASES = [
  { init: "lin", method: "zoh", dt: 0.01 },
  { init: "inv", method: "zoh", dt: 0.001 },
  { init: "legs", method: "bilinear", dt: 0.01 },
  { init: "lin", method: "bilinear", dt: 0.05 },
] as const;
for (const c of CASES)
  test(`kernel = direct convolution of the recurrence (${c.init}, ${c.method}, Δ = ${c.dt})`, () => {
    const rng = new Rng(1);
    const A = s4dInit(32, c.init);
    const spec = {
      A,
      B: { re: A.re.map(() => rng.normal()), im: A.re.map(() => rng.normal()) },
      C: { re: A.re.map(() => rng.normal()), im: A.re.map(() => rng.normal()) },
      dt: c.dt,
      method: c.method,
    };
    const L = 400;
    const K = vandermondeKernel({ ...spec, L });
    const u = Array.from({ length: L }, () => rng.normal());
    const y = runRecurrence(spec, u);
    const yc = causalConv(u, K);
    const err = maxAbs(y.map((v, i) => v - yc[i])) / maxAbs(y);
    assert.ok(err < 1e-10, `relative error ${err}`);
  });

test("ZOH and bilinear kernels agree at small Δ, with an error shrinking like Δ²", () => {
  const A = s4dInit(16, "lin");
  const one = { re: A.re.map(() => 1), im: A.re.map(() => 0) };
  const rel = (dt: number) => {
    const L = Math.round(1 / dt); // the same time horizon
    const k = (method: "zoh" | "bilinear") => vandermondeKernel({ A, B: one, C: one, dt, L, method });
    const z = k("zoh");
    const b = k("bilinear");
    return maxAbs(z.map((v, i) => v - b[i])) / maxAbs(z);
  };
  const e1 = rel(1e-2);
  const e2 = rel(1e-3);
  assert.ok(e2 < 1e-3, `Δ = 1e-3: ${e2}`);
  const ratio = e1 / e2;
  assert.ok(ratio > 50 && ratio < 200, `error ratio for 10× smaller Δ: ${ratio} (second order gives 100)`);
});

test("tfjs layer: kernel matches float64, Toeplitz convolution matches direct convolution, gradients by finite differences", async () => {
  await backendReady();
  const shape = { input: 1, width: 3, state: 8, layers: 1, init: "inv" as const };
  const p = s4dParams(new Rng(2), shape);
  const L = 20;
  const K = s4dKernel(p, 0, L).arraySync();
  const get = (k: string) => p[k].arraySync() as number[][];
  K.forEach((row, h) => {
    const A = { re: get("s0.logNegRe")[h].map((x) => -Math.exp(x)), im: get("s0.im")[h] };
    const ref = vandermondeKernel({
      A,
      B: { re: A.re.map(() => 1), im: A.re.map(() => 0) },
      C: { re: get("s0.Cre")[h], im: get("s0.Cim")[h] },
      dt: Math.exp(get("s0.logDt")[h][0]),
      L,
      method: "zoh",
    });
    row.forEach((v, l) => near(v, ref[l], 1e-4, `K[${h}][${l}]`));
  });
  const rng = new Rng(9);
  const u = Array.from({ length: 3 }, () =>
    Array.from({ length: 2 }, () => Array.from({ length: L }, () => rng.normal())),
  );
  const y = causalConvChannels(tf.tensor3d(u), tf.tensor2d(K)).arraySync();
  u.forEach((ch, h) =>
    ch.forEach((seq, b) => causalConv(seq, K[h]).forEach((v, i) => near(y[h][b][i], v, 1e-4, `y[${h}][${b}][${i}]`))),
  );
  // d/dK of Σ w ⊙ conv(u, K) is exact for a linear map: compare with a finite difference in float32-friendly units.
  const w = tf.tensor3d(u.map((ch) => ch.map((s) => s.map((v) => Math.sin(v)))));
  const Kv = tf.variable(tf.tensor2d(K));
  const f = () => tf.sum(tf.mul(w, causalConvChannels(tf.tensor3d(u), Kv))) as tf.Scalar;
  const g = tf.variableGrads(f, [Kv]).grads[Kv.name].arraySync() as number[][];
  const h0 = 0.5;
  for (const [h, l] of [
    [0, 0],
    [1, 7],
    [2, L - 1],
  ]) {
    const Kp = K.map((r) => r.slice());
    Kp[h][l] += h0;
    const fp = tf.sum(tf.mul(w, causalConvChannels(tf.tensor3d(u), tf.tensor2d(Kp)))).arraySync() as number;
    const f0 = f().arraySync() as number;
    near(g[h][l], (fp - f0) / h0, 1e-3, `dK[${h}][${l}]`);
  }
  assert.throws(() => causalConvChannels(tf.tensor3d(u), tf.zeros([3, 5]) as tf.Tensor2D), /K: must be \[3, 20\]/);
});
