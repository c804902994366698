// HiPPO-LegS identities, complex float64 helpers, transfer functions and PTD against
// independent answers (hand-computed entries, closed forms, reconstructions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import {
  complexConditionNumber,
  complexMatVec,
  complexSolve,
  eigReal,
  hippoLegS,
  hippoLegSB,
  hippoLegSNormal,
  hippoLegSNormalEig,
  perturbThenDiagonalize,
  relativeSupError,
  transferDense,
  transferDiag,
} from "../../src/linalg";
import { Rng } from "../../src/core/random";

const near = (a: number, b: number, tol: number, msg: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg}: ${a} vs ${b}`);

test("hippoLegS: hand-computed 3×3 and the contract's formula", () => {
  const s3 = Math.sqrt(3);
  const want = [
    [-1, 0, 0],
    [-s3, -2, 0],
    [-Math.sqrt(5), -Math.sqrt(15), -3],
  ];
  hippoLegS(3).forEach((row, n) => row.forEach((v, k) => near(v, want[n][k], 1e-15, `A[${n}][${k}]`)));
  assert.throws(() => hippoLegS(0), /N: must be a positive integer/);
  assert.throws(() => hippoLegS(2.5), /N: must be a positive integer/);
});

test("HiPPO-LegS identities: A·e₀ = −B (a constant input is a fixed point), eigenvalues −(n+1)", () => {
  const N = 12;
  const A = hippoLegS(N);
  const B = hippoLegSB(N);
  A.forEach((row, n) => near(row[0], -B[n], 1e-14, `A[${n}][0]`));
  // Lower triangular: the diagonal is the spectrum; ml-matrix's general eig must agree, to a
  // loose tolerance, because HiPPO's eigenvalues are ill-conditioned (PTD's starting point).
  const e = new EigenvalueDecomposition(new MlMatrix(hippoLegS(8)));
  const got = [...e.realEigenvalues].sort((a, b) => b - a);
  got.forEach((v, n) => near(v, -(n + 1), 1e-6, `λ_${n}`));
});

test("the normal part A + PPᵀ is −½I plus a skew-symmetric matrix, and commutes with its transpose", () => {
  const N = 10;
  const An = hippoLegSNormal(N);
  for (let i = 0; i < N; i++) {
    near(An[i][i], -0.5, 1e-14, `diag ${i}`);
    for (let j = 0; j < N; j++) if (i !== j) near(An[i][j], -An[j][i], 1e-13, `skew ${i},${j}`);
  }
  const mm = (a: number[][], b: number[][]) =>
    a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
  const T = An[0].map((_, j) => An.map((r) => r[j]));
  const x = mm(An, T);
  const y = mm(T, An);
  x.forEach((r, i) => r.forEach((v, j) => near(v, y[i][j], 1e-11, `AAᵀ = AᵀA at ${i},${j}`)));
});

test("hippoLegSNormalEig: unitary V with A_N V = V Λ, Λ = −½ + iω matching ml-matrix's eigenvalues", () => {
  const N = 16;
  const An = hippoLegSNormal(N);
  const { values, vectors } = hippoLegSNormalEig(N);
  for (let j = 0; j < N; j++) {
    const col = { re: vectors.re.map((r) => r[j]), im: vectors.im.map((r) => r[j]) };
    const Av = complexMatVec({ re: An, im: An.map((r) => r.map(() => 0)) }, col);
    for (let i = 0; i < N; i++) {
      near(Av.re[i], values.re[j] * col.re[i] - values.im[j] * col.im[i], 1e-10, `re (A v)_${i}, col ${j}`);
      near(Av.im[i], values.re[j] * col.im[i] + values.im[j] * col.re[i], 1e-10, `im (A v)_${i}, col ${j}`);
    }
  }
  near(complexConditionNumber(vectors), 1, 1e-9, "κ of a unitary matrix");
  const e = new EigenvalueDecomposition(new MlMatrix(An));
  const ref = [...e.imaginaryEigenvalues].sort((a, b) => a - b);
  values.im.forEach((w, j) => near(w, ref[j], 1e-8, `ω_${j}`));
  values.re.forEach((r) => near(r, -0.5, 1e-14, "Re λ"));
});

test("complexSolve against a hand-computed 2×2 system and a random reconstruction", () => {
  // (1 + i) x = 2 → x = 1 − i; with a coupling row
  const x = complexSolve(
    {
      re: [
        [1, 0],
        [0, 2],
      ],
      im: [
        [1, 0],
        [0, 0],
      ],
    },
    { re: [2, 4], im: [0, 2] },
  );
  near(x.re[0], 1, 1e-15, "x0 re");
  near(x.im[0], -1, 1e-15, "x0 im");
  near(x.re[1], 2, 1e-15, "x1 re");
  near(x.im[1], 1, 1e-15, "x1 im");
  const rng = new Rng(3);
  const n = 7;
  const M = {
    re: Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())),
    im: Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())),
  };
  const b = { re: Array.from({ length: n }, () => rng.normal()), im: Array.from({ length: n }, () => rng.normal()) };
  const y = complexMatVec(M, complexSolve(M, b));
  y.re.forEach((v, i) => near(v, b.re[i], 1e-11, `re ${i}`));
  y.im.forEach((v, i) => near(v, b.im[i], 1e-11, `im ${i}`));
  assert.throws(() => complexSolve({ re: [[0]], im: [[0]] }, { re: [1], im: [0] }), /m: is singular/);
});

test("eigReal: complex pairs reconstruct A V = V Λ for a random real matrix", () => {
  const rng = new Rng(11);
  const n = 6;
  const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  const { values, vectors } = eigReal(A);
  assert.ok(
    values.im.some((w) => Math.abs(w) > 1e-6),
    "this matrix has a complex pair",
  );
  const zero = A.map((r) => r.map(() => 0));
  for (let j = 0; j < n; j++) {
    const col = { re: vectors.re.map((r) => r[j]), im: vectors.im.map((r) => r[j]) };
    const Av = complexMatVec({ re: A, im: zero }, col);
    for (let i = 0; i < n; i++) {
      near(Av.re[i], values.re[j] * col.re[i] - values.im[j] * col.im[i], 1e-10, `re, col ${j}`);
      near(Av.im[i], values.re[j] * col.im[i] + values.im[j] * col.re[i], 1e-10, `im, col ${j}`);
    }
  }
});

test("complexConditionNumber: diag(1, 2i) has κ = 2; [[1, 1], [0, ε]] has κ ≈ 2/ε", () => {
  near(
    complexConditionNumber({
      re: [
        [1, 0],
        [0, 0],
      ],
      im: [
        [0, 0],
        [0, 2],
      ],
    }),
    2,
    1e-12,
    "diag",
  );
  const eps = 1e-6;
  near(
    complexConditionNumber({
      re: [
        [1, 1],
        [0, eps],
      ],
      im: [
        [0, 0],
        [0, 0],
      ],
    }),
    2 / eps,
    1e-5,
    "near-singular",
  );
});

test("transfer functions: 1×1 closed form, triangular fast path = general path, diagonal form = dense", () => {
  const w = [-3, 0, 0.5, 10];
  const g = transferDense([[-2]], [3], [0.5], w);
  w.forEach((om, i) => {
    // 1.5 / (2 + iω)
    near(g.re[i], (1.5 * 2) / (4 + om * om), 1e-15, `re G(${om})`);
    near(g.im[i], (-1.5 * om) / (4 + om * om), 1e-15, `im G(${om})`);
  });
  const N = 8;
  const A = hippoLegS(N);
  const B = hippoLegSB(N);
  const C = B.map((_, i) => Math.cos(i));
  const omegas = Array.from({ length: 41 }, (_, i) => -40 + 2 * i);
  const lower = transferDense(A, B, C, omegas);
  // Reversing the state order makes A upper triangular (the general pivoted path); G is unchanged.
  const rev = <T>(v: T[]) => [...v].reverse();
  const upper = transferDense(rev(A.map(rev)), rev(B), rev(C), omegas);
  assert.ok(relativeSupError(upper, lower) < 1e-13, "triangular vs general");
  const An = hippoLegSNormal(N);
  const d = perturbThenDiagonalize(An, null, B, C);
  assert.ok(relativeSupError(transferDiag(d.lambda, d.B, d.C, omegas), transferDense(An, B, C, omegas)) < 1e-11);
  assert.ok(d.kappa < 1 + 1e-6, `normal matrix: κ ≈ 1, got ${d.kappa}`);
});

test("perturb-then-diagonalize: κ of HiPPO's eigenvectors is huge and a perturbation shrinks it", () => {
  const N = 24;
  const A = hippoLegS(N);
  const B = hippoLegSB(N);
  const C = B.map(() => 1);
  const plain = perturbThenDiagonalize(A, null, B, C);
  const rng = new Rng(5);
  const E = A.map((r) => r.map(() => 1e-3 * rng.normal()));
  const ptd = perturbThenDiagonalize(A, E, B, C);
  assert.ok(plain.kappa > 1e8, `unperturbed κ ${plain.kappa}`);
  assert.ok(ptd.kappa < plain.kappa / 100, `perturbed κ ${ptd.kappa}`);
  assert.throws(() => perturbThenDiagonalize(A, [[1]], B, C), /E: must be 24×24/);
});
