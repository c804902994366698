// The LAPACK addon path and the ml-matrix path of svd / eigh / svdTopK against numpy
// fixtures (test/fixtures/gen_linalg_native.py). Native cases are skipped, with the reason,
// when the addon is not built.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import { execFileSync } from "child_process";
import { lapack } from "../../src/linalg/lapack";
import { eigh, linalgPath, linalgPathReason, setLinalgPath, svd, svdTopK, LinalgPath } from "../../src/linalg";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/linalg-native.json", "utf8"));

setLinalgPath(null);
const nativeReason = linalgPathReason();
const paths: Array<[LinalgPath, string | false]> = [
  ["native", linalgPath() === "native" ? false : `native addon unavailable: ${nativeReason}`],
  ["js", false],
];

const T = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
}
function relClose(a: number[], b: number[], tol: number, msg: string): void {
  assert.equal(a.length, b.length, `${msg}: length ${a.length} vs ${b.length}`);
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${msg}[${i}]: ${v} vs ${b[i]}`),
  );
}
function assertOrthonormalColumns(q: number[][], tol: number, msg: string): void {
  const g = matmul(T(q), q);
  g.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? 1 : 0)) <= tol, `${msg} QᵀQ[${i}][${j}] = ${v}`)),
  );
}
/** Columns equal up to sign: |⟨a_j, b_j⟩| = 1 for unit columns. */
function sameColumnsUpToSign(a: number[][], b: number[][], k: number, tol: number, msg: string): void {
  for (let j = 0; j < k; j++) {
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i][j] * b[i][j];
    assert.ok(Math.abs(Math.abs(dot) - 1) <= tol, `${msg} column ${j}: |cos| = ${Math.abs(dot)}`);
  }
}
function withPath<R>(p: LinalgPath, fn: () => R): R {
  setLinalgPath(p);
  try {
    assert.equal(linalgPath(), p);
    return fn();
  } finally {
    setLinalgPath(null);
  }
}

for (const [p, skip] of paths) {
  for (const [i, c] of fx.svd.entries()) {
    const shape = `${c.a.length}×${c.a[0].length}`;
    test(`[${p}] svd ${shape} matches numpy: S, U and V up to sign, orthonormal, reconstructs`, { skip }, () => {
      withPath(p, () => {
        const { U, S, V } = svd(c.a);
        const k = Math.min(c.a.length, c.a[0].length);
        relClose(S, c.s, 1e-10, `case ${i} S`);
        assert.equal(U.length, c.a.length);
        assert.equal(U[0].length, k);
        assert.equal(V.length, c.a[0].length);
        assert.equal(V[0].length, k);
        assertOrthonormalColumns(U, 1e-12, "U");
        assertOrthonormalColumns(V, 1e-12, "V");
        sameColumnsUpToSign(U, c.u, k, 1e-10, "U vs numpy");
        sameColumnsUpToSign(V, c.v, k, 1e-10, "V vs numpy");
        const rec = matmul(
          U.map((r) => r.map((v, j) => v * S[j])),
          T(V),
        );
        relClose(rec.flat(), c.a.flat(), 1e-10, "U S Vᵀ");
        const sOnly = svd(c.a, { vectors: false });
        relClose(sOnly.S, c.s, 1e-10, "S without vectors");
        assert.deepEqual([sOnly.U, sOnly.V], [[], []]);
      });
    });
  }

  for (const c of fx.eigh) {
    test(
      `[${p}] eigh ${c.a.length}×${c.a.length} matches numpy: ascending values, vectors up to sign, A v = λ v`,
      { skip },
      () => {
        withPath(p, () => {
          const { values, vectors } = eigh(c.a);
          relClose(values, c.values, 1e-10, "values");
          for (let j = 1; j < values.length; j++) assert.ok(values[j - 1] <= values[j], "ascending");
          assertOrthonormalColumns(vectors, 1e-12, "vectors");
          sameColumnsUpToSign(vectors, c.vectors, values.length, 1e-10, "vectors vs numpy");
          const av = matmul(c.a, vectors);
          av.forEach((row, r) =>
            row.forEach((v, j) => assert.ok(Math.abs(v - values[j] * vectors[r][j]) < 1e-10, `Av-λv [${r}][${j}]`)),
          );
        });
      },
    );
  }

  for (const c of fx.topk) {
    test(
      `[${p}] svdTopK(k=${c.k}) of a ${c.a.length}×${c.a[0].length} rank-${c.rank} matrix matches numpy's top singular values`,
      { skip },
      () => {
        withPath(p, () => {
          const r = svdTopK(c.a, c.k, { seed: 3 });
          relClose(r.S, c.s, 1e-10, "top-k S");
          assert.equal(r.U.length, c.a.length);
          assert.equal(r.V.length, c.a[0].length);
          assertOrthonormalColumns(r.U, 1e-10, "U");
          assertOrthonormalColumns(r.V, 1e-10, "V");
          // Each triplet satisfies A v_j = s_j u_j.
          const av = matmul(c.a, r.V);
          av.forEach((row, i) =>
            row.forEach((v, j) => assert.ok(Math.abs(v - r.S[j] * r.U[i][j]) < 1e-9, `Av-su [${i}][${j}]`)),
          );
          // Same seed, same numbers; bit-identical on one path.
          assert.deepEqual(svdTopK(c.a, c.k, { seed: 3 }).S, r.S);
        });
      },
    );
  }
}

test("native and js paths agree on the 24×16 svd (when native is built)", { skip: paths[0][1] }, () => {
  const c = fx.svd[0];
  const n = withPath("native", () => svd(c.a));
  const j = withPath("js", () => svd(c.a));
  relClose(n.S, j.S, 1e-12, "S native vs js");
  sameColumnsUpToSign(n.U, j.U, n.S.length, 1e-10, "U native vs js");
});

test("svdTopK with powerIters 0 on a slowly decaying spectrum is an approximation from below", () => {
  // Rank-40 matrix with geometric decay: the sketch's values never exceed the true ones
  // (Qᵀ A is a compression of A), which holds for any seed.
  const c = fx.topk[1];
  const r = svdTopK(c.a, c.k, { oversample: 0, powerIters: 0, seed: 1 });
  r.S.forEach((s, i) => assert.ok(s <= c.s[i] * (1 + 1e-12), `S[${i}] = ${s} exceeds ${c.s[i]}`));
});

test(
  "addon gemm: op(a)·op(b) for every transpose combination matches a plain triple loop",
  { skip: paths[0][1] },
  () => {
    const lib = lapack();
    assert.ok(lib);
    const [m, k, n] = [3, 4, 5];
    const fill = (len: number, s: number) => Float64Array.from({ length: len }, (_, i) => Math.sin(i * 1.7 + s));
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const a = fill(m * k, 0.3);
      const b = fill(k * n, 1.1);
      const A = (i: number, p: number) => (ta ? a[p * m + i] : a[i * k + p]);
      const B = (p: number, j: number) => (tb ? b[j * k + p] : b[p * n + j]);
      const c = lib.gemm(a, b, m, k, n, ta, tb);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
          assert.ok(Math.abs(c[i * n + j] - s) < 1e-14, `ta=${ta} tb=${tb} [${i}][${j}]: ${c[i * n + j]} vs ${s}`);
        }
      }
    }
    assert.throws(() => lib.gemm(new Float64Array(3), new Float64Array(4), 2, 2, 2), /gemm: bad shape/);
  },
);

const bad: Array<[string, () => unknown, RegExp]> = [
  [
    "k = 0",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        0,
      ),
    /k: must be an integer ≥ 1/,
  ],
  [
    "k too large",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        3,
      ),
    /k: must be ≤ min\(rows, cols\) = 2/,
  ],
  [
    "fractional oversample",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        { oversample: 1.5 },
      ),
    /opts.oversample: must be an integer/,
  ],
  [
    "negative powerIters",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        { powerIters: -1 },
      ),
    /opts.powerIters: must be an integer ≥ 0/,
  ],
  [
    "NaN seed",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        { seed: NaN },
      ),
    /opts.seed: must be a finite number/,
  ],
  [
    "unknown option",
    () =>
      svdTopK(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        { power: 2 } as never,
      ),
    /opts: unknown option/,
  ],
  [
    "NaN entry",
    () =>
      svdTopK(
        [
          [1, NaN],
          [3, 4],
        ],
        1,
      ),
    /m: entry \[0\]\[1\] is NaN/,
  ],
  ["bad path", () => setLinalgPath("gpu" as never), /p: must be "native", "js" or null/],
];
for (const [name, fn, re] of bad) test(`rejects bad input: ${name}`, () => assert.throws(fn, re));

test("INITLAB_LINALG=js forces the ml-matrix path in a fresh process", () => {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      'const l = require("./src/linalg"); process.stdout.write(l.linalgPath() + "|" + l.linalgPathReason())',
    ],
    { cwd: __dirname + "/../..", env: { ...process.env, INITLAB_LINALG: "js" }, encoding: "utf8" },
  );
  assert.equal(out, "js|disabled by INITLAB_LINALG=js");
});
