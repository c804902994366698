// Group-rational KAN: the safe rational against hand values, the tfjs group op and its
// autograd gradients against float64 finite differences, the least-squares fitter on an exactly
// representable target, Gaussian moments and variance-preserving init statistics, and the tiny ViT.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/core/random";
import {
  fitRational,
  gainInit,
  gaussianSecondMoment,
  geluExact,
  groupRational,
  IDENTITY_RATIONAL,
  RationalCoefficients,
  rationalValue,
  varianceGain,
} from "../../src/nn/kan";
import { TinyVit } from "../../src/nn/tiny-vit";

const C1: RationalCoefficients = {
  numerator: [0.1, 0.9, 0.3, -0.05, 0.02, 0.01],
  denominator: [0.2, -0.4, 0.05, 0.03],
};
const C2: RationalCoefficients = {
  numerator: [-0.2, 0.5, 0.4, 0.07, -0.01, -0.004],
  denominator: [-0.1, 0.15, 0.02, -0.007],
};

test("safe rational: hand-computed values and the identity", () => {
  // x = 2: P = 0.1 + 1.8 + 1.2 − 0.4 + 0.32 + 0.32 = 3.34; Q = 0.4 − 1.6 + 0.4 + 0.48 = −0.32
  assert.ok(Math.abs(rationalValue(2, C1) - 3.34 / 1.32) < 1e-12);
  for (const x of [-3, -0.5, 0, 1.7]) assert.equal(rationalValue(x, IDENTITY_RATIONAL), x);
});

test("exact GELU and Gaussian moments match known values", () => {
  const cases: Array<[number, number]> = [
    [1, 0.8413447460685429],
    [-1, -0.15865525393145707],
    [2, 1.9544997361036416],
    [0, 0],
  ];
  for (const [x, want] of cases) assert.ok(Math.abs(geluExact(x) - want) < 1e-12, `GELU(${x})`);
  assert.ok(Math.abs(gaussianSecondMoment((x) => x) - 1) < 1e-9);
  assert.ok(Math.abs(gaussianSecondMoment((x) => x * x) - 3) < 1e-9);
  assert.ok(Math.abs(gaussianSecondMoment((x) => Math.max(x, 0)) - 0.5) < 1e-9);
  assert.ok(Math.abs(varianceGain(IDENTITY_RATIONAL) - 1) < 1e-9);
});

test("groupRational applies each group's coefficients to its own channel block", () => {
  const xs = [
    [-2.5, -0.3, 0.8, 2.9],
    [0.1, 1.5, -1.2, 0.0],
  ];
  const a = tf.tensor2d([C1.numerator, C2.numerator]);
  const b = tf.tensor2d([C1.denominator, C2.denominator]);
  const out = groupRational(tf.tensor2d(xs), a, b).arraySync() as number[][];
  xs.forEach((row, i) =>
    row.forEach((x, j) => {
      const want = rationalValue(x, j < 2 ? C1 : C2);
      assert.ok(Math.abs(out[i][j] - want) < 1e-5 * (1 + Math.abs(want)), `[${i}][${j}]`);
    }),
  );
  assert.throws(() => groupRational(tf.tensor2d([[1, 2, 3]]), a, b), /x: has 3 channels, not divisible by 2 groups/);
  assert.throws(
    () => groupRational(tf.tensor2d([[1, 2]]), tf.zeros([2, 5]) as tf.Tensor2D, b),
    /a: must be \[groups, 6\]/,
  );
});

test("rational gradients (x, numerator, denominator) match float64 finite differences", () => {
  const xs = [-2.2, -0.7, 0.4, 1.9];
  const wts = [0.7, -1.3, 0.5, 1.1];
  const loss = (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(groupRational(x as tf.Tensor2D, a as tf.Tensor2D, b as tf.Tensor2D), tf.tensor2d([wts])));
  const [gx, ga, gb] = tf
    .grads(loss)([tf.tensor2d([xs]), tf.tensor2d([C1.numerator]), tf.tensor2d([C1.denominator])])
    .map((t) => Array.from(t.dataSync()));
  const f = (xv: number[], coef: RationalCoefficients) =>
    xv.reduce((s, x, i) => s + wts[i] * rationalValue(x, coef), 0);
  const h = 1e-6;
  const fdx = xs.map((_, i) => {
    const p = xs.slice();
    const m = xs.slice();
    p[i] += h;
    m[i] -= h;
    return (f(p, C1) - f(m, C1)) / (2 * h);
  });
  const fdCoef = (key: "numerator" | "denominator") =>
    C1[key].map((_, k) => {
      const p = { ...C1, [key]: C1[key].slice() };
      const m = { ...C1, [key]: C1[key].slice() };
      p[key][k] += h;
      m[key][k] -= h;
      return (f(xs, p) - f(xs, m)) / (2 * h);
    });
  const close = (got: number[], want: number[], what: string) =>
    got.forEach((g, i) =>
      assert.ok(Math.abs(g - want[i]) < 2e-3 * (1 + Math.abs(want[i])), `${what}[${i}]: ${g} vs ${want[i]}`),
    );
  close(gx, fdx, "d/dx");
  close(ga, fdCoef("numerator"), "d/da");
  close(gb, fdCoef("denominator"), "d/db");
});

test("the fitter recovers an exactly representable rational and fits GELU to 1e-2", () => {
  // Q(x) = 0.2x² + 0.05x⁴ ≥ 0 everywhere, so the safe form is exactly P/(1+Q)
  const exact: RationalCoefficients = { numerator: [0.3, -0.5, 0.2, 0.1, -0.03, 0.02], denominator: [0, 0.2, 0, 0.05] };
  const fit = fitRational((x) => rationalValue(x, exact));
  assert.ok(fit.maxError < 1e-8, `max error ${fit.maxError}`);
  const g = fitRational(geluExact);
  assert.ok(g.maxError < 1e-2, `GELU max error ${g.maxError}`);
  assert.throws(() => fitRational(geluExact, { lo: 1, hi: 0 }), /opts.hi: must exceed lo/);
});

test("variance-preserving init: weight std gain/√fan_in and unit output variance through W·F(x)", () => {
  const rng = new Rng(3);
  const gelu = fitRational(geluExact).coef;
  const gain = varianceGain(gelu);
  const din = 256;
  const w = gainInit(din, 256, gain, rng);
  const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(sd / (gain / Math.sqrt(din)) - 1) < 0.01, `weight std ${sd}`);
  // output variance of W·F(x), x ~ N(0,1), averaged over 2,000 rows
  const rows = 2000;
  const x = rng.normalArray(rows * din, 1);
  const out = tf.tidy(() => {
    const fx = groupRational(
      tf.tensor2d(x, [rows, din]),
      tf.tensor2d([gelu.numerator]),
      tf.tensor2d([gelu.denominator]),
    );
    return tf.moments(tf.matMul(fx, tf.tensor2d(w, [din, 256]))).variance.dataSync()[0];
  });
  assert.ok(Math.abs(out - 1) < 0.1, `output variance ${out}`);
  assert.throws(() => gainInit(4, 4, -1, rng), /gain: must be a positive number/);
});

test("tiny ViT: logits shape for both mixers, probe records each block, bad configs rejected", () => {
  const gelu = fitRational(geluExact).coef;
  for (const mixer of ["mlp", "kan"] as const) {
    const net = new TinyVit(
      { width: 16, blocks: 2, heads: 2, hidden: 32, classes: 10, mixer, groups: 4, gelu },
      new Rng(1),
    );
    net.probe = [];
    const y = net.forward(tf.randomUniform([3, 784]) as tf.Tensor2D);
    assert.deepEqual(y.shape, [3, 10]);
    assert.equal(net.probe.length, 2);
    net.dispose();
  }
  assert.throws(
    () => new TinyVit({ width: 16, blocks: 1, heads: 3, hidden: 32, classes: 10, mixer: "mlp" }, new Rng(1)),
    /cfg.heads: must divide width 16/,
  );
  assert.throws(
    () => new TinyVit({ width: 16, blocks: 1, heads: 2, hidden: 32, classes: 10, mixer: "kan", groups: 4 }, new Rng(1)),
    /cfg.gelu: the KAN mixer needs GELU-fitted coefficients/,
  );
});
