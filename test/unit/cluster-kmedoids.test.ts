// k-medoids: PAM and FastPAM1 agree exactly (same swaps), every method ends at a swap-local
// optimum checked by brute force over all single swaps, tiny cases reach the brute-force global
// optimum, the reported loss and labels match a direct assignment, CLARA and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import { assignToMedoids, clara, euclideanDistances, kMedoids, KMedoidsMethod } from "../../src/cluster";

const METHODS: KMedoidsMethod[] = ["pam", "fastpam1", "fasterpam"];

function points(n: number, p: number, seedValue: number, centers = 0): number[][] {
  const r = new Rng(seedValue);
  const c = Array.from({ length: centers }, () => Array.from({ length: p }, () => 8 * r.normal()));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: p }, (_, t) => (centers ? c[i % centers][t] : 0) + r.normal()),
  );
}

/** Total deviation of a medoid set, computed directly. */
function td(D: number[][], medoids: number[]): number {
  return D.reduce((s, row) => s + Math.min(...medoids.map((m) => row[m])), 0);
}

function combinations(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first <= n - k; first++)
    for (const rest of combinations(n - first - 1, k - 1)) out.push([first, ...rest.map((x) => x + first + 1)]);
  return out;
}

test("PAM and FastPAM1 give identical medoids, loss and swap counts on random data", () => {
  for (const [n, k, s] of [
    [60, 3, 1],
    [120, 7, 2],
    [200, 12, 3],
    [90, 1, 4],
  ]) {
    const D = euclideanDistances(points(n, 4, s));
    for (const init of ["build", "random"] as const) {
      const a = kMedoids(D, k, { method: "pam", init, seed: s });
      const b = kMedoids(D, k, { method: "fastpam1", init, seed: s });
      assert.deepEqual(b.medoids, a.medoids, `n=${n} k=${k} ${init}`);
      assert.equal(b.loss, a.loss);
      assert.equal(b.swaps, a.swaps);
      assert.ok(b.work < a.work || k === 1, `FastPAM1 reads fewer entries (${b.work} vs ${a.work})`);
    }
  }
});

test("every method ends where no single swap lowers the loss (brute force over all k(n−k) swaps)", () => {
  const D = euclideanDistances(points(50, 3, 7));
  for (const method of METHODS)
    for (const k of [2, 4]) {
      const r = kMedoids(D, k, { method, init: "random", seed: 11 });
      const base = td(D, r.medoids);
      for (let m = 0; m < k; m++)
        for (let j = 0; j < D.length; j++) {
          if (r.medoids.includes(j)) continue;
          const swapped = r.medoids.map((x, i) => (i === m ? j : x));
          assert.ok(td(D, swapped) >= base - 1e-9, `${method} k=${k}: swap ${m}→${j} would improve`);
        }
    }
});

test("tiny cases reach the brute-force global optimum", () => {
  for (const [n, k, s] of [
    [9, 3, 21],
    [12, 2, 22],
    [10, 4, 23],
  ]) {
    const D = euclideanDistances(points(n, 2, s, k));
    const optimum = Math.min(...combinations(n, k).map((c) => td(D, c)));
    for (const method of METHODS) {
      const r = kMedoids(D, k, { method });
      assert.ok(Math.abs(r.loss - optimum) < 1e-9, `${method} n=${n} k=${k}: ${r.loss} vs ${optimum}`);
    }
  }
});

test("loss and labels agree with a direct assignment; k = n puts every point on its own medoid", () => {
  const D = euclideanDistances(points(40, 3, 5));
  for (const method of METHODS) {
    const r = kMedoids(D, 5, { method, init: [0, 1, 2, 3, 4] });
    const direct = assignToMedoids(D, r.medoids);
    assert.deepEqual(r.labels, direct.labels);
    assert.ok(Math.abs(r.loss - td(D, r.medoids)) < 1e-9);
    r.medoids.forEach((m, c) => assert.equal(r.labels[m], c, "a medoid belongs to its own cluster"));
  }
  const all = kMedoids(
    D.slice(0, 6).map((row) => row.slice(0, 6)),
    6,
    { method: "fasterpam" },
  );
  assert.equal(all.loss, 0);
  assert.equal(all.swaps, 0);
});

test("hand-made case: two tight pairs and a far point", () => {
  // Points on a line at 0, 1, 10, 11, 30; with k = 3 the optimum pairs {0,1} and {10,11}, costs 2.
  const x = [0, 1, 10, 11, 30];
  const D = x.map((a) => x.map((b) => Math.abs(a - b)));
  for (const method of METHODS) {
    const r = kMedoids(D, 3, { method });
    assert.equal(r.loss, 2);
    assert.ok(r.medoids.includes(4));
  }
});

test("CLARA returns a valid clustering no worse than its first sample, and samples the whole set when small", () => {
  const D = euclideanDistances(points(300, 2, 9, 4));
  const one = clara(D, 4, { samples: 1, seed: 1 });
  const five = clara(D, 4, { samples: 5, seed: 1 });
  assert.ok(five.loss <= one.loss + 1e-9);
  assert.ok(Math.abs(five.loss - td(D, five.medoids)) < 1e-9);
  const full = clara(
    D.slice(0, 30).map((r) => r.slice(0, 30)),
    3,
    { sampleSize: 30, method: "pam" },
  );
  const pam = kMedoids(
    D.slice(0, 30).map((r) => r.slice(0, 30)),
    3,
    { method: "pam" },
  );
  assert.ok(Math.abs(full.loss - pam.loss) < 1e-9);
});

test("bad input is named", () => {
  const D = euclideanDistances(points(6, 2, 1));
  const cases: Array<[() => unknown, RegExp]> = [
    [() => kMedoids(D, 0, { method: "pam" }), /Error: k: /],
    [() => kMedoids(D, 7, { method: "pam" }), /Error: k: /],
    [() => kMedoids(D, 2, { method: "kmeans" as KMedoidsMethod }), /Error: opts.method: /],
    [() => kMedoids(D, 2, { method: "pam", init: [0, 0] }), /Error: opts.init\[1\]: /],
    [() => kMedoids(D, 2, { method: "pam", init: [0, 1, 2] }), /Error: opts.init: /],
    [() => kMedoids(D, 2, { method: "pam", maxIter: -1 }), /Error: opts.maxIter: /],
    [() => kMedoids(D, 2, { method: "pam", tol: 1 } as never), /Error: opts: unknown option "tol"/],
    [() => kMedoids([[0, 1], [1]], 1, { method: "pam" }), /Error: dissimilarity\[1\]: /],
    [
      () =>
        kMedoids(
          [
            [0, NaN],
            [1, 0],
          ],
          1,
          { method: "pam" },
        ),
      /Error: dissimilarity\[0\]\[1\]: /,
    ],
    [
      () =>
        kMedoids(
          [
            [0, -1],
            [1, 0],
          ],
          1,
          { method: "pam" },
        ),
      /Error: dissimilarity\[0\]\[1\]: /,
    ],
    [() => kMedoids([], 1, { method: "pam" }), /Error: dissimilarity: is empty/],
    [() => clara(D, 2, { samples: 0 }), /Error: opts.samples: /],
  ];
  for (const [f, re] of cases) assert.throws(f, re);
});
