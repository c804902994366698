// Intervals over seeds: Student-t quantiles against published table values, intervals
// against the closed form, paired differences and the seeded bootstrap; bad input named.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  pairedBootstrap,
  pairedDifference,
  studentTCdf,
  studentTQuantile,
  tInterval,
} from "../../src/metrics/intervals";

test("t quantiles match the standard table (two-sided 95%: t_{0.975, df})", () => {
  const table: Array<[number, number]> = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [9, 2.262],
    [10, 2.228],
    [29, 2.045],
    [1000, 1.962],
  ];
  for (const [df, t] of table)
    assert.ok(Math.abs(studentTQuantile(0.975, df) - t) < 1e-3, `df ${df}: ${studentTQuantile(0.975, df)}`);
  assert.ok(Math.abs(studentTQuantile(0.995, 5) - 4.032) < 1e-3);
  assert.ok(Math.abs(studentTCdf(0, 7) - 0.5) < 1e-12);
  assert.ok(Math.abs(studentTCdf(1, 1) - 0.75) < 1e-9, "Cauchy: P(T ≤ 1) = 3/4");
});

test("tInterval is mean ± t·s/√n; one value gives method single with NaN ends", () => {
  const xs = [0.7, 0.72, 0.68, 0.71];
  const m = 0.7025;
  const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / 3);
  const half = (3.182446305284263 * s) / 2;
  const iv = tInterval(xs);
  assert.ok(Math.abs(iv.mean - m) < 1e-12);
  assert.ok(Math.abs(iv.lo - (m - half)) < 1e-9 && Math.abs(iv.hi - (m + half)) < 1e-9);
  assert.equal(iv.method, "t");
  const one = tInterval([3]);
  assert.equal(one.method, "single");
  assert.ok(Number.isNaN(one.lo) && Number.isNaN(one.hi));
});

test("pairedDifference uses the per-seed differences, not the two means", () => {
  const a = [0.8, 0.7, 0.9];
  const b = [0.78, 0.68, 0.88]; // a − b = 0.02 exactly on every seed: zero spread
  const iv = pairedDifference(a, b);
  assert.ok(Math.abs(iv.mean - 0.02) < 1e-12 && Math.abs(iv.lo - 0.02) < 1e-12 && Math.abs(iv.hi - 0.02) < 1e-12);
  assert.equal(iv.method, "paired-t");
  // The unpaired means overlap heavily; the paired interval still excludes 0.
  const un = tInterval(a);
  assert.ok(un.lo < 0.78 && un.hi > 0.8);
});

test("pairedBootstrap is seeded, brackets the mean, and narrows with more agreement", () => {
  const a = [1, 2, 3, 4, 5, 6];
  const b = [0.5, 1.7, 2.9, 3.2, 4.8, 5.1];
  const x = pairedBootstrap(a, b, { seed: 1 });
  assert.deepEqual(x, pairedBootstrap(a, b, { seed: 1 }));
  assert.ok(x.lo <= x.mean && x.mean <= x.hi);
  assert.equal(x.method, "bootstrap");
});

test("bad input is named", () => {
  assert.throws(() => tInterval([]), /xs/);
  assert.throws(() => tInterval([1, NaN]), /xs/);
  assert.throws(() => tInterval([1, 2], 1.5), /level/);
  assert.throws(() => pairedDifference([1, 2], [1]), /b: has 1 entries; a has 2/);
  assert.throws(() => pairedBootstrap([1, 2], [1, 2], { resamples: 5 }), /opts\.resamples/);
  assert.throws(() => studentTQuantile(1, 3), /p: must lie in/);
});
