// LoRC: full rank recovers W exactly, rank 0 leaves Wq, and the remaining error follows
// Eckart–Young (the tail of the error's singular values).
import { test } from "node:test";
import assert from "node:assert/strict";
import { lorc, quantizeMatrix, relativeError } from "../../src/compress";
import { Rng } from "../../src/core/random";
import { singularValues } from "../../src/linalg";

function randomMatrix(rows: number, cols: number, seedValue: number): number[][] {
  const rng = new Rng(seedValue);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
}
const frob = (A: number[][], B: number[][]) =>
  Math.sqrt(A.reduce((s, r, i) => s + r.reduce((t, v, j) => t + (v - B[i][j]) ** 2, 0), 0));

test("full rank recovers W exactly; rank 0 returns Wq; factor shapes and extra parameters", () => {
  for (const [m, n] of [
    [12, 7],
    [5, 9],
  ]) {
    const W = randomMatrix(m, n, m * n);
    const Wq = quantizeMatrix(W, { format: "e2m1", scale: "pow2" }).W;
    const full = lorc(W, Wq, { rank: Math.min(m, n) });
    assert.ok(frob(full.W, W) < 1e-10, `full rank error ${frob(full.W, W)}`);
    const none = lorc(W, Wq, { rank: 0 });
    assert.deepEqual(none.W, Wq);
    const r3 = lorc(W, Wq, { rank: 3 });
    assert.equal(r3.left.length, m);
    assert.equal(r3.left[0].length, 3);
    assert.equal(r3.right.length, 3);
    assert.equal(r3.right[0].length, n);
    assert.equal(r3.extraParams, 3 * (m + n));
  }
});

test("the rank-k residual is the tail of the error's spectrum (Eckart–Young)", () => {
  const W = randomMatrix(20, 10, 3);
  const Wq = quantizeMatrix(W, { format: "int4", scale: "real" }).W;
  const E = W.map((r, i) => r.map((v, j) => v - Wq[i][j]));
  const s = singularValues(E);
  for (const k of [1, 4, 8]) {
    const want = Math.sqrt(s.slice(k).reduce((a, v) => a + v * v, 0));
    const got = frob(lorc(W, Wq, { rank: k }).W, W);
    assert.ok(Math.abs(got - want) < 1e-9 * (1 + want), `k=${k}: ${got} vs ${want}`);
  }
});

test("INT8 factors stay close to the float factors and still reduce the error", () => {
  const W = randomMatrix(30, 12, 5);
  const Wq = quantizeMatrix(W, { format: "e2m1", scale: "real" }).W;
  const f = lorc(W, Wq, { rank: 4 });
  const q = lorc(W, Wq, { rank: 4, int8Factors: true });
  const base = relativeError(W, Wq);
  assert.ok(relativeError(W, f.W) < base);
  assert.ok(relativeError(W, q.W) < base);
  assert.ok(frob(q.W, f.W) < 0.02 * frob(f.W, Wq), "INT8 factors perturb the correction by < 2%");
});

test("lorc rejects bad input", () => {
  const W = randomMatrix(4, 3, 1);
  assert.throws(() => lorc(W, W.slice(1), { rank: 1 }), /Wq/);
  assert.throws(() => lorc(W, W, { rank: 4 }), /rank/);
  assert.throws(() => lorc(W, W, { rank: 1.5 }), /rank/);
  assert.throws(() => lorc(W, W, { rank: 1, bits: 8 } as never), /unknown option "bits"/);
});
