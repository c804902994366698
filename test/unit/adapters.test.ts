// Table-driven tests over every registered adapter (cases in adapter-cases.ts) plus
// per-method known answers. The tiny problem: a 12×8 kernel W0, inputs X [32, 12] and
// targets Y = X W*, loss mean((x W_eff − y)²); gradients for data-driven inits are
// ∂L/∂W0 on two 16-row batches.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdaptedMLP,
  adapterNames,
  createAdapter,
  DenseAdapter,
  wrapModel,
  LoraGaAdapter,
  LoraSbAdapter,
  LoraXsAdapter,
  PissaAdapter,
  SvfitAdapter,
} from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";
import { svd } from "../../src/linalg";
import { MLP } from "../../src/nn/mlp";
import { crossEntropy } from "../../src/nn/losses";
import { seed } from "../../src/core/random";
import { Rng } from "../../src/core/random";
import { CASES } from "./adapter-cases";

const IN = 12;
const OUT = 8;

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const maxAbsArr = (a: number[][], b: number[][]) =>
  Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));
const mm = (a: number[][], b: number[][]) =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));

function gauss(rows: number, cols: number, seedValue: number, std = 1): tf.Tensor2D {
  const rng = new Rng(seedValue);
  return tf.tensor2d(
    Array.from({ length: rows * cols }, () => rng.normal() * std),
    [rows, cols],
  );
}

interface Problem {
  w0: tf.Tensor2D;
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  gradients: tf.Tensor2D[];
  inputs: tf.Tensor2D[];
}

/** Seeded tiny regression problem; gradients of mean((xW − y)²) w.r.t. W at W0 per 16-row batch. */
function problem(seedValue = 1): Problem {
  const w0 = gauss(IN, OUT, seedValue, 0.5);
  const x = gauss(32, IN, seedValue + 1);
  const y = tf.matMul(x, gauss(IN, OUT, seedValue + 2, 0.5));
  const inputs = [x.slice([0, 0], [16, IN]), x.slice([16, 0], [16, IN])] as tf.Tensor2D[];
  const gradients = inputs.map((xb, b) => {
    const yb = y.slice([16 * b, 0], [16, OUT]);
    return tf.grad((w: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.matMul(xb, w as tf.Tensor2D), yb))))(
      w0,
    ) as tf.Tensor2D;
  });
  return { w0, x, y: y as tf.Tensor2D, gradients, inputs };
}

function make(name: string, p: Problem, config?: object): DenseAdapter {
  const c = CASES[name];
  const ad = createAdapter(name, p.w0, config ?? c?.config ?? { r: 2 });
  if (ad.init) {
    const ctx: { gradients?: tf.Tensor2D[]; inputs?: tf.Tensor2D[] } = {};
    if (!c || c.needs.includes("gradients")) ctx.gradients = p.gradients;
    if (!c || c.needs.includes("inputs")) ctx.inputs = p.inputs;
    void ad.init(ctx);
  }
  return ad;
}

const lossOf = (ad: DenseAdapter, p: Problem) => tf.mean(tf.square(tf.sub(ad.forward(p.x), p.y))) as tf.Scalar;

/** A few Adam steps through the adapter's hooks (regLoss, transformGrads, postStep); returns [loss before, after]. */
function train(ad: DenseAdapter, p: Problem, steps = 6, lr = 0.02): [number, number] {
  const opt = tf.train.adam(lr);
  const before = tf.tidy(() => lossOf(ad, p).dataSync()[0]);
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => {
      const l = lossOf(ad, p);
      return ad.regLoss ? (tf.add(l, ad.regLoss()) as tf.Scalar) : l;
    }, ad.trainableVariables());
    let g: Record<string, tf.Tensor> = grads;
    if (ad.transformGrads) {
      g = ad.transformGrads(grads);
      for (const [k, t] of Object.entries(g))
        assert.ok(t.dataSync().every(Number.isFinite), `${ad.method}: transformed gradient ${k} finite`);
    }
    opt.applyGradients(g as unknown as Parameters<typeof opt.applyGradients>[0]);
    ad.postStep?.(s);
    value.dispose();
    for (const t of new Set([...Object.values(grads), ...Object.values(g)])) t.dispose();
  }
  opt.dispose();
  const after = tf.tidy(() => lossOf(ad, p).dataSync()[0]);
  return [before, after];
}

test("every registered adapter has a case row (param formula, identity flag, data needs)", async () => {
  await backendReady();
  const missing = adapterNames().filter((n) => !CASES[n]);
  assert.deepEqual(missing, [], `add rows to test/unit/adapter-cases.ts for: ${missing.join(", ")}`);
  for (const n of Object.keys(CASES)) assert.ok(adapterNames().includes(n), `case "${n}" has no registered adapter`);
});

for (const name of adapterNames()) {
  test(`${name}: declared identity flag, parameter count = closed form, ΔW = merged − W0 at init`, async () => {
    await backendReady();
    const c = CASES[name];
    const p = problem();
    const ad = make(name, p);
    assert.equal(ad.method, name);
    assert.equal(ad.inDim, IN);
    assert.equal(ad.outDim, OUT);
    if (c) assert.equal(ad.identityAtInit, c.identityAtInit, "identityAtInit as the method guarantees");
    const counted = ad.trainableVariables().reduce((s, v) => s + v.size, 0);
    assert.equal(ad.parameterCount(), counted, "parameterCount() = size of trainableVariables()");
    if (c) assert.equal(ad.parameterCount(), c.params(IN, OUT), "closed-form count");
    for (const v of ad.trainableVariables()) assert.ok(v.trainable && v !== ad.base, "trainable and not the base");
    assert.ok(!ad.base.trainable || !ad.trainableVariables().includes(ad.base));
    const d = ad.deltaW();
    const eff = ad.effectiveWeight();
    assert.ok(maxAbs(d, tf.sub(eff, p.w0)) < 1e-5, "ΔW = W_eff − W0_original");
    assert.equal(maxAbs(ad.base, p.w0), 0, "base untouched until merge");
    const y = ad.forward(p.x);
    assert.ok(maxAbs(y, tf.matMul(p.x, eff)) < 1e-4, "forward = x W_eff");
    if (ad.identityAtInit) {
      assert.ok(maxAbs(d, tf.zerosLike(d)) < 1e-5, "ΔW = 0 at init");
      assert.ok(maxAbs(y, tf.matMul(p.x, p.w0)) < 1e-4, "forward = x W0 at init");
    } else {
      assert.ok(maxAbs(d, tf.zerosLike(d)) > 0, "ΔW ≠ 0 at init (not an identity-at-init method)");
    }
    ad.dispose();
  });

  test(`${name}: training steps move ΔW, keep ΔW = merged − W0, hooks finite, merge/unmerge round trip`, async () => {
    await backendReady();
    const p = problem(2);
    const ad = make(name, p);
    const d0 = ad.deltaW();
    if (ad.regLoss) assert.ok(Number.isFinite(ad.regLoss().dataSync()[0]), "regLoss finite");
    const [before, after] = train(ad, p);
    assert.ok(Number.isFinite(after) && after < before, `loss decreases (${before} → ${after})`);
    const d = ad.deltaW();
    assert.ok(maxAbs(d, d0) > 1e-6, "ΔW changed");
    const eff = ad.effectiveWeight();
    assert.ok(maxAbs(d, tf.sub(eff, p.w0)) < 1e-5, "ΔW = W_eff − W0_original after training");
    assert.equal(maxAbs(ad.base, p.w0), 0, "frozen base untouched by training");
    const y = ad.forward(p.x);
    ad.merge();
    ad.merge();
    assert.ok(ad.merged);
    assert.ok(maxAbs(ad.base, eff) < 1e-5, "merged base = W_eff");
    assert.ok(maxAbs(ad.forward(p.x), y) < 1e-4, "merged forward unchanged");
    assert.ok(maxAbs(ad.effectiveWeight(), eff) < 1e-5);
    ad.unmerge();
    ad.unmerge();
    assert.ok(!ad.merged);
    assert.ok(maxAbs(ad.base, p.w0) < 1e-6, "unmerge restores W0");
    assert.ok(maxAbs(ad.deltaW(), d) < 1e-6, "ΔW unchanged by the round trip");
    ad.dispose();
  });

  test(`${name}: invalid configs rejected with named errors`, async () => {
    await backendReady();
    const c = CASES[name];
    const p = problem();
    const valid = (c?.config ?? { r: 2 }) as Record<string, unknown>;
    const named = (re: RegExp) => (e: unknown) =>
      e instanceof Error && e.name === "InitlabInputError" && re.test(e.message);
    assert.throws(
      () => createAdapter(name, p.w0, { ...valid, r: c?.rejectRank ?? 9 }),
      named(/config\.r: is \d+;.*cannot exceed min\(in, out\) = 8/),
    );
    assert.throws(() => createAdapter(name, p.w0, { ...valid, r: 0 }), named(/config\.r/));
    assert.throws(() => createAdapter(name, p.w0, { ...valid, bogus: 1 }), named(/unknown option "bogus"/));
    // Without a case row we only know these must fail with a named error.
    const alphaErr = !c ? /alpha/ : c.hasAlpha ? /config\.alpha/ : /unknown option "alpha"/;
    const initErr = !c ? /init/ : c.hasInit ? /config\.init: unknown init "nope"/ : /unknown option "init"/;
    assert.throws(() => createAdapter(name, p.w0, { ...valid, alpha: -1 }), named(alphaErr));
    assert.throws(() => createAdapter(name, p.w0, { ...valid, init: "nope" }), named(initErr));
    assert.throws(() => createAdapter(name, tf.zeros([3]) as never, valid), named(/base/));
    if (c && c.needs.length) {
      const ad = createAdapter(name, p.w0, valid);
      assert.ok(ad.init, "data-driven method exposes init()");
      assert.throws(() => ad.forward(p.x), named(/init/), "refuses to run before init");
      assert.throws(() => ad.init!({}), named(/ctx\./));
      assert.throws(
        () =>
          ad.init!({ gradients: [tf.zeros([OUT, IN]) as tf.Tensor2D], inputs: [tf.zeros([2, OUT]) as tf.Tensor2D] }),
        named(/ctx\./),
      );
      ad.dispose();
    }
  });

  test(`${name}: no tensor leaks across create/init/forward/merge/dispose`, async () => {
    await backendReady();
    const p = problem(3);
    const n0 = tf.memory().numTensors;
    const ad = make(name, p);
    ad.forward(p.x).dispose();
    ad.deltaW().dispose();
    ad.effectiveWeight().dispose();
    ad.merge();
    ad.unmerge();
    ad.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });
}

// ---- per-method known answers ------------------------------------------------------

test("pissa: s·A B = top-r SVD part of W0, residual = the rest; pissa_niter_K ≈ exact", async () => {
  await backendReady();
  const p = problem(4);
  const w = p.w0.arraySync();
  const d = svd(w);
  const r = 3;
  const top = d.U.map((row) => d.V.map((vrow) => row.slice(0, r).reduce((s, u, k) => s + u * d.S[k] * vrow[k], 0)));
  for (const alpha of [3, 12]) {
    const ad = createAdapter("pissa", p.w0, { r, alpha }) as PissaAdapter;
    const s = alpha / r;
    const sab = mm(ad.A.arraySync(), ad.B.arraySync()).map((row) => row.map((v) => v * s));
    assert.ok(maxAbsArr(sab, top) < 1e-5, `s·AB = U_rΣ_rV_rᵀ (α=${alpha})`);
    const rest = w.map((row, i) => row.map((v, j) => v - top[i][j]));
    assert.ok(maxAbsArr(ad.residual.arraySync(), rest) < 1e-5, "residual = W0 − top-r part");
    // A's columns are U_r·√(σ/s): column norms² = σ_k / s.
    const aN = tr(ad.A.arraySync()).map((c) => c.reduce((t, v) => t + v * v, 0));
    aN.forEach((v, k) => assert.ok(Math.abs(v - d.S[k] / s) < 1e-4 * d.S[0]));
    ad.dispose();
  }
  // Randomized: exact up to rounding when rank ≤ r + oversample (here min(12, 8) = 8 ≤ 3 + 10).
  const fast = createAdapter("pissa", p.w0, { r, init: "pissa_niter_2", seed: 5 }) as PissaAdapter;
  assert.equal(fast.initName, "pissa_niter_2");
  const sab = mm(fast.A.arraySync(), fast.B.arraySync());
  assert.ok(maxAbsArr(sab, top) < 1e-4);
  assert.throws(() => createAdapter("pissa", p.w0, { r, init: "pissa_niter_x" }), /config\.init: unknown init/);
  // A 60×40 kernel of rank-3 signal plus small noise: the sketch no longer covers the full
  // rank, so the subspace iterations matter; K = 4 recovers the top-3 part closely.
  const big = tf.tidy(
    () => tf.add(tf.matMul(gauss(60, 3, 21), gauss(3, 40, 22)), gauss(60, 40, 23, 0.01)) as tf.Tensor2D,
  );
  const db = svd(big.arraySync());
  const topB = db.U.map((row) => db.V.map((vrow) => row.slice(0, r).reduce((s, u, k) => s + u * db.S[k] * vrow[k], 0)));
  const errOf = (init: string, seedValue: number) => {
    const ad = createAdapter("pissa", big, { r, init, seed: seedValue }) as PissaAdapter;
    const e = maxAbsArr(mm(ad.A.arraySync(), ad.B.arraySync()), topB);
    const A = ad.A.arraySync();
    ad.dispose();
    return { e, A };
  };
  const k4 = errOf("pissa_niter_4", 9);
  assert.ok(k4.e < 1e-3 * db.S[0], `randomized (K=4) ≈ exact top-r part (err ${k4.e})`);
  assert.deepEqual(errOf("pissa_niter_4", 9).A, k4.A, "same seed, same factors");
  big.dispose();
});

test("lora-xs: only R (r²) trains, A = U_rΣ_r and B = V_rᵀ frozen, R ~ N(0, 1e-5²) seeded, W0 unchanged", async () => {
  await backendReady();
  const p = problem(5);
  const d = svd(p.w0.arraySync());
  const r = 4;
  const ad = createAdapter("lora-xs", p.w0, { r, seed: 7 }) as LoraXsAdapter;
  assert.equal(ad.parameterCount(), r * r);
  assert.deepEqual(ad.trainableVariables(), [ad.R]);
  assert.ok(!ad.A.trainable && !ad.B.trainable);
  // A B's product with R = I reconstructs the top-r SVD part (sign conventions cancel).
  const top = d.U.map((row) => d.V.map((vrow) => row.slice(0, r).reduce((s, u, k) => s + u * d.S[k] * vrow[k], 0)));
  assert.ok(maxAbsArr(mm(ad.A.arraySync(), ad.B.arraySync()), top) < 1e-5);
  const R = Array.from(ad.R.dataSync() as Float32Array);
  const sd = Math.sqrt(R.reduce((s, v) => s + v * v, 0) / R.length);
  assert.ok(sd > 3e-6 && sd < 3e-5, `R std ≈ 1e-5 (got ${sd})`);
  const again = createAdapter("lora-xs", p.w0, { r, seed: 7 }) as LoraXsAdapter;
  assert.deepEqual(Array.from(again.R.dataSync()), Array.from(R), "same seed, same R");
  ad.dispose();
  again.dispose();
  // Width-independent: a 40×30 kernel at the same r has the same count.
  const big = createAdapter("lora-xs", tf.randomNormal([40, 30], 0, 1, "float32", 1) as tf.Tensor2D, { r, seed: 1 });
  assert.equal(big.parameterCount(), r * r);
  big.dispose();
});

test("svfit: only singular values change — ΔW in span(U_r)⊗span(V_r) and U_rᵀ ΔW V_r diagonal", async () => {
  await backendReady();
  const p = problem(6);
  const r = 3;
  const ad = createAdapter("svfit", p.w0, { r }) as SvfitAdapter;
  assert.equal(ad.parameterCount(), r);
  const d0 = svd(p.w0.arraySync());
  ad.sigma0.dataSync().forEach((v, k) => assert.ok(Math.abs(v - d0.S[k]) < 1e-5, "σ init = top singular values"));
  train(ad, p, 8, 0.05);
  const dW = ad.deltaW().arraySync();
  const U = ad.U.arraySync();
  const V = tr(ad.Vt.arraySync());
  const core = mm(mm(tr(U), dW), V); // r×r
  let off = 0;
  let diag = 0;
  core.forEach((row, i) =>
    row.forEach((v, j) => (i === j ? (diag = Math.max(diag, Math.abs(v))) : (off = Math.max(off, Math.abs(v))))),
  );
  assert.ok(diag > 1e-3, "singular values moved");
  assert.ok(off < 1e-5 * Math.max(1, diag), `off-diagonal ${off}`);
  // Projection residuals: (I − U Uᵀ) ΔW = 0 and ΔW (I − V Vᵀ) = 0.
  const projL = mm(mm(U, tr(U)), dW);
  const projR = mm(mm(dW, V), tr(V));
  assert.ok(maxAbsArr(projL, dW) < 1e-5 && maxAbsArr(projR, dW) < 1e-5);
  // The trained weight's singular vectors stay those of W0 (top r): its top-r values = σ.
  const sig = Array.from(ad.sigma.dataSync());
  const eff = svd(ad.effectiveWeight().arraySync()).S;
  const expected = [...sig, ...d0.S.slice(r)].sort((a, b) => b - a);
  eff.forEach((v, k) => assert.ok(Math.abs(v - Math.abs(expected[k])) < 1e-4));
  ad.dispose();
});

test("lora-ga: A = top-r gradient directions with orthonormal columns × out^¼/√γ, B = next r; residual = W0 − s·AB; hf variant puts S into B", async () => {
  await backendReady();
  const p = problem(7);
  const G = tf.tidy(() => tf.div(tf.add(p.gradients[0], p.gradients[1]), 2).arraySync() as number[][]);
  const dG = svd(G);
  const r = 2;
  const c = Math.pow(OUT, 0.25) / Math.sqrt(16);
  for (const mode of ["exact", "randomized"] as const) {
    const ad = createAdapter("lora-ga", p.w0, { r, alpha: 4, svd: mode, seed: 1 }) as LoraGaAdapter;
    ad.init({ gradients: p.gradients });
    const A = ad.A.arraySync();
    const B = ad.B.arraySync();
    const AtA = mm(tr(A), A);
    AtA.forEach((row, i) =>
      row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? c * c : 0)) < 1e-5, `${mode}: AᵀA = c²I`)),
    );
    const BBt = mm(B, tr(B));
    BBt.forEach((row, i) =>
      row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? c * c : 0)) < 1e-5, `${mode}: BBᵀ = c²I`)),
    );
    // Directions: A's columns ∥ G's left singular vectors 1..r, B's rows ∥ right ones r+1..2r.
    for (let k = 0; k < r; k++) {
      const ua = A.reduce((s, row, i) => s + row[k] * dG.U[i][k], 0) / c;
      const vb = B[k].reduce((s, v, j) => s + v * dG.V[j][r + k], 0) / c;
      assert.ok(Math.abs(Math.abs(ua) - 1) < 1e-4, `${mode}: A col ${k} = ±u_${k + 1}`);
      assert.ok(Math.abs(Math.abs(vb) - 1) < 1e-4, `${mode}: B row ${k} = ±v_${r + k + 1}`);
    }
    const s = 4 / r;
    const w = p.w0.arraySync();
    const res = w.map((row, i) => row.map((v, j) => v - s * mm(A, B)[i][j]));
    assert.ok(maxAbsArr(ad.residual.arraySync(), res) < 1e-5, "residual = W0 − s·AB");
    ad.dispose();
  }
  const twice = [0, 1].map(() => {
    const ad = createAdapter("lora-ga", p.w0, { r, seed: 4 }) as LoraGaAdapter;
    ad.init({ gradients: p.gradients });
    const A = ad.A.arraySync();
    ad.dispose();
    return A;
  });
  assert.deepEqual(twice[0], twice[1], "randomized SVD seeded: same seed, same A");
  const hf = createAdapter("lora-ga", p.w0, { r, variant: "hf", svd: "exact" }) as LoraGaAdapter;
  hf.init({ gradients: p.gradients });
  const Bn = hf.B.arraySync().map((row) => Math.sqrt(row.reduce((t, v) => t + v * v, 0)));
  Bn.forEach((v, k) => assert.ok(Math.abs(v - dG.S[r + k] * c) < 1e-5, "hf: B row norms = S_g[r+k]·c"));
  const An = tr(hf.A.arraySync()).map((col) => Math.sqrt(col.reduce((t, v) => t + v * v, 0)));
  An.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-5, "hf: A unscaled"));
  hf.dispose();
});

test("lora-sb: init ΔW = best rank-r approximation of −η₁·sign(ΣG); R diagonal, only R trains; W0 not adjusted", async () => {
  await backendReady();
  const p = problem(8);
  const eta1 = 1e-3;
  const r = 3;
  const ad = createAdapter("lora-sb", p.w0, { r, eta1 }) as LoraSbAdapter;
  ad.init({ gradients: p.gradients });
  const G = tf.tidy(() => tf.add(p.gradients[0], p.gradients[1]).arraySync() as number[][]);
  const step = G.map((row) => row.map((g) => -eta1 * Math.sign(g)));
  const d = svd(step);
  const best = d.U.map((row) => d.V.map((vrow) => row.slice(0, r).reduce((s, u, k) => s + u * d.S[k] * vrow[k], 0)));
  assert.ok(maxAbsArr(ad.deltaW().arraySync(), best) < 1e-7, "ΔW(init) = trunc_r(−η₁ sign ΣG)");
  assert.ok(maxAbs(ad.base, p.w0) === 0, "W0 not adjusted");
  const R = ad.R.arraySync();
  R.forEach((row, i) => row.forEach((v, j) => assert.ok(i === j ? Math.abs(v - d.S[i]) < 1e-7 : v === 0)));
  assert.deepEqual(ad.trainableVariables(), [ad.R]);
  ad.dispose();
});

test("rslora: s = α/√r and the same factors as lora with rslora: true", async () => {
  await backendReady();
  const p = problem(9);
  const a = createAdapter("rslora", p.w0, { r: 4, alpha: 8, seed: 2 }) as unknown as { scale: number; A: tf.Variable };
  const b = createAdapter("lora", p.w0, { r: 4, alpha: 8, seed: 2, rslora: true }) as unknown as {
    scale: number;
    A: tf.Variable;
  };
  assert.equal(a.scale, 4);
  assert.equal(b.scale, 4);
  assert.equal(maxAbs(a.A, b.A), 0);
  assert.throws(() => createAdapter("rslora", p.w0, { r: 4, rslora: false }), /unknown option "rslora"/);
});

// ---- wrapModel: PEFT-style config, counts, calibration, merge/unload ----------------

function tinyMlp(): { mlp: MLP; x: tf.Tensor2D; y: number[] } {
  seed(11);
  const mlp = new MLP({ sizes: [12, 10, 8, 3], activation: "tanh" });
  const x = gauss(24, 12, 12);
  const y = Array.from({ length: 24 }, (_, i) => i % 3);
  return { mlp, x, y };
}

test("wrapModel: PEFT-style config → adapters on target layers, parameter summary, identical at init", async () => {
  await backendReady();
  const { mlp, x } = tinyMlp();
  const y0 = mlp.forward(x);
  const net = wrapModel(mlp, { method: "pissa", r: 2, alpha: 4, options: { seed: 1 } });
  assert.ok(net instanceof AdaptedMLP);
  assert.deepEqual(
    net.adapters.map((a) => a?.method ?? null),
    ["pissa", "pissa", null],
  );
  const t = net.trainableParameters();
  assert.equal(t.adapter, 2 * (12 + 10) + 2 * (10 + 8));
  assert.equal(t.head, 0);
  assert.equal(t.all, 12 * 10 + 10 + (10 * 8 + 8) + (8 * 3 + 3) + t.adapter);
  assert.equal(
    net.describeTrainableParameters(),
    `trainable params: 80 || all params: ${t.all} || trainable%: ${((100 * 80) / t.all).toFixed(4)}`,
  );
  assert.ok(maxAbs(net.forward(x), y0) < 1e-5, "residual init keeps the function");
  const xs = wrapModel(mlp, { method: "lora-xs", r: 3, targetLayers: [1], trainHead: true });
  assert.equal(xs.trainableParameters().adapter, 9);
  assert.equal(xs.trainableParameters().head, 8 * 3 + 3);
  xs.dispose();
  assert.throws(() => wrapModel(mlp, { r: 2, rank: 3 } as never), /config: unknown option "rank"/);
  assert.throws(() => wrapModel(mlp, { r: 2, targetLayers: "all" as never }), /config\.targetLayers/);
  assert.throws(() => wrapModel(mlp, { method: "svfit", r: 2, alpha: 1 }), /unknown option "alpha"/);
  assert.throws(() => wrapModel(mlp, { r: 11 }), /config\.r: is 11; it cannot exceed min\(in, out\) = 10/);
  net.dispose();
  mlp.dispose();
});

test("wrapModel.calibrate: LoRA-GA gets the base model's mean cross-entropy gradient per layer", async () => {
  await backendReady();
  const { mlp, x, y } = tinyMlp();
  const batches = [0, 1].map((b) => ({
    x: x.slice([12 * b, 0], [12, 12]) as tf.Tensor2D,
    y: y.slice(12 * b, 12 * b + 12),
  }));
  // Independent reference: variableGrads through MLP.forward (fused kernels) per batch, averaged.
  const ref = [0, 1].map((l) => {
    const per = batches.map((b) => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(mlp.forward(b.x), b.y), [mlp.weights[l]]);
      value.dispose();
      return Object.values(grads)[0].arraySync() as number[][];
    });
    return per[0].map((row, i) => row.map((v, j) => (v + per[1][i][j]) / 2));
  });
  const net = wrapModel(mlp, { method: "lora-ga", r: 2, options: { svd: "exact", seed: 0 } });
  const ms = await net.calibrate(batches);
  assert.equal(ms.length, 2);
  ms.forEach((v) => assert.ok(Number.isFinite(v) && v >= 0));
  net.adapters.slice(0, 2).forEach((a, l) => {
    const ad = a as LoraGaAdapter;
    const d = svd(ref[l]);
    const c = Math.pow(ad.outDim, 0.25) / 4;
    const A = ad.A.arraySync();
    for (let k = 0; k < 2; k++) {
      const cos = A.reduce((s, row, i) => s + row[k] * d.U[i][k], 0) / c;
      assert.ok(
        Math.abs(Math.abs(cos) - 1) < 1e-3,
        `layer ${l}: A column ${k} = ±u_${k + 1} of the reference gradient (|cos| = ${cos})`,
      );
    }
    ad.gradientSingularValues.forEach((s, k) => assert.ok(Math.abs(s - d.S[k]) < 1e-4 * d.S[0]));
  });
  assert.ok(maxAbs(net.forward(x), mlp.forward(x)) < 1e-5, "identical at init after calibration");
  await assert.rejects(() => net.calibrate([]), /batches/);
  net.dispose();
  mlp.dispose();
});

test("wrapModel: mergeAndUnload returns the MLP computing the adapted function; unload restores W0", async () => {
  await backendReady();
  for (const method of ["lora-sb", "svfit"]) {
    const { mlp, x, y } = tinyMlp();
    const w0 = mlp.weightArrays();
    const net = wrapModel(mlp, { method, r: 3, ...(method === "lora-sb" ? { options: { eta1: 1e-2 } } : {}) });
    await net.calibrate([{ x, y }]);
    const opt = tf.train.adam(0.05);
    for (let s = 0; s < 3; s++) opt.minimize(() => crossEntropy(net.forward(x), y), false, net.variables());
    opt.dispose();
    const yAd = net.forward(x);
    assert.ok(maxAbs(yAd, mlp.forward(x)) > 1e-4, `${method}: adapted function differs from the base`);
    const merged = net.mergeAndUnload();
    assert.equal(merged, mlp);
    assert.ok(net.adapters.every((a) => a === null));
    assert.ok(maxAbs(mlp.forward(x), yAd) < 1e-4, `${method}: merged MLP = adapted forward`);
    mlp.dispose();

    const again = tinyMlp();
    const net2 = wrapModel(again.mlp, { method, r: 3, ...(method === "lora-sb" ? { options: { eta1: 1e-2 } } : {}) });
    await net2.calibrate([{ x: again.x, y: again.y }]);
    net2.merge();
    const back = net2.unload();
    back
      .weightArrays()
      .forEach((w, l) => assert.equal(maxAbsArr(w, w0[l]), 0, `${method}: unload restores W0 exactly`));
    back.dispose();
  }
});
