// Data Diet conv part: GraNd on a conv LayersModel (autograd fallback) against an independent
// per-example tf.grads over explicit conv2d / matMul / logSumExp, and the seeded conv net.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng, seed } from "../../src/core/random";
import { grandScores } from "../../src/metrics/data-diet";
import { dataDietConvNet } from "../../src/nn/conv-net";

test("GraNd of a tiny conv LayersModel equals brute-force per-example tf.grads norms (3 examples)", async () => {
  assert.equal(await backendReady(), "wasm");
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [6, 6, 1],
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.heNormal({ seed: 3 }),
      biasInitializer: tf.initializers.randomNormal({ seed: 4, stddev: 0.1 }),
    }),
  );
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({
      units: 3,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      biasInitializer: tf.initializers.randomNormal({ seed: 6, stddev: 0.1 }),
    }),
  );
  const rng = new Rng(11);
  const x = tf.tensor4d(
    Float32Array.from({ length: 3 * 36 }, () => rng.normal()),
    [3, 6, 6, 1],
  );
  const labels = [0, 2, 1];
  const got = grandScores(model, x, labels);

  // Independent: the same function written out by hand, differentiated w.r.t. explicit copies of the weights.
  const [k, bk, w, bw] = model.getWeights().map((t) => t.clone());
  const want = labels.map((y, i) =>
    tf.tidy(() => {
      const xi = tf.slice(x, [i], [1]) as tf.Tensor4D;
      const loss = (kk: tf.Tensor, bb: tf.Tensor, ww: tf.Tensor, bw2: tf.Tensor) => {
        const h = tf.reshape(tf.relu(tf.add(tf.conv2d(xi, kk as tf.Tensor4D, 2, "same"), bb)), [1, -1]);
        const z = tf.add(tf.matMul(h, ww as tf.Tensor2D), bw2);
        return tf.sub(tf.logSumExp(z), tf.reshape(tf.slice(z, [0, y], [1, 1]), [])) as tf.Scalar;
      };
      const gs = tf.grads(loss)([k, bk, w, bw]);
      return Math.sqrt(gs.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
    }),
  );
  want.forEach((v, i) => assert.ok(v > 1e-4 && Math.abs(got[i] - v) <= 1e-4 * v, `example ${i}: ${got[i]} vs ${v}`));
  tf.dispose([x, k, bk, w, bw]);
  model.dispose();
});

test("dataDietConvNet: [n, 28, 28, 1] → [n, 10] logits, same seed → same weights", async () => {
  await backendReady();
  const weightsAt = (s: number) => {
    seed(s);
    const m = dataDietConvNet();
    const out = m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    assert.deepEqual(out.shape, [2, 10]);
    const flat = m.getWeights().map((t) => Array.from(t.dataSync()));
    tf.dispose(out);
    m.dispose();
    return flat;
  };
  assert.deepEqual(weightsAt(1), weightsAt(1));
  assert.notDeepEqual(weightsAt(1), weightsAt(2));
});
