// Sub-gradient method for matrix sensing: losses against hand-computed small cases, the
// (sub)gradient against central finite differences (ℓ2 everywhere, ℓ1 where no residual is
// zero), the update rule against one hand step, exact recovery on a noiseless problem, and
// bad input named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import {
  sensingLoss,
  sensingResiduals,
  sensingSubgradient,
  subgradientMethod,
  SensingLoss,
} from "../../src/optim/subgradient";

const randMat = (rng: Rng, r: number, c: number, s = 1) =>
  Array.from({ length: r }, () => Array.from({ length: c }, () => rng.normal() * s));

test("residuals and losses match a hand-computed 2×2 case", () => {
  // U = [1, 2]ᵀ → UUᵀ = [[1, 2], [2, 4]]; A₁ = I: ⟨A₁, X⟩ = 5; A₂ = e₁e₂ᵀ (not symmetric): ⟨A₂, X⟩ = 2.
  const U = [[1], [2]];
  const A = [
    [
      [1, 0],
      [0, 1],
    ],
    [
      [0, 1],
      [0, 0],
    ],
  ];
  const y = [4, 5];
  assert.deepEqual(sensingResiduals(U, A, y), [1, -3]);
  assert.equal(sensingLoss(U, A, y, "l1"), 2); // (1 + 3) / 2
  assert.equal(sensingLoss(U, A, y, "l2"), 2.5); // (1 + 9) / 4
  // ℓ1 subgradient: (1/2)[sign(1)(2I)U + sign(−3)(A₂ + A₂ᵀ)U] = (1/2)([2, 4] − [2, 1]) = [0, 1.5].
  const g = sensingSubgradient(U, A, y, "l1");
  assert.deepEqual(
    g.map((r) => r[0]),
    [0, 1.5],
  );
});

function finiteDiff(U: number[][], A: number[][][], y: number[], loss: SensingLoss, h = 1e-6): number[][] {
  return U.map((row, i) =>
    row.map((_, k) => {
      const plus = U.map((r) => r.slice());
      const minus = U.map((r) => r.slice());
      plus[i][k] += h;
      minus[i][k] -= h;
      return (sensingLoss(plus, A, y, loss) - sensingLoss(minus, A, y, loss)) / (2 * h);
    }),
  );
}

for (const loss of ["l1", "l2"] as const)
  test(`the ${loss} (sub)gradient matches central finite differences (non-symmetric A, d = 5, r′ = 3)`, () => {
    const rng = new Rng(7);
    const d = 5;
    const A = Array.from({ length: 12 }, () => randMat(rng, d, d));
    const U = randMat(rng, d, 3, 0.7);
    const y = Array.from({ length: 12 }, () => rng.normal() * 2);
    // ℓ1 is differentiable here only if no residual is within the step of 0.
    if (loss === "l1") assert.ok(sensingResiduals(U, A, y).every((r) => Math.abs(r) > 1e-3));
    const g = sensingSubgradient(U, A, y, loss);
    const fd = finiteDiff(U, A, y, loss);
    for (let i = 0; i < d; i++)
      for (let k = 0; k < 3; k++)
        assert.ok(Math.abs(g[i][k] - fd[i][k]) < 1e-6, `[${i}][${k}] ${g[i][k]} vs ${fd[i][k]}`);
  });

test("one step of subgradientMethod is U − η₀ g, and step t uses η₀ρᵗ", () => {
  const rng = new Rng(3);
  const A = Array.from({ length: 6 }, () => randMat(rng, 4, 4));
  const U0 = randMat(rng, 4, 2, 0.5);
  const y = Array.from({ length: 6 }, () => rng.normal());
  const g0 = sensingSubgradient(U0, A, y, "l1");
  const U1 = U0.map((row, i) => row.map((v, k) => v - 0.1 * g0[i][k]));
  const one = subgradientMethod(U0, A, y, { loss: "l1", eta0: 0.1, rho: 0.5, steps: 1 });
  one.U.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(v - U1[i][k]) < 1e-12)));
  const g1 = sensingSubgradient(U1, A, y, "l1");
  const U2 = U1.map((row, i) => row.map((v, k) => v - 0.05 * g1[i][k]));
  const two = subgradientMethod(U0, A, y, { loss: "l1", eta0: 0.1, rho: 0.5, steps: 2 });
  two.U.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(v - U2[i][k]) < 1e-12)));
  assert.equal(two.losses.length, 3);
  assert.ok(Math.abs(two.losses[0] - sensingLoss(U0, A, y, "l1")) < 1e-12);
});

test("noiseless rank-1 sensing: small-init ℓ1 sub-gradient recovers X* to 5e-3 relative error (from error 1)", () => {
  const rng = new Rng(11);
  const d = 6;
  const v = Array.from({ length: d }, () => rng.normal());
  const nv = Math.hypot(...v);
  const X = v.map((a) => v.map((b) => (a * b) / (nv * nv)));
  const A = Array.from({ length: 120 }, () => {
    const G = randMat(rng, d, d);
    return G.map((row, i) => row.map((g, j) => (g + G[j][i]) / 2));
  });
  const y = A.map((Ai) => Ai.reduce((s, row, i) => s + row.reduce((t, a, j) => t + a * X[i][j], 0), 0));
  const U0 = randMat(rng, d, d, 1e-3 / Math.sqrt(d));
  const { U } = subgradientMethod(U0, A, y, { loss: "l1", eta0: 0.05, rho: 0.997, steps: 1500 });
  let num = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) num += (U[i].reduce((s, a, k) => s + a * U[j][k], 0) - X[i][j]) ** 2;
  assert.ok(Math.sqrt(num) < 5e-3, `relative error ${Math.sqrt(num)}`);
});

test("bad input is named", () => {
  const A = [
    [
      [1, 0],
      [0, 1],
    ],
  ];
  const U = [[1], [0]];
  assert.throws(() => sensingLoss(U, A, [1, 2], "l1"), /y: has 2 entries/);
  assert.throws(() => sensingLoss([[1]], A, [1], "l1"), /U: must have 2 rows/);
  assert.throws(() => sensingLoss(U, A, [1], "l3" as SensingLoss), /loss: must be "l1" or "l2"/);
  assert.throws(() => sensingLoss(U, [[[1, 0], [0]]], [1], "l1"), /A\[0\]\[1\]: must have 2 entries/);
  assert.throws(() => sensingLoss([[NaN], [0]], A, [1], "l1"), /U\[0\]: entry 0 is NaN/);
  assert.throws(() => subgradientMethod(U, A, [1], { loss: "l1", eta0: -1, rho: 0.9, steps: 3 }), /opts.eta0/);
  assert.throws(() => subgradientMethod(U, A, [1], { loss: "l1", eta0: 1, rho: 1.5, steps: 3 }), /opts.rho/);
  assert.throws(
    () => subgradientMethod(U, A, [1], { loss: "l1", eta0: 1, rho: 0.9, steps: 3, lr: 1 } as never),
    /unknown option "lr"/,
  );
});
