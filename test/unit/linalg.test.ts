import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { eigh, svd, toArray2D, toTensor2D } from "../../src/linalg";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/linalg.json", "utf8"));

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const T = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
function close(a: number[], b: number[], tol: number, msg: string) {
  assert.equal(a.length, b.length, msg + " length");
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${msg}[${i}]: ${v} vs ${b[i]}`),
  );
}

for (const [i, c] of fx.svd.entries()) {
  test(`svd matches numpy singular values and reconstructs (case ${i}, ${c.a.length}×${c.a[0].length})`, () => {
    const { U, S, V } = svd(c.a);
    close(S, c.s, 1e-10, "S");
    for (let k = 1; k < S.length; k++) assert.ok(S[k - 1] >= S[k], "descending");
    const rec = matmul(
      matmul(
        U,
        S.map((s, r) => S.map((_, q) => (r === q ? s : 0))),
      ),
      T(V),
    );
    close(rec.flat(), c.a.flat(), 1e-10, "U S Vt");
    const k = S.length;
    close(
      matmul(T(U), U).flat(),
      Array.from({ length: k * k }, (_, q) => (Math.floor(q / k) === q % k ? 1 : 0)),
      1e-10,
      "UtU",
    );
    close(
      matmul(T(V), V).flat(),
      Array.from({ length: k * k }, (_, q) => (Math.floor(q / k) === q % k ? 1 : 0)),
      1e-10,
      "VtV",
    );
  });
}

for (const [i, c] of fx.eigh.entries()) {
  test(`eigh matches numpy (ascending) and A v = λ v (case ${i})`, () => {
    const { values, vectors } = eigh(c.a);
    close(values, c.values, 1e-10, "values");
    const av = matmul(c.a, vectors);
    av.forEach((row, r) => row.forEach((v, j) => assert.ok(Math.abs(v - values[j] * vectors[r][j]) < 1e-10)));
  });
}

const bad: Array<[string, () => unknown, RegExp]> = [
  [
    "NaN entry",
    () =>
      svd([
        [1, NaN],
        [0, 1],
      ]),
    /m: entry \[0\]\[1\] is NaN/,
  ],
  ["empty", () => svd([]), /m: is empty/],
  ["1-D array", () => svd([1, 2, 3] as unknown as number[][]), /m: must be 2-D/],
  ["ragged", () => svd([[1, 2], [3]]), /m: is ragged/],
  ["unknown option", () => svd([[1]], { vector: true } as never), /opts: unknown option "vector"/],
  [
    "non-square eigh",
    () =>
      eigh([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    /m: must be square/,
  ],
  [
    "asymmetric eigh",
    () =>
      eigh([
        [1, 2],
        [3, 4],
      ]),
    /m: must be symmetric/,
  ],
  ["rank-3 tensor", () => toArray2D(tf.zeros([2, 2, 2]) as never), /must be a 2-D tensor/],
];
for (const [name, fn, re] of bad) test(`rejects bad input: ${name}`, () => assert.throws(fn, re));

test("tensor round trip keeps values", () => {
  const a = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const t = toTensor2D(a);
  assert.deepEqual(toArray2D(t), a);
  t.dispose();
});
