// Magnitude masks on hand-made weights (global vs per-layer, ties, pruning among survivors),
// MaskSet bookkeeping, and ERK/ER/uniform allocation against the closed-form formula.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import {
  erkDensities,
  magnitudeMask,
  MaskSet,
  pruneByMagnitude,
  randomMask,
  rateForRounds,
  uniformDensities,
} from "../../src/prune";

const A = [
  [0.5, -0.1],
  [3, -2],
];
const B = [[0.05, 4, -0.3]];

const cases: Array<{ name: string; w: number[][][]; s: number; scope: "global" | "layer"; want: number[][][] }> = [
  {
    name: "layer: half of each layer (A loses 2 of 4, B loses 2 of 3 by rounding 1.5 → 2)",
    w: [A, B],
    s: 0.5,
    scope: "layer",
    want: [
      [
        [0, 0],
        [1, 1],
      ],
      [[0, 1, 0]],
    ],
  },
  {
    name: "global: the 3 smallest |w| of all 7 (0.05, 0.1, 0.3), wherever they are",
    w: [A, B],
    s: 3 / 7,
    scope: "global",
    want: [
      [
        [1, 0],
        [1, 1],
      ],
      [[0, 1, 0]],
    ],
  },
  { name: "sparsity 0 keeps everything", w: [B], s: 0, scope: "global", want: [[[1, 1, 1]]] },
  { name: "sparsity 1 prunes everything", w: [B], s: 1, scope: "layer", want: [[[0, 0, 0]]] },
  {
    name: "ties break by position (earlier index pruned first)",
    w: [[[1, -1, 1, 2]]],
    s: 0.5,
    scope: "layer",
    want: [[[0, 0, 1, 1]]],
  },
];

for (const c of cases)
  test(`magnitudeMask — ${c.name}`, () => {
    assert.deepEqual(magnitudeMask(c.w, c.s, { scope: c.scope }), c.want);
  });

test("magnitudeMask rejects bad input with the argument named", () => {
  assert.throws(() => magnitudeMask([A], 1.5, { scope: "layer" }), /sparsity: must lie in \[0, 1\]/);
  assert.throws(() => magnitudeMask([A], 0.5, { scope: "row" as "layer" }), /opts.scope/);
  assert.throws(() => magnitudeMask([[[1, NaN]]], 0.5, { scope: "layer" }), /weights\[0\]: entry \[0\]\[1\] is NaN/);
  assert.throws(() => magnitudeMask([], 0.5, { scope: "layer" }), /weights: must be a non-empty/);
  assert.throws(() => magnitudeMask([[[1, 2], [3]]], 0.5, { scope: "layer" }), /row 1 has 1 entries/);
  assert.throws(() => magnitudeMask([A], 0.5, { scope: "layer", foo: 1 } as never), /unknown option "foo"/);
});

test("pruneByMagnitude prunes a fraction of the survivors only, with per-layer rates", () => {
  const w = [Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), Float32Array.from([-1, 2, -3, 4, -5])];
  const m0 = MaskSet.ones([
    [2, 5],
    [1, 5],
  ]);
  const m1 = pruneByMagnitude(w, m0, [0.2, 0.4]);
  assert.deepEqual([...m1.layers[0].data], [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...m1.layers[1].data], [0, 0, 1, 1, 1]);
  // Second round: 20% of the 8 survivors = round(1.6) = 2 more; 40% of 3 = round(1.2) = 1 more.
  const m2 = pruneByMagnitude(w, m1, [0.2, 0.4]);
  assert.deepEqual([...m2.layers[0].data], [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...m2.layers[1].data], [0, 0, 0, 1, 1]);
  assert.deepEqual(m2.kept(), [6, 2]);
  assert.equal(m2.density(), 8 / 15);
  // Global rate over both layers: 4 of the 15 smallest |w| → 1, 1 (−1), 2, 2 (first by position).
  const g = pruneByMagnitude(w, m0, 4 / 15);
  assert.deepEqual([...g.layers[0].data], [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...g.layers[1].data], [0, 0, 1, 1, 1]);
});

test("MaskSet: arrays round trip, density, apply, and/or, hamming, and shape errors", () => {
  const m = MaskSet.fromArrays([
    [
      [1, 0],
      [0, 1],
    ],
    [[1, 1, 0]],
  ]);
  assert.deepEqual(m.toArrays(), [
    [
      [1, 0],
      [0, 1],
    ],
    [[1, 1, 0]],
  ]);
  assert.deepEqual(m.layerDensities(), [0.5, 2 / 3]);
  assert.equal(m.density(), 4 / 7);
  const w = [Float32Array.from([1, 2, 3, 4]), Float32Array.from([5, 6, 7])];
  m.applyTo(w);
  assert.deepEqual([...w[0]], [1, 0, 0, 4]);
  assert.deepEqual([...w[1]], [5, 6, 0]);
  const ones = MaskSet.ones(m.shapes);
  assert.equal(m.and(ones).hamming(m), 0);
  assert.equal(m.or(ones).density(), 1);
  assert.equal(m.hamming(ones), 3);
  assert.throws(() => MaskSet.fromArrays([[[2]]]), /masks\[0\]: entry \[0\]\[0\] is 2/);
  assert.throws(() => m.applyTo([new Float32Array(4)]), /weights: must hold 2 tensors/);
  assert.throws(
    () =>
      m.and(
        MaskSet.ones([
          [2, 2],
          [1, 4],
        ]),
      ),
    /other.layers\[1\]: has shape \[1,4\]/,
  );
});

test("rateForRounds reaches the final density after the given rounds", () => {
  const r = rateForRounds(0.05, 6);
  assert.ok(Math.abs(Math.pow(1 - r, 6) - 0.05) < 1e-12);
  assert.throws(() => rateForRounds(0, 3), /finalDensity/);
});

test("erkDensities: a hand-solved case where the small layer is capped at 1 and ε is re-solved", () => {
  // s = Σdims/Πdims: [10,10] → 0.2, [10,2] → 0.6; n = 100, 20; budget 0.5 · 120 = 60.
  // ε = 60 / (0.2·100 + 0.6·20) = 1.875 → layer 2 at 1.125 > 1 → dense; ε = (60 − 20)/(0.2·100) = 2 → 0.4.
  const d = erkDensities(
    [
      [10, 10],
      [10, 2],
    ],
    0.5,
  );
  assert.ok(Math.abs(d[0] - 0.4) < 1e-12 && d[1] === 1, `got ${d}`);
});

const shapeSets: Array<{ name: string; shapes: number[][] }> = [
  {
    name: "LeNet-300-100",
    shapes: [
      [784, 300],
      [300, 100],
      [100, 10],
    ],
  },
  {
    name: "MLP 784-256-256-10",
    shapes: [
      [784, 256],
      [256, 256],
      [256, 10],
    ],
  },
  {
    name: "conv + dense",
    shapes: [
      [3, 3, 1, 16],
      [3, 3, 16, 32],
      [512, 10],
    ],
  },
];
for (const { name, shapes } of shapeSets)
  for (const density of [0.02, 0.05, 0.2, 0.5, 0.9])
    for (const erk of [true, false])
      test(`erkDensities ${erk ? "ERK" : "ER"} — ${name} at density ${density}: the formula's invariants`, () => {
        const d = erkDensities(shapes, density, { erk });
        const n = shapes.map((s) => s.reduce((a, b) => a * b, 1));
        const s = shapes.map((sh) =>
          erk
            ? sh.reduce((a, b) => a + b, 0) / n[shapes.indexOf(sh)]
            : (sh.at(-2)! + sh.at(-1)!) / (sh.at(-2)! * sh.at(-1)!),
        );
        const N = n.reduce((a, b) => a + b, 0);
        // Overall density exactly the budget (by parameter count).
        assert.ok(Math.abs(d.reduce((a, x, l) => a + x * n[l], 0) / N - density) < 1e-12);
        // Sparse layers share one ε with d = ε·s; dense layers are at 1 and have the largest scores.
        const sparse = d.map((x, l) => l).filter((l) => d[l] < 1);
        const dense = d.map((x, l) => l).filter((l) => d[l] === 1);
        const eps = sparse.map((l) => d[l] / s[l]);
        for (const e of eps) assert.ok(Math.abs(e - eps[0]) < 1e-9 * eps[0]);
        for (const l of dense) for (const k of sparse) assert.ok(s[l] >= s[k]);
        // Dense only when needed: at the final ε a capped layer would still overflow.
        if (sparse.length) for (const l of dense) assert.ok(eps[0] * s[l] >= 1 - 1e-12);
        for (const x of d) assert.ok(x > 0 && x <= 1);
      });

test("erkDensities: ER and ERK differ on a conv kernel, uniform is flat, and errors name the argument", () => {
  const shapes = [
    [3, 3, 16, 32],
    [512, 10],
  ];
  assert.notDeepEqual(erkDensities(shapes, 0.3), erkDensities(shapes, 0.3, { erk: false }));
  assert.deepEqual(uniformDensities(shapes, 0.3), [0.3, 0.3]);
  assert.deepEqual(erkDensities(shapes, 1), [1, 1]);
  assert.throws(() => erkDensities(shapes, 0), /density: must lie in \(0, 1\]/);
  assert.throws(() => erkDensities([[3, 0]], 0.5), /shapes\[0\]: has dimension 0/);
  assert.throws(() => erkDensities(shapes, 0.5, { kernel: true } as never), /unknown option "kernel"/);
});

test("randomMask keeps exactly round(d·n) entries per layer, only where allowed, reproducibly", () => {
  const shapes = [
    [20, 10],
    [10, 5],
  ];
  const a = randomMask(shapes, [0.25, 0.5], new Rng(3));
  assert.deepEqual(a.kept(), [50, 25]);
  assert.equal(randomMask(shapes, [0.25, 0.5], new Rng(3)).hamming(a), 0);
  assert.ok(randomMask(shapes, [0.25, 0.5], new Rng(4)).hamming(a) > 0);
  const allowed = randomMask(shapes, [0.5, 1], new Rng(1));
  const b = randomMask(shapes, [0.25, 0.5], new Rng(2), allowed);
  assert.equal(b.and(allowed).hamming(b), 0);
});
