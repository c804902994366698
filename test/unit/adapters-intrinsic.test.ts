// Known answers for intrinsic-dimension training: the fast Walsh–Hadamard transform against
// the dense Hadamard matrix H[i][j] = (−1)^popcount(i & j); Fastfood against its factors
// multiplied out as dense matrices, its transpose, and its exact norm/orthogonality
// properties; the dense projection's unit columns; the gradient with respect to θ_d (and
// SAID's λ) through tfjs against central finite differences; and the shared subspace: one
// θ_d for the whole model, listed once among the trainable variables.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP, benchEntry, createAdapter, IntrinsicAdapter, IntrinsicSpace } from "../../src/adapters";
import { INTRINSIC_MID_D, INTRINSIC_SWEEP_D, intrinsicMidId, intrinsicTinyId } from "../../src/adapters/intrinsic";
import {
  DenseProjection,
  FastfoodProjection,
  fastfoodFactors,
  fwht,
  gaussianProjectionRows,
  nextPow2,
} from "../../src/linalg/projections";
import { Rng } from "../../src/core/random";
import { backendReady } from "../../src/nn/backend";
import { MLP } from "../../src/nn/mlp";
import { RunRecord } from "../../src/papers/adapters-compare/bench";
import { accVsDFigure, d90, intrinsicChecks, intrinsicViewIds } from "../../src/papers/intrinsic-dimension/checks";

const popParity = (x: number): number => {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c & 1;
};
/** Dense Sylvester Hadamard matrix from its closed form (independent of the fast transform). */
const hadamard = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (popParity(i & j) ? -1 : 1)));
const matVec = (M: number[][], v: ArrayLike<number>): number[] => M.map((r) => r.reduce((s, x, j) => s + x * v[j], 0));
const randVec = (n: number, seedValue: number): number[] => {
  const rng = new Rng(seedValue);
  return Array.from({ length: n }, () => rng.normal());
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const named = (re: RegExp) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && re.test(e.message);

/** P materialised column by column (P e_j), as rows of P: out[i][j]. */
function materialise(p: { d: number; D: number; apply(t: ArrayLike<number>): Float32Array }): number[][] {
  const M = Array.from({ length: p.D }, () => new Array<number>(p.d).fill(0));
  for (let j = 0; j < p.d; j++) {
    const e = new Float64Array(p.d);
    e[j] = 1;
    const col = p.apply(e);
    for (let i = 0; i < p.D; i++) M[i][j] = col[i];
  }
  return M;
}

test("fwht equals the dense Hadamard matrix and H·H = n·I", () => {
  for (const n of [1, 2, 4, 8, 16, 32, 64, 128, 256, 8192]) {
    const x = randVec(n, n);
    const y = Float64Array.from(x);
    fwht(y);
    if (n <= 256) assert.ok(maxDiff(y, matVec(hadamard(n), x)) < 1e-9 * n, `n = ${n}`);
    fwht(y);
    assert.ok(
      maxDiff(
        Array.from(y, (v) => v / n),
        x,
      ) <
        1e-12 * n,
      `H·H = n·I at n = ${n}`,
    );
  }
  assert.throws(() => fwht(new Float64Array(12)), named(/x: length must be a power of two, got 12/));
  assert.throws(() => fwht(new Float64Array(0)), named(/x: length must be a power of two/));
  assert.equal(nextPow2(200704), 262144);
  assert.equal(nextPow2(65536), 65536);
});

test("Fastfood equals c·S H G Π H B multiplied out, and applyT is its transpose", () => {
  // [d, D]: d < D, d > D, D not a power of two, d = D = L.
  for (const [d, D] of [
    [5, 12],
    [40, 30],
    [3, 64],
    [16, 16],
    [7, 100],
  ]) {
    const p = new FastfoodProjection(d, D, 11 * d + D);
    const L = nextPow2(Math.max(d, D));
    assert.equal(p.L, L);
    const { b, perm, g } = p.factors;
    const H = hadamard(L);
    let g2 = 0;
    for (const v of g) g2 += v * v;
    const c = 1 / Math.sqrt(D * g2);
    assert.ok(Math.abs(p.scale - c) < 1e-15);
    // Reference: column j = c·(H G Π H B e_j)[0..D), computed with dense H.
    const ref = Array.from({ length: D }, () => new Array<number>(d).fill(0));
    for (let j = 0; j < d; j++) {
      const hb = H.map((row) => row[j] * b[j]); // H B e_j
      const pg = Array.from({ length: L }, (_, i) => g[i] * hb[perm[i]]); // G Π (·)
      const out = matVec(H, pg);
      for (let i = 0; i < D; i++) ref[i][j] = c * out[i];
    }
    const M = materialise(p);
    for (let i = 0; i < D; i++) assert.ok(maxDiff(M[i], ref[i]) < 1e-6, `row ${i} of [${d}, ${D}]`);
    const gvec = randVec(D, 5);
    const t = p.applyT(gvec);
    const expected = Array.from({ length: d }, (_, j) => ref.reduce((s, row, i) => s + row[j] * gvec[i], 0));
    assert.ok(maxDiff(t, expected) < 1e-5, `applyT = Pᵀ g for [${d}, ${D}]`);
  }
});

test("Fastfood at d = D = L: every row and column has norm exactly 1; orthogonal when |G| is constant", () => {
  const L = 64;
  // Gaussian G: P Pᵀ = c²·L·H diag(G²) H exactly (c² = 1/(L·ΣG²)), so the diagonal is 1
  // everywhere (unit rows), likewise PᵀP's diagonal (unit columns), but P is not orthogonal.
  const p = new FastfoodProjection(L, L, 3);
  const M = materialise(p);
  const { g } = p.factors;
  const g2 = g.reduce((s, v) => s + v * v, 0);
  const H = hadamard(L);
  let offMax = 0;
  for (let i = 0; i < L; i++) {
    for (let k = 0; k < L; k++) {
      const gram = M[i].reduce((s, v, j) => s + v * M[k][j], 0);
      const closed = (L / (L * g2)) * H[i].reduce((s, h, j) => s + h * g[j] * g[j] * H[k][j], 0);
      assert.ok(Math.abs(gram - closed) < 1e-5, `P Pᵀ[${i}][${k}] = c²·L·(H G² H)[${i}][${k}]`);
      if (i !== k) offMax = Math.max(offMax, Math.abs(gram));
    }
    const colNorm = M.reduce((s, row) => s + row[i] * row[i], 0);
    assert.ok(Math.abs(colNorm - 1) < 1e-5, `column ${i} has unit norm`);
  }
  assert.ok(offMax > 1e-3, "with Gaussian G the rows are not orthogonal (the check above could fail)");
  // |G| constant (±1): the padded operator is orthogonal up to scale, P Pᵀ = I after c.
  const f = fastfoodFactors(L, 9);
  const rng = new Rng(4);
  const pm = new FastfoodProjection(L, L, { ...f, g: Float64Array.from(f.g, () => (rng.next() < 0.5 ? -1 : 1)) });
  const Q = materialise(pm);
  for (let i = 0; i < L; i++)
    for (let k = 0; k < L; k++) {
      const gram = Q[i].reduce((s, v, j) => s + v * Q[k][j], 0);
      assert.ok(Math.abs(gram - (i === k ? 1 : 0)) < 1e-5, `orthonormal rows at [${i}][${k}]`);
    }
});

test("Fastfood: the same seed gives the same operator; bad factors and vectors are named", () => {
  const a = new FastfoodProjection(10, 50, 7).apply(randVec(10, 1));
  const b = new FastfoodProjection(10, 50, 7).apply(randVec(10, 1));
  const c = new FastfoodProjection(10, 50, 8).apply(randVec(10, 1));
  assert.equal(maxDiff(a, b), 0);
  assert.ok(maxDiff(a, c) > 1e-3);
  const f = fastfoodFactors(16, 1);
  assert.throws(() => new FastfoodProjection(4, 16, { ...f, perm: new Int32Array(16) }), named(/factors\.perm/));
  assert.throws(() => new FastfoodProjection(4, 16, { ...f, g: new Float64Array(16) }), named(/factors\.g/));
  assert.throws(() => new FastfoodProjection(4, 8, f), named(/factors\.b: must have length 8/));
  assert.throws(() => new FastfoodProjection(0, 8, 1), named(/^d: must be a positive integer/));
  assert.throws(() => new FastfoodProjection(4, 8, 1).apply([1, 2]), named(/theta: must have length 4, got 2/));
  assert.throws(() => new FastfoodProjection(4, 8, 1).applyT([1, 2]), named(/g: must have length 8, got 2/));
});

test("dense projection: unit-norm columns, applyT is the transpose, the size cap is named", () => {
  const rows = gaussianProjectionRows(6, 500, 2);
  for (let j = 0; j < 6; j++) {
    let s = 0;
    for (let i = 0; i < 500; i++) s += rows[j * 500 + i] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5, `column ${j} norm² = ${s}`);
  }
  const p = new DenseProjection(6, 40, 3);
  const M = materialise(p);
  const g = randVec(40, 6);
  const expected = Array.from({ length: 6 }, (_, j) => M.reduce((s, row, i) => s + row[j] * g[i], 0));
  assert.ok(maxDiff(p.applyT(g), expected) < 1e-5);
  assert.throws(() => gaussianProjectionRows(1024, 200704, 1), named(/^d: is 1024; a dense projection/));
});

/** Two intrinsic adapters on a shared space; loss = Σ w·(tanh(x W1) W2)² (nonlinear in θ and λ). */
function twoLayer(said: boolean, projection: "fastfood" | "dense") {
  const rng = new Rng(21);
  const t = (r: number, c: number, s = 0.5) =>
    tf.tensor2d(
      Array.from({ length: r * c }, () => rng.normal() * s),
      [r, c],
    );
  const space = new IntrinsicSpace({ d: 7, projection, said, seed: 5 });
  const a1 = createAdapter("intrinsic", t(6, 5), { space }) as IntrinsicAdapter;
  const a2 = createAdapter("intrinsic", t(5, 3), { space }) as IntrinsicAdapter;
  const x = t(4, 6, 1);
  const w = t(4, 3, 1);
  const loss = () => tf.sum(tf.mul(w, tf.square(a2.forward(tf.tanh(a1.forward(x)) as tf.Tensor2D)))) as tf.Scalar;
  return { space, a1, a2, loss, dispose: () => [a1, a2, x, w].forEach((z) => z.dispose()) };
}

test("gradient w.r.t. θ_d (and SAID's λ) through both matrices matches central finite differences", async () => {
  await backendReady();
  for (const projection of ["fastfood", "dense"] as const) {
    const m = twoLayer(true, projection);
    // Move away from θ = 0, λ = 1 so every term of the gradient is exercised.
    m.space.theta.assign(tf.tensor1d(randVec(7, 3).map((v) => 0.7 * v)));
    m.a1.lambda!.assign(tf.scalar(0.8));
    const vars = [m.space.theta, m.a1.lambda!, m.a2.lambda!];
    const { grads } = tf.variableGrads(m.loss, vars);
    const gTheta = grads[m.space.theta.name].dataSync();
    const gLam = [grads[m.a1.lambda!.name].dataSync()[0], grads[m.a2.lambda!.name].dataSync()[0]];
    const at = () => m.loss().dataSync()[0];
    const eps = 1e-2;
    const theta0 = m.space.theta.arraySync();
    for (let j = 0; j < 7; j++) {
      const shift = (h: number) => {
        const th = theta0.slice();
        th[j] += h;
        m.space.theta.assign(tf.tensor1d(th));
        return at();
      };
      const fd = (shift(eps) - shift(-eps)) / (2 * eps);
      m.space.theta.assign(tf.tensor1d(theta0));
      assert.ok(Math.abs(fd - gTheta[j]) < 2e-3 * (1 + Math.abs(fd)), `${projection} θ_${j}: fd ${fd} vs ${gTheta[j]}`);
    }
    [m.a1.lambda!, m.a2.lambda!].forEach((lam, k) => {
      const l0 = lam.dataSync()[0];
      lam.assign(tf.scalar(l0 + eps));
      const up = at();
      lam.assign(tf.scalar(l0 - eps));
      const down = at();
      lam.assign(tf.scalar(l0));
      const fd = (up - down) / (2 * eps);
      assert.ok(Math.abs(fd - gLam[k]) < 2e-3 * (1 + Math.abs(fd)), `${projection} λ_${k}: fd ${fd} vs ${gLam[k]}`);
    });
    Object.values(grads).forEach((g) => g.dispose());
    m.dispose();
  }
});

test("one θ_d per model: listed once among the trainable variables, counted once", async () => {
  await backendReady();
  const net = new MLP({ sizes: [20, 16, 12, 4] });
  const space = new IntrinsicSpace({ d: 30, said: true, seed: 2 });
  const model = new AdaptedMLP(net, { method: "intrinsic", config: { space }, layers: [0, 1], trainHead: true });
  const vars = model.variables();
  assert.equal(new Set(vars).size, vars.length, "no variable listed twice");
  assert.equal(vars.filter((v) => v === space.theta).length, 1, "θ_d appears exactly once");
  assert.equal(space.members, 2);
  assert.equal(model.adapterParameterCount(), 30 + 2, "d + one SAID λ per matrix");
  assert.equal(model.adapterParameterCount(), space.parameterCount());
  const [a0, a1] = model.adapters as IntrinsicAdapter[];
  assert.deepEqual([a0.index, a1.index, a0.trainableVariables().length, a1.trainableVariables().length], [0, 1, 2, 1]);
  // Both matrices move with θ_d; the projections differ per matrix.
  space.theta.assign(tf.tensor1d(randVec(30, 1)));
  const d0 = a0.deltaW();
  const d1 = a1.deltaW();
  assert.ok(tf.max(tf.abs(d0)).dataSync()[0] > 0 && tf.max(tf.abs(d1)).dataSync()[0] > 0);
  d0.dispose();
  d1.dispose();
  model.dispose();
  assert.ok(space.theta.isDisposed, "θ_d freed with the last member");
});

test("config errors are named; a shared space's settings cannot be contradicted", () => {
  const w = tf.zeros([6, 4]) as tf.Tensor2D;
  const space = new IntrinsicSpace({ d: 5, seed: 1 });
  assert.throws(
    () => createAdapter("intrinsic", w, { space, d: 6 }),
    named(/config\.d: is 6 but the shared space has 5/),
  );
  assert.throws(() => createAdapter("intrinsic", w, { space: {} }), named(/config\.space: must be an IntrinsicSpace/));
  assert.throws(() => createAdapter("intrinsic", w, {}), named(/config\.d: must be a positive integer/));
  assert.throws(() => createAdapter("intrinsic", w, { d: 3, projection: "sparse" }), named(/config\.projection/));
  assert.throws(() => createAdapter("intrinsic", w, { d: 3, said: 1 }), named(/config\.said/));
  assert.throws(() => createAdapter("intrinsic", w, { d: 3, r: 2 }), named(/config\.r: is 2; .*no rank/));
  const ok = createAdapter("intrinsic", w, { space, d: 5 });
  assert.equal(ok.parameterCount(), 5);
  ok.dispose();
  w.dispose();
});

test("benchmark entry: budgets count θ_d plus SAID's scalars; the sweep takes the mid variant's lr", async () => {
  await backendReady();
  const scale = { midRank: 4, xsMidRank: 56, xsTinyRank: 16, hidden: [256, 256], sweepRanks: [], sweepAlpha: 8 };
  const entry = benchEntry("intrinsic");
  const vs = entry.variants(scale);
  const mid = vs.find((v) => v.id === intrinsicMidId)!;
  assert.equal(mid.tier, "mid");
  assert.equal(mid.config.d, INTRINSIC_MID_D - 2);
  assert.equal(vs.find((v) => v.id === intrinsicTinyId)!.tier, "tiny");
  const sweep = vs.filter((v) => v.tier === "ablation");
  assert.deepEqual(
    sweep.filter((v) => v.config.projection === "fastfood").map((v) => v.settings!.dTotal),
    INTRINSIC_SWEEP_D,
  );
  assert.ok(sweep.every((v) => v.lrFrom === intrinsicMidId));
  // The benchmark's MLP: 784→256→256→10 with both hidden matrices adapted, one space per run.
  const net = new MLP({ sizes: [784, 256, 256, 10] });
  const run = { variant: mid, seed: 0, lr: 0.1, warmup: 20, steps: 400 };
  const cfg = entry.prepareConfig!({ ...mid.config }, run);
  const model = new AdaptedMLP(net, { method: "intrinsic", config: cfg, layers: [0, 1], trainHead: true });
  assert.equal(model.adapterParameterCount(), 6208, "LoRA r=4's mid budget on 784×256 and 256×256");
  const cfg2 = entry.prepareConfig!({ ...mid.config }, run);
  assert.notEqual(cfg2.space, cfg.space, "a new subspace per run");
  model.dispose();
  (cfg2.space as IntrinsicSpace).theta.dispose();
  net.weights.forEach((x) => x.dispose());
});

// ---- the view's d90 and checks on synthetic records (known answers) ----------------------

function fakeRecords(accOf: (id: string, seed: number) => number): RunRecord[] {
  const ids = intrinsicViewIds(4);
  return ids.flatMap((id) =>
    [0, 1, 2].map((seed) => {
      const m = /d=(\d+)/.exec(id);
      return {
        id,
        method: id.startsWith("Intrinsic") ? "intrinsic" : id === "full FT" ? "full" : "lora",
        tier: "mid",
        family: "diag",
        seed,
        lr: 0.1,
        params: m ? Number(m[1]) : 6208,
        initMs: 0,
        trainMs: 0,
        curve: [],
        accA: 0.5,
        accB: accOf(id, seed),
        lossB: 1,
        layers: [],
        extra: (id.startsWith("Intrinsic") ? { saidLambdas: "[0.9,1.05]" } : {}) as Record<string, string>,
      };
    }),
  );
}

test("view: d90 is the smallest swept d whose interval of acc − 0.9·full lies above 0", () => {
  const jitter = (seed: number) => [0.004, -0.003, 0.001][seed];
  // full FT 0.80 → 90% line 0.72; the sweep crosses it between d=256 (0.70) and d=1024 (0.76).
  const acc: Record<number, number> = { 4: 0.5, 16: 0.55, 64: 0.6, 256: 0.7, 1024: 0.76, 4096: 0.78, 16384: 0.79 };
  const recs = fakeRecords((id, seed) => {
    if (id === "full FT") return 0.8 + jitter(seed);
    const m = /d=(\d+)/.exec(id);
    if (!m) return 0.75;
    return (id.includes("dense") ? 0.595 : (acc[Number(m[1])] ?? 0.77)) + jitter((seed + 1) % 3);
  });
  assert.equal(d90(recs), 1024);
  const r = {
    records: recs,
    baseAccA: 0.9,
    settings: { seeds: [0, 1, 2] } as never,
    selections: {},
    variants: [],
  };
  const checks = intrinsicChecks(r);
  assert.deepEqual(
    checks.map((c) => [c.kind, c.pass]),
    [
      ["evidence", true],
      ["evidence", true],
      ["evidence", true],
      ["sanity", true],
      ["sanity", true],
    ],
  );
  assert.equal(checks[0].measured, 1024);
  // Below the line everywhere: no d90, the headline check fails; a 3-point dense lead fails check 3.
  const flat = fakeRecords((id, seed) =>
    id === "full FT" ? 0.8 + jitter(seed) : id.includes("dense") ? 0.65 + jitter(seed) : 0.6 + jitter((seed + 1) % 3),
  );
  assert.equal(d90(flat), null);
  const c2 = intrinsicChecks({ ...r, records: flat });
  assert.deepEqual(
    c2.map((c) => c.pass),
    [false, false, false, true, true],
  );
  assert.equal(c2[0].measured, "none on the grid");
  assert.equal(accVsDFigure(r).length, 1);
});
