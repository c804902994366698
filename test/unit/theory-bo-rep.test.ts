// Hyper-cleaning closed forms against finite differences: the inner gradient, the
// Hessian-vector product, the cross term ∂/∂λ ⟨∇_W G, V⟩, and the full hypergradient
// −cross(H⁻¹∇F) against a finite difference of Φ(λ) = F(W*(λ)) with W*(λ) solved to
// precision; then the BO-REP loop's exact invariance to the upper loss scale, and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import {
  boRepHyperClean,
  hyperCleanInner,
  hyperCleanSecondOrder,
  softmaxAccuracy,
  softmaxCE,
  SoftmaxData,
} from "../../src/optim/bo-rep";

function randomData(rng: Rng, n: number, p: number, k: number): SoftmaxData {
  const x = Float64Array.from({ length: n * p }, () => rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(k));
  return { x, y, n, p, k };
}
const randVec = (rng: Rng, len: number, s = 1) => Float64Array.from({ length: len }, () => rng.normal() * s);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

test("softmaxCE matches a hand-computed 1-example case and its gradient a(p − e_y)ᵀ", () => {
  // a = [1, 2], W = 0 → logits 0, p = [½, ½], CE = ln 2; grad = a (p − e_0)ᵀ = [[−½, ½], [−1, 1]].
  const d: SoftmaxData = { x: Float64Array.from([1, 2]), y: Int32Array.from([0]), n: 1, p: 2, k: 2 };
  const { loss, grad } = softmaxCE(d, new Float64Array(4));
  assert.ok(Math.abs(loss - Math.LN2) < 1e-15);
  assert.deepEqual(Array.from(grad), [-0.5, 0.5, -1, 1]);
  assert.equal(softmaxAccuracy(d, Float64Array.from([1, 0, 0, 0])), 1);
});

test("inner gradient, HVP and cross term match central finite differences (rows subset too)", () => {
  const rng = new Rng(5);
  const d = randomData(rng, 9, 4, 3);
  const W = randVec(rng, 12, 0.5);
  const V = randVec(rng, 12);
  const lambda = randVec(rng, 9);
  const mu = 0.07;
  for (const rows of [undefined, [1, 4, 4, 7]]) {
    const h = 1e-5;
    const { grad } = hyperCleanInner(d, W, lambda, mu, rows);
    for (let q = 0; q < 12; q++) {
      const wp = W.slice();
      const wm = W.slice();
      wp[q] += h;
      wm[q] -= h;
      const fd =
        (hyperCleanInner(d, wp, lambda, mu, rows).loss - hyperCleanInner(d, wm, lambda, mu, rows).loss) / (2 * h);
      assert.ok(Math.abs(grad[q] - fd) < 1e-8, `grad[${q}] ${grad[q]} vs ${fd}`);
    }
    const { hvp, cross } = hyperCleanSecondOrder(d, W, lambda, mu, V, rows);
    const wp = W.map((w, q) => w + h * V[q]);
    const wm = W.map((w, q) => w - h * V[q]);
    const gp = hyperCleanInner(d, wp, lambda, mu, rows).grad;
    const gm = hyperCleanInner(d, wm, lambda, mu, rows).grad;
    for (let q = 0; q < 12; q++) {
      const fd = (gp[q] - gm[q]) / (2 * h);
      assert.ok(Math.abs(hvp[q] - fd) < 1e-7, `hvp[${q}] ${hvp[q]} vs ${fd}`);
    }
    for (let i = 0; i < 9; i++) {
      const lp = lambda.slice();
      const lm = lambda.slice();
      lp[i] += h;
      lm[i] -= h;
      const fd =
        (dot(hyperCleanInner(d, W, lp, mu, rows).grad, V) - dot(hyperCleanInner(d, W, lm, mu, rows).grad, V)) / (2 * h);
      assert.ok(Math.abs(cross[i] - fd) < 1e-8, `cross[${i}] ${cross[i]} vs ${fd}`);
    }
  }
});

/** W*(λ) by Newton-free gradient descent to a tiny gradient (small, well-conditioned problem). */
function solveInner(d: SoftmaxData, lambda: Float64Array, mu: number): Float64Array {
  const W = new Float64Array(d.p * d.k);
  for (let it = 0; it < 20000; it++) {
    const { grad } = hyperCleanInner(d, W, lambda, mu);
    let g2 = 0;
    for (let q = 0; q < W.length; q++) {
      W[q] -= 0.3 * grad[q];
      g2 += grad[q] * grad[q];
    }
    if (g2 < 1e-26) break;
  }
  return W;
}

/** z = H⁻¹ b by conjugate gradients with the closed-form HVP. */
function solveLinear(d: SoftmaxData, W: Float64Array, lambda: Float64Array, mu: number, b: Float64Array): Float64Array {
  const z = new Float64Array(b.length);
  const r = b.slice();
  const pdir = r.slice();
  let rr = dot(r, r);
  for (let it = 0; it < 200 && rr > 1e-28; it++) {
    const Ap = hyperCleanSecondOrder(d, W, lambda, mu, pdir).hvp;
    const a = rr / dot(pdir, Ap);
    for (let q = 0; q < z.length; q++) {
      z[q] += a * pdir[q];
      r[q] -= a * Ap[q];
    }
    const rr2 = dot(r, r);
    for (let q = 0; q < z.length; q++) pdir[q] = r[q] + (rr2 / rr) * pdir[q];
    rr = rr2;
  }
  return z;
}

test("implicit hypergradient −cross(H⁻¹∇F) matches the finite difference of Φ(λ) = F(W*(λ))", () => {
  const rng = new Rng(9);
  const train = randomData(rng, 8, 3, 3);
  const upper = randomData(rng, 6, 3, 3);
  const lambda = randVec(rng, 8);
  const mu = 0.1;
  const W = solveInner(train, lambda, mu);
  const z = solveLinear(train, W, lambda, mu, softmaxCE(upper, W).grad);
  const hyper = hyperCleanSecondOrder(train, W, lambda, mu, z).cross.map((c) => -c);
  const h = 1e-4;
  for (let i = 0; i < 8; i++) {
    const lp = lambda.slice();
    const lm = lambda.slice();
    lp[i] += h;
    lm[i] -= h;
    const fd =
      (softmaxCE(upper, solveInner(train, lp, mu)).loss - softmaxCE(upper, solveInner(train, lm, mu)).loss) / (2 * h);
    assert.ok(Math.abs(hyper[i] - fd) < 1e-7, `∂Φ/∂λ_${i}: ${hyper[i]} vs ${fd}`);
  }
});

test("BO-REP's normalised update is invariant to the upper loss scale; plain SGD is not", () => {
  const rng = new Rng(2);
  const train = randomData(rng, 40, 5, 3);
  const upper = randomData(rng, 20, 5, 3);
  const base = {
    steps: 30,
    eta: 0.1,
    nu: 0.05,
    innerLr: 0.1,
    mu: 0.01,
    period: 2,
    innerSteps: 3,
    warmStart: 10,
    batch: 16,
    seed: 4,
  };
  const a = boRepHyperClean(train, upper, { ...base, update: "bo-rep" });
  const b = boRepHyperClean(train, upper, { ...base, update: "bo-rep", lossScale: 100 });
  const maxDiff = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => Math.max(s, Math.abs(x - v[i])), 0);
  assert.ok(maxDiff(a.lambda, b.lambda) < 1e-6, `λ differs by ${maxDiff(a.lambda, b.lambda)}`);
  assert.ok(
    maxDiff(
      a.lambda,
      Float64Array.from({ length: 40 }, () => 1),
    ) > 1e-3,
    "λ moved",
  );
  const s1 = boRepHyperClean(train, upper, { ...base, update: "sgd", eta: 1 });
  const s100 = boRepHyperClean(train, upper, { ...base, update: "sgd", eta: 1, lossScale: 100 });
  assert.ok(maxDiff(s1.lambda, s100.lambda) > 1e-3);
});

test("bad input is named", () => {
  const rng = new Rng(1);
  const d = randomData(rng, 4, 2, 2);
  const W = new Float64Array(4);
  assert.throws(() => softmaxCE(d, new Float64Array(3)), /W: must be a Float64Array of p·k = 4/);
  assert.throws(() => softmaxCE({ ...d, y: Int32Array.from([0, 1, 2, 0]) }, W), /data.y: label 2 is 2/);
  assert.throws(() => softmaxCE(d, W, [0, 9]), /rows: entry 1 is 9/);
  assert.throws(() => hyperCleanInner(d, W, new Float64Array(3), 0.1), /lambda: must be a Float64Array of n = 4/);
  const opts = {
    steps: 1,
    update: "bo-rep" as const,
    eta: 1,
    nu: 1,
    innerLr: 1,
    mu: 0,
    period: 1,
    innerSteps: 0,
    warmStart: 0,
    batch: 2,
    seed: 0,
  };
  assert.throws(() => boRepHyperClean(d, d, opts), /opts.mu: must be > 0/);
  assert.throws(() => boRepHyperClean(d, d, { ...opts, mu: 1, lr: 1 } as never), /unknown option "lr"/);
  assert.throws(() => boRepHyperClean(d, { ...d, p: 1, x: new Float64Array(4) }, { ...opts, mu: 1 }), /upper: has p 1/);
});
