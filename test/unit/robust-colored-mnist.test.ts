import { test } from "node:test";
import assert from "node:assert/strict";
import { loadMnistDigits } from "../../src/data/images";
import { coloredMnistEnv } from "../../src/data/colored-mnist";
import { makeDataset } from "../../src/data/dataset";

const named = (arg: string) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && e.message.startsWith(arg);

test("ColoredMNIST: label noise and colour flips at their rates; the digit sits in its colour's channel", () => {
  const mnist = loadMnistDigits();
  const idx = Array.from({ length: 4000 }, (_, i) => (i * 2503) % mnist.n);
  for (const flip of [0.1, 0.9]) {
    const env = coloredMnistEnv(mnist, idx, flip, 0.25, 7);
    const d = env.data;
    assert.equal(d.dim, 392);
    let labelFlips = 0;
    let colorFlips = 0;
    for (let k = 0; k < d.n; k++) {
      const clean = mnist.y[idx[k]] >= 5 ? 1 : 0;
      labelFlips += d.y[k] !== clean ? 1 : 0;
      colorFlips += env.color[k] !== d.y[k] ? 1 : 0;
      const other = 1 - env.color[k];
      for (let p = 0; p < 196; p++) assert.equal(d.x[k * 392 + other * 196 + p], 0);
    }
    // Binomial(4000, p) stays within ±4 standard deviations (≈ 0.027 at p = 0.25).
    assert.ok(Math.abs(labelFlips / d.n - 0.25) < 0.03, `label noise ${labelFlips / d.n}`);
    assert.ok(Math.abs(colorFlips / d.n - flip) < 0.025, `colour flips ${colorFlips / d.n} vs ${flip}`);
  }
  // 2×2 mean pooling on a hand case: one bright pixel at (0, 0) gives 0.25 at (0, 0).
  const x = new Float32Array(784);
  x[0] = 1;
  const one = makeDataset("one", x, Int32Array.from([7]), [28, 28], 10);
  const env = coloredMnistEnv(one, [0], 0, 0, 1);
  assert.equal(env.data.x[env.color[0] * 196], 0.25);
  assert.throws(() => coloredMnistEnv(one, [0], 1.5, 0, 1), named("colorFlip"));
  assert.throws(() => coloredMnistEnv(one, [3], 0.1, 0, 1), named("indices"));
});
