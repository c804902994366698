// NCD helpers: the silhouette estimate of k finds the number of well-separated blobs, and the
// clustering accuracy of codes that are the labels themselves is 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import { clusterAccuracy, estimateK } from "../../src/train/ncd";

test("estimateK recovers the number of separated blobs; accuracy of perfect codes is 1", () => {
  const r = new Rng(4);
  for (const k of [3, 4, 6]) {
    const centers = Array.from({ length: k }, () => [20 * r.normal(), 20 * r.normal(), 20 * r.normal()]);
    const y = Array.from({ length: 30 * k }, (_, i) => i % k);
    const X = y.map((c) => centers[c].map((v) => v + 0.5 * r.normal()));
    assert.equal(estimateK(X, [2, 3, 4, 5, 6, 7, 8], 1).k, k);
    assert.equal(clusterAccuracy(X, y, k, 1), 1);
  }
  assert.throws(() => estimateK([[0], [1]], [1], 0), /ks: /);
});
