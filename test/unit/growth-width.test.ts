// Width growth by template recombination (MixtureGrowth) and the template MLP: with zero new
// blocks the grown net is exactly the average of the two small nets (and the small net
// itself when both are the same); orthogonal new blocks lie in the templates' span with
// coefficients orthogonal to the old ones (checked by an independent least-squares fit).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Matrix, solve } from "ml-matrix";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { mixtureGrow, mlpFromWeights } from "../../src/nn/growth";
import { TemplateMLP } from "../../src/nn/template-mlp";

const sizes = [5, 4, 4, 3];
const x = () => tf.tensor2d(new Rng(9).normalArray(6 * 5), [6, 5]);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).arraySync() as number);

/** A template net with non-zero biases (as after training), so the bias rules are exercised. */
function net(seedValue: number): TemplateMLP {
  const n = new TemplateMLP({ sizes, templates: 2 }, new Rng(seedValue));
  const r = new Rng(seedValue + 100);
  n.biases.forEach((b) => b.assign(tf.tensor1d(r.normalArray(b.size))));
  return n;
}

test("TemplateMLP: W = Σ c_k T_k, forward = ReLU MLP of those weights, parameter count", async () => {
  await backendReady();
  const n = net(1);
  const w = n.weight(1).arraySync();
  const T = n.templates[1].map((t) => t.arraySync());
  const c = Array.from(n.coefficients[1].dataSync());
  w.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (c[0] * T[0][i][j] + c[1] * T[1][i][j])) < 1e-6)));
  // 2 templates per layer + K coefficients + biases.
  assert.equal(n.parameterCount(), 2 * (5 * 4 + 4 * 4 + 4 * 3) + 3 * 2 + (4 + 4 + 3));
  const plain = mlpFromWeights(
    sizes,
    [0, 1, 2].map((l) => n.weight(l).arraySync()),
    n.biases.map((b) => Array.from(b.dataSync())),
  );
  assert.ok(maxDiff(plain.forward(x()), n.forward(x())) < 1e-5);
});

test("zero new blocks: the grown net's logits are the average of the two nets' logits", async () => {
  await backendReady();
  const [a, b] = [net(2), net(3)];
  const g = mixtureGrow(a, b, { init: "zero", rng: new Rng(0) });
  assert.deepEqual(g.sizes, [5, 8, 8, 3]);
  const grown = mlpFromWeights(g.sizes, g.weights, g.biases);
  const avg = tf.mul(tf.add(a.forward(x()), b.forward(x())), 0.5);
  assert.ok(maxDiff(grown.forward(x()), avg) < 1e-5);
  // Same network twice: identity-like growth, the function is unchanged.
  const g2 = mixtureGrow(a, a, { init: "zero", rng: new Rng(0) });
  const same = mlpFromWeights(g2.sizes, g2.weights, g2.biases);
  assert.ok(maxDiff(same.forward(x()), a.forward(x())) < 1e-5);
});

test("orthogonal new blocks: in the span of the 2K templates, coefficients ⟂ the old ones, same average length", async () => {
  await backendReady();
  const [a, b] = [net(4), net(5)];
  const g = mixtureGrow(a, b, { init: "orthogonal", rng: new Rng(1) });
  const W = g.weights[1]; // [8, 8]: rows A-in then B-in, columns A-out then B-out
  const block = (r0: number, c0: number) => W.slice(r0, r0 + 4).flatMap((row) => row.slice(c0, c0 + 4));
  // Diagonal blocks are the small nets' weights.
  assert.ok(block(0, 0).every((v, i) => Math.abs(v - a.weight(1).dataSync()[i]) < 1e-6));
  assert.ok(block(4, 4).every((v, i) => Math.abs(v - b.weight(1).dataSync()[i]) < 1e-6));
  const temps = [...a.templates[1], ...b.templates[1]].map((t) => Array.from(t.dataSync()));
  const old = [
    [...a.coefficients[1].dataSync(), 0, 0],
    [0, 0, ...b.coefficients[1].dataSync()],
  ];
  const len = (Math.hypot(...old[0]) + Math.hypot(...old[1])) / 2;
  for (const nb of [block(0, 4), block(4, 0)]) {
    // Least squares: templates as columns, solve for the coefficients, check the residual.
    const A = new Matrix(nb.length, 4);
    temps.forEach((t, k) => t.forEach((v, i) => A.set(i, k, v)));
    const coef = solve(A, Matrix.columnVector(nb)).to1DArray();
    const resid = A.mmul(Matrix.columnVector(coef))
      .to1DArray()
      .map((v, i) => v - nb[i]);
    assert.ok(Math.max(...resid.map(Math.abs)) < 1e-4, "new block outside the templates' span");
    for (const o of old) assert.ok(Math.abs(coef.reduce((s, v, k) => s + v * o[k], 0)) < 1e-4);
    assert.ok(Math.abs(Math.hypot(...coef) - len) < 1e-4);
  }
  // The classifier stacks both heads at half scale; the first layer concatenates columns.
  assert.ok(Math.abs(g.weights[2][5][1] - 0.5 * b.weight(2).arraySync()[1][1]) < 1e-6);
  assert.ok(Math.abs(g.weights[0][2][6] - b.weight(0).arraySync()[2][2]) < 1e-6);
});

test("random new blocks: fresh draws, not in the templates' span; bad input is refused", async () => {
  await backendReady();
  const [a, b] = [net(6), net(7)];
  const g = mixtureGrow(a, b, { init: "random", rng: new Rng(2) });
  const nb = g.weights[1].slice(0, 4).flatMap((row) => row.slice(4, 8));
  const temps = [...a.templates[1], ...b.templates[1]].map((t) => Array.from(t.dataSync()));
  const A = new Matrix(16, 4);
  temps.forEach((t, k) => t.forEach((v, i) => A.set(i, k, v)));
  const coef = solve(A, Matrix.columnVector(nb));
  const resid = A.mmul(coef)
    .to1DArray()
    .map((v, i) => v - nb[i]);
  assert.ok(Math.max(...resid.map(Math.abs)) > 1e-2);
  assert.throws(() => mixtureGrow(a, b, { init: "copy" as never, rng: new Rng(0) }), /opts\.init/);
  const other = new TemplateMLP({ sizes: [5, 3, 3], templates: 2 }, new Rng(0));
  assert.throws(() => mixtureGrow(a, other, { init: "zero", rng: new Rng(0) }), /b.*sizes/);
  assert.throws(() => mlpFromWeights(sizes, g.weights, g.biases), /weights\[0\]/);
});
