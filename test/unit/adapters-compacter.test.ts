// Compacter: the PHM weight against a dense Kronecker-sum reference, the parameter count
// against its closed form (per matrix 2ρ(out + k), the shared rule n³ once per model), the
// shared rule listed once and driven by every matrix (gradient = finite difference of the
// whole model's loss), ownership hand-over, the linear ΔW = W0 D U and the GeLU form.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdaptedMLP,
  benchEntry,
  CompacterAdapter,
  CompacterShared,
  createAdapter,
  phmWeight,
} from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";
import { MLP } from "../../src/nn/mlp";
import { seed, Rng } from "../../src/core/random";

const maxAbs = (a: number[][], b: number[][]) =>
  Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));
const rand = (shape: number[], seedValue: number, std = 1) => {
  const rng = new Rng(seedValue);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * std);
};
const named = (re: RegExp) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && re.test(e.message);

/** Dense reference: Σ_i kron(A_i, S_i T_i) with explicit loops. */
function kronSum(A: number[][][], S: number[][][], T: number[][][]): number[][] {
  const n = A.length;
  const p = S[0].length;
  const q = T[0][0].length;
  const rho = T[0].length;
  const out = Array.from({ length: n * p }, () => new Array<number>(n * q).fill(0));
  for (let i = 0; i < n; i++)
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++)
        for (let x = 0; x < p; x++)
          for (let y = 0; y < q; y++) {
            let bxy = 0;
            for (let k = 0; k < rho; k++) bxy += S[i][x][k] * T[i][k][y];
            out[a * p + x][b * q + y] += A[i][a][b] * bxy;
          }
  return out;
}

test("phmWeight = Σ_i A_i ⊗ (S_i T_i) (dense Kronecker reference; n = 3, blocks 2×4, ρ = 2)", async () => {
  await backendReady();
  const [n, p, q, rho] = [3, 2, 4, 2];
  const A = tf.tensor3d(rand([n, n, n], 1), [n, n, n]);
  const S = tf.tensor3d(rand([n, p, rho], 2), [n, p, rho]);
  const T = tf.tensor3d(rand([n, rho, q], 3), [n, rho, q]);
  const got = phmWeight(A, S, T);
  assert.deepEqual(got.shape, [n * p, n * q]);
  const want = kronSum(A.arraySync(), S.arraySync(), T.arraySync());
  assert.ok(maxAbs(got.arraySync(), want) < 1e-5);
  // A single term with A_0 = I and the others zero is block-diagonal: blockdiag(B_0, B_0, B_0).
  const eye = tf.tensor3d([...tf.eye(n).dataSync(), ...new Array(2 * n * n).fill(0)], [n, n, n]);
  const bd = phmWeight(eye, S, T).arraySync();
  const b0 = kronSum([[[1]]], [S.arraySync()[0]], [T.arraySync()[0]]);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let x = 0; x < p; x++)
        for (let y = 0; y < q; y++) assert.ok(Math.abs(bd[a * p + x][b * q + y] - (a === b ? b0[x][y] : 0)) < 1e-6);
});

test("parameter count = Σ_matrices 2ρ(out + k) + n³ with one shared rule; the rule is listed once", async () => {
  await backendReady();
  seed(5);
  const cases = [
    { sizes: [12, 8, 8, 4], k: 4, n: 2, rho: 1 },
    { sizes: [10, 12, 6, 3], k: 6, n: 3, rho: 2 },
  ];
  for (const { sizes, k, n, rho } of cases) {
    const mlp = new MLP({ sizes });
    const shared = new CompacterShared({ n, seed: 1 });
    const m = new AdaptedMLP(mlp, {
      method: "compacter",
      config: { r: k, n, phmRank: rho, seed: 2, shared },
      layers: [0, 1],
    });
    const want = [sizes[1], sizes[2]].reduce((s, o) => s + 2 * rho * (o + k), 0) + n ** 3;
    assert.equal(m.adapterParameterCount(), want, `sizes [${sizes}]`);
    const vars = m.variables();
    assert.equal(new Set(vars).size, vars.length, "no variable listed twice");
    assert.equal(vars.filter((v) => v === shared.rule).length, 1, "the shared rule is listed exactly once");
    assert.equal(
      vars.reduce((s, v) => s + v.size, 0),
      want,
    );
    m.dispose();
    assert.ok(shared.rule.isDisposed, "the rule is freed with the last adapter");
    mlp.dispose();
  }
});

test("the benchmark's variants: 6,208 (mid, = LoRA r=4) and 1,120 (paper setting) on 784→256→256, one rule per run", async () => {
  await backendReady();
  const entry = benchEntry("compacter");
  const scale = { midRank: 4, xsMidRank: 56, xsTinyRank: 16, hidden: [256, 256], sweepRanks: [], sweepAlpha: 8 };
  const vs = entry.variants(scale);
  assert.deepEqual(
    vs.map((v) => v.id),
    ["Compacter k=128 ρ=4", "Compacter k=8 ρ=1"],
  );
  const mlp = new MLP({ sizes: [784, 256, 256, 10] });
  for (const [v, want] of [
    [vs[0], 6208],
    [vs[1], 1120],
  ] as const) {
    const ctx = { variant: v, seed: 1, lr: 3e-3, warmup: 20, steps: 400 };
    const cfg = entry.prepareConfig!({ ...v.config }, ctx);
    assert.ok(cfg.shared instanceof CompacterShared);
    const cfg2 = entry.prepareConfig!({ ...v.config }, ctx);
    assert.notEqual(cfg.shared, cfg2.shared, "a new shared rule per run");
    (cfg2.shared as CompacterShared).rule.dispose();
    const m = new AdaptedMLP(mlp, { method: "compacter", config: cfg, layers: [0, 1], trainHead: true });
    assert.equal(m.adapterParameterCount(), want, v.id);
    m.dispose();
  }
  mlp.dispose();
});

test("the shared rule's gradient is the whole model's (both matrices): autograd = central difference", async () => {
  await backendReady();
  seed(7);
  const mlp = new MLP({ sizes: [6, 4, 4, 3], activation: "tanh" });
  const shared = new CompacterShared({ n: 2, seed: 3, initStd: 0.5 });
  const m = new AdaptedMLP(mlp, { method: "compacter", config: { r: 2, n: 2, seed: 4, shared }, layers: [0, 1] });
  const x = tf.tensor2d(rand([5, 6], 9), [5, 6]);
  const loss = () => tf.tidy(() => tf.sum(tf.square(m.forward(x))) as tf.Scalar);
  const { grads } = tf.variableGrads(loss, m.variables());
  const g = grads[shared.rule.name].dataSync();
  const r0 = shared.rule.dataSync().slice();
  const h = 1e-2;
  for (const idx of [0, 3, 5, 7]) {
    const at = (d: number) => {
      const v = r0.slice();
      v[idx] += d;
      shared.rule.assign(tf.tensor3d(v, [2, 2, 2]));
      return loss().dataSync()[0];
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(fd - g[idx]) < 2e-2 * Math.max(1, Math.abs(fd)), `rule[${idx}]: autograd ${g[idx]} vs fd ${fd}`);
  }
  // Both matrices see the one rule: zeroing it removes both adapters' updates.
  shared.rule.assign(tf.zeros([2, 2, 2]));
  for (const a of m.adapters.slice(0, 2))
    assert.ok(Math.max(...(a!.deltaW().dataSync() as Float32Array).map(Math.abs)) === 0);
  m.dispose();
  mlp.dispose();
});

test("ownership of the rule passes to the next member when the owner is freed", async () => {
  await backendReady();
  const shared = new CompacterShared({ n: 2, seed: 1 });
  const w = () => tf.tensor2d(rand([6, 4], 5), [6, 4]);
  const a = new CompacterAdapter(w(), { r: 2, n: 2, shared, seed: 1 });
  const b = new CompacterAdapter(w(), { r: 2, n: 2, shared, seed: 1 });
  assert.ok(a.trainableVariables().includes(shared.rule) && !b.trainableVariables().includes(shared.rule));
  assert.notDeepEqual(a.downS.arraySync(), b.downS.arraySync(), "members draw different fast factors");
  a.dispose();
  assert.ok(b.trainableVariables().includes(shared.rule) && !shared.rule.isDisposed);
  b.dispose();
  assert.ok(shared.rule.isDisposed);
  assert.throws(() => new CompacterAdapter(w(), { r: 2, n: 2, shared }), named(/config\.shared: was disposed/));
});

test("linear form: ΔW = W0 D U; GeLU form: forward is the serial adapter, ΔW its first-order account, merge refused", async () => {
  await backendReady();
  const W0 = tf.tensor2d(rand([6, 4], 31), [6, 4]);
  const shared = new CompacterShared({ n: 2, seed: 2, initStd: 0.7 });
  const lin = new CompacterAdapter(W0, { r: 2, n: 2, seed: 3, shared });
  const D = lin.down().arraySync();
  const U = lin.up().arraySync();
  const mm = (a: number[][], b: number[][]) =>
    a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
  assert.ok(maxAbs(lin.deltaW().arraySync(), mm(W0.arraySync(), mm(D, U))) < 1e-5);
  const nl = new CompacterAdapter(W0, { r: 2, n: 2, seed: 3, shared, activation: "gelu" });
  nl.downS.assign(lin.downS);
  nl.downT.assign(lin.downT);
  nl.upS.assign(lin.upS);
  nl.upT.assign(lin.upT);
  const X = rand([3, 6], 32);
  const x2 = Array.from({ length: 3 }, (_, i) => X.slice(6 * i, 6 * i + 6));
  const z = mm(x2, W0.arraySync());
  const geluRef = (u: number) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  const want = z.map((row, i) =>
    row.map(
      (v, j) =>
        v +
        mm(
          mm([z[i]], D).map((r) => r.map(geluRef)),
          U,
        )[0][j],
    ),
  );
  assert.ok(maxAbs(nl.forward(tf.tensor2d(x2)).arraySync(), want) < 1e-4);
  assert.ok(
    maxAbs(
      nl.deltaW().arraySync(),
      lin
        .deltaW()
        .arraySync()
        .map((r) => r.map((v) => v / 2)),
    ) < 1e-5,
  );
  assert.throws(() => nl.merge(), named(/merge: .*gelu.* not a linear map/));
  lin.dispose();
  nl.dispose();
});

test("config errors name the argument", async () => {
  await backendReady();
  const w = tf.zeros([12, 8]) as tf.Tensor2D;
  assert.throws(() => createAdapter("compacter", w, { r: 4, n: 3 }), named(/config\.n: is 3; .*divide out = 8/));
  assert.throws(() => createAdapter("compacter", w, { r: 3, n: 2 }), named(/config\.n: is 2; .*bottleneck r = 3/));
  assert.throws(() => createAdapter("compacter", w, { r: 4, phmRank: 0 }), named(/config\.phmRank/));
  assert.throws(() => createAdapter("compacter", w, { r: 4, n: 2, activation: "relu" }), named(/config\.activation/));
  assert.throws(
    () => createAdapter("compacter", w, { r: 4, shared: {} }),
    named(/config\.shared: must be a CompacterShared/),
  );
  const shared = new CompacterShared({ n: 4 });
  assert.throws(
    () => createAdapter("compacter", w, { r: 4, n: 2, shared }),
    named(/config\.n: is 2 but config\.shared/),
  );
  assert.throws(() => new CompacterShared({ n: 0 }), named(/opts\.n/));
  shared.rule.dispose();
});
