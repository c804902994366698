// svdFactors: full rank reproduces W; rank r equals the truncated SVD; balanced factor norms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pelaRank, svdFactors, truncateRank } from "../../src/compress";
import { Rng } from "../../src/core/random";

const mul = (A: number[][], B: number[][]) =>
  A.map((r) => B[0].map((_, j) => r.reduce((s, v, c) => s + v * B[c][j], 0)));

test("full-rank factors reproduce W; rank-r factors equal the truncated SVD; AᵀA = BBᵀ = Σ_r", () => {
  const rng = new Rng(4);
  const W = Array.from({ length: 9 }, () => Array.from({ length: 6 }, () => rng.normal()));
  const full = mul(svdFactors(W, 6).A, svdFactors(W, 6).B);
  W.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - full[i][j]) < 1e-10)));
  const { A, B } = svdFactors(W, 3);
  const P = mul(A, B);
  const T = truncateRank(W, 3);
  P.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - T[i][j]) < 1e-10)));
  for (let c = 0; c < 3; c++) {
    const a = A.reduce((s, r) => s + r[c] ** 2, 0);
    const b = B[c].reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(a - b) < 1e-10, "the √Σ split balances the two factors");
  }
  assert.throws(() => svdFactors(W, 7), /r/);
  assert.throws(() => svdFactors([], 1), /W/);
});

test("pelaRank by hand: ⌊mn / (c(m+n))⌋", () => {
  assert.equal(pelaRank(784, 256, 2), 96); // 200704 / 2080 = 96.49
  assert.equal(pelaRank(256, 256, 2), 64);
  assert.equal(pelaRank(256, 10, 2), 4); // 2560 / 532 = 4.81
  assert.equal(pelaRank(3, 3, 100), 1);
  assert.throws(() => pelaRank(4, 4, 0), /c/);
});
