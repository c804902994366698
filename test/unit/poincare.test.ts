// Poincaré ball: gyrovector identities, exp/log inverses and distance closed forms (float64),
// the tfjs ops against the float64 reference, and hand-written backward passes against
// central finite differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/core/random";
import {
  expMap,
  expMap0,
  gyration,
  gyroMidpoint,
  logMap,
  logMap0,
  mobiusAdd,
  parallelTransport,
  poincareDistance,
  conformalFactor,
} from "../../src/linalg/poincare";
import {
  ballDistance,
  ballExpMap0,
  ballGyration,
  ballLogMap0,
  ballMidpoint,
  ballMobiusAdd,
} from "../../src/nn/poincare-ops";
import { PoincareLinear, PoincareMidpointBatchNorm } from "../../src/nn/poincare";
import { midpointBatchNormRows } from "../../src/nn/poincare-resnet";
import { PoincareResNet } from "../../src/nn/poincare-resnet";

const rng = new Rng(11);
const norm = (v: number[]) => Math.hypot(...v);
/** A random point at scaled radius r (√c‖x‖ = r). */
const point = (d: number, c: number, r: number): number[] => {
  const v = Array.from({ length: d }, () => rng.normal());
  return v.map((a) => (a / norm(v)) * (r / Math.sqrt(c)));
};
const close = (a: number[], b: number[], tol: number, what: string) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${v} vs ${b[i]}`));

const CASES = [
  { c: 0.5, d: 3, r: 0.3 },
  { c: 1, d: 5, r: 0.7 },
  { c: 2, d: 4, r: 0.95 },
];

test("gyrovector identities: identity element, left cancellation, gyrocommutativity, gyration closed form", () => {
  for (const { c, d, r } of CASES) {
    const x = point(d, c, r);
    const y = point(d, c, r * 0.8);
    const w = point(d, c, 0.5);
    const zero = new Array(d).fill(0);
    close(mobiusAdd(zero, x, c), x, 1e-12, "0⊕x");
    close(mobiusAdd(x, zero, c), x, 1e-12, "x⊕0");
    close(
      mobiusAdd(
        x.map((v) => -v),
        mobiusAdd(x, y, c),
        c,
      ),
      y,
      1e-9,
      "(−x)⊕(x⊕y)",
    );
    close(mobiusAdd(x, y, c), gyration(x, y, mobiusAdd(y, x, c), c), 1e-9, "x⊕y = gyr[x,y](y⊕x)");
    // gyr[u,v]w = ⊖(u⊕v) ⊕ (u ⊕ (v ⊕ w)), the definition, against the closed linear form
    const uv = mobiusAdd(x, y, c);
    const def = mobiusAdd(
      uv.map((v) => -v),
      mobiusAdd(x, mobiusAdd(y, w, c), c),
      c,
    );
    close(gyration(x, y, w, c), def, 1e-9, "gyration");
    // a rotation: norms preserved
    assert.ok(Math.abs(norm(gyration(x, y, w, c)) - norm(w)) < 1e-12);
  }
});

test("Möbius addition tends to vector addition as c → 0", () => {
  const x = [0.3, -0.2, 0.5];
  const y = [0.1, 0.4, -0.3];
  close(
    mobiusAdd(x, y, 1e-9),
    x.map((v, i) => v + y[i]),
    1e-8,
    "c→0",
  );
});

test("exp and log maps are inverse (at the origin and at a point)", () => {
  for (const { c, d, r } of CASES) {
    const v = Array.from({ length: d }, () => rng.normal());
    close(logMap0(expMap0(v, c), c), v, 1e-9, "log₀∘exp₀");
    const y = point(d, c, r);
    close(expMap0(logMap0(y, c), c), y, 1e-12, "exp₀∘log₀");
    const x = point(d, c, r * 0.6);
    close(expMap(x, logMap(x, y, c), c), y, 1e-9, "exp_x∘log_x");
    close(
      logMap(
        x,
        expMap(
          x,
          v.map((a) => a * 0.3),
          c,
        ),
        c,
      ),
      v.map((a) => a * 0.3),
      1e-8,
      "log_x∘exp_x",
    );
  }
});

test("distance matches its closed forms and is a metric on samples", () => {
  for (const { c, d, r } of CASES) {
    const x = point(d, c, r);
    const y = point(d, c, r * 0.5);
    const zero = new Array(d).fill(0);
    const sc = Math.sqrt(c);
    assert.ok(Math.abs(poincareDistance(zero, x, c) - (2 / sc) * Math.atanh(sc * norm(x))) < 1e-12);
    const diff2 = x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0);
    const x2 = norm(x) ** 2;
    const y2 = norm(y) ** 2;
    const acosh = (1 / sc) * Math.acosh(1 + (2 * c * diff2) / ((1 - c * x2) * (1 - c * y2)));
    assert.ok(Math.abs(poincareDistance(x, y, c) - acosh) < 1e-9 * (1 + acosh), `arcosh form, c=${c}`);
    assert.ok(Math.abs(poincareDistance(x, y, c) - poincareDistance(y, x, c)) < 1e-12);
    const z = point(d, c, 0.4);
    assert.ok(poincareDistance(x, y, c) <= poincareDistance(x, z, c) + poincareDistance(z, y, c) + 1e-12);
  }
});

test("midpoint: {x, −x} → 0, one point → itself, two points → equidistant on the geodesic", () => {
  const c = 1.5;
  const x = point(4, c, 0.8);
  close(gyroMidpoint([x, x.map((v) => -v)], c), [0, 0, 0, 0], 1e-12, "mid{x,−x}");
  close(gyroMidpoint([x], c), x, 1e-12, "mid{x}");
  const y = point(4, c, 0.3);
  const m = gyroMidpoint([x, y], c);
  const dx = poincareDistance(m, x, c);
  const dy = poincareDistance(m, y, c);
  assert.ok(Math.abs(dx - dy) < 1e-9, `equidistant ${dx} vs ${dy}`);
  assert.ok(Math.abs(dx + dy - poincareDistance(x, y, c)) < 1e-9, "on the geodesic");
});

test("parallel transport preserves the Riemannian norm λ‖v‖", () => {
  const c = 0.8;
  const x = point(3, c, 0.6);
  const y = point(3, c, 0.9);
  const v = [0.2, -0.5, 0.1];
  const pv = parallelTransport(x, y, v, c);
  assert.ok(Math.abs(conformalFactor(y, c) * norm(pv) - conformalFactor(x, c) * norm(v)) < 1e-10);
});

test("clear errors for points on or outside the ball and bad curvature", () => {
  assert.throws(() => mobiusAdd([1, 0], [0, 0], 1), /x: lies on or outside the Poincaré ball/);
  assert.throws(() => poincareDistance([0, 0], [0.8, 0.8], 1), /y: lies on or outside/);
  assert.throws(() => logMap0([0.6, 0], 4), /y: lies on or outside/);
  assert.throws(() => expMap0([1, 2], 0), /c: must be a finite curvature/);
  assert.throws(() => mobiusAdd([0.1], [0.1, 0.2], 1), /y: has length 2, expected 1/);
  assert.throws(() => expMap0([NaN], 1), /v: has a non-finite entry/);
});

test("tfjs ball ops agree with the float64 reference", () => {
  const c = 1.3;
  const xs = [point(4, c, 0.2), point(4, c, 0.7), point(4, c, 0.9)];
  const ys = [point(4, c, 0.5), point(4, c, 0.1), point(4, c, 0.85)];
  const X = tf.tensor2d(xs);
  const Y = tf.tensor2d(ys);
  const rowsOf = (t: tf.Tensor) => t.arraySync() as number[][];
  rowsOf(ballMobiusAdd(X, Y, c)).forEach((r, i) => close(r, mobiusAdd(xs[i], ys[i], c), 2e-5, "⊕"));
  rowsOf(ballExpMap0(Y, c)).forEach((r, i) => close(r, expMap0(ys[i], c), 2e-5, "exp₀"));
  rowsOf(ballLogMap0(X, c)).forEach((r, i) => close(r, logMap0(xs[i], c), 2e-5, "log₀"));
  rowsOf(ballDistance(X, Y, c)).forEach((r, i) => close(r, [poincareDistance(xs[i], ys[i], c)], 2e-5, "d"));
  close(rowsOf(ballMidpoint(X, c))[0], gyroMidpoint(xs, c), 2e-5, "midpoint");
  const u = tf.tensor2d([xs[0]]);
  const v = tf.tensor2d([ys[1]]);
  rowsOf(ballGyration(u, v, Y, c)).forEach((r, i) => close(r, gyration(xs[0], ys[1], ys[i], c), 2e-5, "gyr"));
});

test("hand-written exp₀/log₀ gradients match finite differences, including near the origin", () => {
  for (const c of [0.5, 2]) {
    for (const scale of [1e-4, 0.05, 0.4]) {
      const v = point(3, c, scale);
      const wts = [0.3, -1.1, 0.7];
      for (const [name, op, ref] of [
        ["exp₀", ballExpMap0, expMap0],
        ["log₀", ballLogMap0, logMap0],
      ] as const) {
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(op(t as tf.Tensor2D, c), tf.tensor2d([wts]))))(
          tf.tensor2d([v]),
        );
        const f = (p: number[]) => ref(p, c).reduce((s, a, i) => s + a * wts[i], 0);
        const fd = v.map((_, i) => {
          const h = 1e-6;
          const p = v.slice();
          const m = v.slice();
          p[i] += h;
          m[i] -= h;
          return (f(p) - f(m)) / (2 * h);
        });
        close(Array.from(g.dataSync()), fd, 1e-4, `${name} grad c=${c} r=${scale}`);
      }
    }
  }
});

test("identity init makes a Poincaré linear layer the identity (tfjs layer)", () => {
  const c = 0.7;
  const layer = new PoincareLinear(6, 6, c, "identity", new Rng(1));
  const xs = [point(6, c, 0.1), point(6, c, 0.6), point(6, c, 0.95)];
  (layer.forward(tf.tensor2d(xs)).arraySync() as number[][]).forEach((r, i) => close(r, xs[i], 1e-5, "identity"));
  assert.throws(() => new PoincareLinear(6, 4, c, "identity", new Rng(1)), /init: "identity" needs din ≤ dout/);
});

test("midpoint batch norm: tfjs and float64 rows agree; output dispersion around b equals the weight", () => {
  const c = 1;
  const n = 16;
  const d = 3;
  const xs = Array.from({ length: n }, (_, i) => point(d, c, 0.2 + (0.7 * i) / n));
  const bias = [0.2, -0.1, 0.3];
  const weight = 0.5;
  const bn = new PoincareMidpointBatchNorm(d, c);
  bn.bias.assign(tf.tensor2d([bias]));
  bn.weight.assign(tf.scalar(weight));
  const tfOut = bn.forward(tf.tensor2d(xs)).arraySync() as number[][];
  const rows = midpointBatchNormRows(Float64Array.from(xs.flat()), n, d, c, Float64Array.from(bias), weight);
  tfOut.forEach((r, i) => close(r, Array.from(rows.y.slice(i * d, (i + 1) * d)), 2e-4, "bn tf vs rows"));
  // isometries and scaling about the midpoint: mean d(b, y)² = w σ²/(σ² + 1e-6) ≈ w
  const b = expMap0(bias, c);
  const out = Array.from({ length: n }, (_, i) => Array.from(rows.y.slice(i * d, (i + 1) * d)));
  const disp = out.reduce((s, y) => s + poincareDistance(b, y, c) ** 2, 0) / n;
  assert.ok(Math.abs(disp - weight) < 1e-5, `dispersion ${disp}`);
});

test("Poincaré ResNet hand-written backward matches central differences (float64, every init)", () => {
  for (const init of ["identity", "shimizu", "xavier"] as const) {
    const r = new Rng(5);
    const net = new PoincareResNet({ inputDim: 4, width: 4, blocks: 2, classes: 3, c: 0.7, init, inputScale: 0.8 }, r);
    const n = 5;
    const x = Array.from({ length: n * 4 }, () => r.normal());
    const y = Array.from({ length: n }, (_, i) => i % 3);
    const p = net.read();
    for (const k of Object.keys(p)) p[k] = p[k].map((v) => v + 0.1 * r.normal());
    const { grads } = net.lossAndGrads(x, y, n, p);
    let worst = 0;
    for (const k of Object.keys(p))
      for (let i = 0; i < p[k].length; i++) {
        const h = 1e-6;
        const pp = { ...p, [k]: Float64Array.from(p[k]) };
        const pm = { ...p, [k]: Float64Array.from(p[k]) };
        pp[k][i] += h;
        pm[k][i] -= h;
        const fd = (net.lossAndGrads(x, y, n, pp).loss - net.lossAndGrads(x, y, n, pm).loss) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[k][i]) / Math.max(1e-3, Math.abs(fd)));
      }
    assert.ok(worst < 1e-4, `${init}: worst relative error ${worst}`);
    net.dispose();
  }
});
