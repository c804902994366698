// The name → factory registries of optimizers, mask criteria, inits and growth operators:
// table-driven checks of registration (fixtures appear, duplicates, bad and unknown names
// are named errors) and hand-computed answers for what the built-in entries return.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../src/core/random";
import { backendReady } from "../../src/nn/backend";
import { createInit, initNames, registerInit } from "../../src/nn/init-registry";
import { growthEntry, growthNames, registerGrowth } from "../../src/nn/growth-registry";
import { createOptimizer, optimizerEntry, optimizerNames, registerOptimizer } from "../../src/optim/registry";
import { createMask, maskNames, registerMask, topScoreMask } from "../../src/prune/registry";
import { MaskSet } from "../../src/prune/mask";

const named = (re: RegExp) => (e: unknown) => e instanceof Error && re.test(e.message);

interface RegistryCase {
  names(): string[];
  register(name: string): void;
  /** Uses a name (creates or looks it up); must throw for an unknown one. */
  use(name: string): unknown;
  builtins: string[];
}

const CASES: Record<string, RegistryCase> = {
  optimizer: {
    names: optimizerNames,
    register: (n) => registerOptimizer(n, { create: (lr) => tf.train.sgd(lr), stateFloats: () => 0 }),
    use: (n) => createOptimizer(n, 0.1),
    builtins: ["adam", "sgd", "momentum", "galore", "fira", "q-galore", "gradnormlorp"],
  },
  mask: {
    names: maskNames,
    register: (n) => registerMask(n, (ctx) => MaskSet.ones(ctx.vars.map((v) => [...v.shape]))),
    use: (n) => createMask(n, { vars: [tf.variable(tf.ones([2, 2]))], rng: new Rng(0) }, 0.5),
    builtins: ["magnitude", "random", "erk", "snip", "grasp"],
  },
  init: {
    names: initNames,
    register: (n) => registerInit(n, (a, b) => new Float32Array(a * b).fill(1)),
    use: (n) => createInit(n, 3, 2),
    builtins: ["he", "glorot", "lecun", "torch", "zero"],
  },
  growth: {
    names: growthNames,
    register: (n) => registerGrowth(n, { grows: "fixture", description: "fixture", apply: () => null }),
    use: (n) => growthEntry(n),
    builtins: ["stack", "mixture", "stage-expand"],
  },
};

for (const [kind, c] of Object.entries(CASES)) {
  test(`${kind} registry: built-ins, a fixture appears, duplicates and bad or unknown names are named errors`, async () => {
    await backendReady();
    for (const b of c.builtins) assert.ok(c.names().includes(b), `${b} is registered`);
    const fixture = `fixture-${kind}`;
    assert.ok(!c.names().includes(fixture));
    c.register(fixture);
    assert.equal(c.names()[c.names().length - 1], fixture);
    assert.ok(c.use(fixture));
    assert.throws(() => c.register(fixture), named(/already registered/));
    assert.throws(() => c.register("Bad Name"), named(/^name: must be a lower-case identifier/));
    assert.throws(() => c.use("no-such-method"), named(/^name: unknown .*"no-such-method".*registered: /));
  });
}

test("registrations with a missing factory are refused, naming the argument", () => {
  assert.throws(
    () => registerOptimizer("x-opt", { create: (lr: number) => tf.train.sgd(lr) } as never),
    named(/entry\.stateFloats/),
  );
  assert.throws(() => registerMask("x-mask", null as never), named(/^criterion:/));
  assert.throws(() => registerInit("x-init", 3 as never), named(/^factory:/));
  assert.throws(
    () => registerGrowth("x-growth", { grows: "", description: "", apply: () => 0 }),
    named(/entry\.grows/),
  );
});

test("optimizer state: Adam 2 floats per parameter, momentum 1, SGD 0; GaLore counts its projected moments", async () => {
  await backendReady();
  const shapes = [[20, 12], [12]];
  const n = 20 * 12 + 12;
  assert.equal(optimizerEntry("adam").stateFloats(createOptimizer("adam", 1e-3), shapes), 2 * n);
  assert.equal(optimizerEntry("momentum").stateFloats(createOptimizer("momentum", 1e-3), shapes), n);
  assert.equal(optimizerEntry("sgd").stateFloats(createOptimizer("sgd", 1e-3), shapes), 0);
  // One GaLore step on a 20×12 kernel at rank 4 (projected on the right, 12 > 4): moments 20×4
  // twice, projector 12×4; the bias keeps full Adam moments (12 twice).
  const w = tf.variable(tf.randomNormal([20, 12], 0, 1, "float32", 1));
  const b = tf.variable(tf.zeros([12]));
  const opt = createOptimizer("galore", 1e-3, { rank: 4 });
  opt.minimize(() => tf.sum(tf.add(tf.matMul(tf.ones([1, 20]), w), b)) as tf.Scalar, false, [w, b]);
  assert.equal(optimizerEntry("galore").stateFloats(opt, shapes), 2 * 20 * 4 + 12 * 4 + 2 * 12);
  assert.throws(() => createOptimizer("adam", 0), named(/^lr:/));
});

test("topScoreMask keeps exactly round(d·n) entries with the largest scores, pooled over layers", () => {
  const m = topScoreMask([Float32Array.from([5, 1, 3, 0]), Float32Array.from([4, 2])], [[2, 2], [2]], 0.5);
  assert.deepEqual(Array.from(m.layers[0].data), [1, 0, 1, 0]);
  assert.deepEqual(Array.from(m.layers[1].data), [1, 0]);
  assert.throws(() => topScoreMask([Float32Array.from([NaN])], [[1]], 1), named(/scores\[0\]/));
  assert.throws(() => topScoreMask([Float32Array.from([1, 2])], [[3]], 1), named(/scores\[0\]/));
});

test("mask criteria: magnitude keeps the largest |w|, random/erk hit the density, snip/grasp need a loss", async () => {
  await backendReady();
  const w = tf.variable(
    tf.tensor2d([
      [0.1, -3],
      [2, -0.5],
    ]),
  );
  const mag = createMask("magnitude", { vars: [w], rng: new Rng(0) }, 0.5);
  assert.deepEqual(Array.from(mag.layers[0].data), [0, 1, 1, 0]);
  const big = [tf.variable(tf.zeros([40, 30])), tf.variable(tf.zeros([30, 10]))];
  for (const name of ["random", "erk"]) {
    const m = createMask(name, { vars: big, rng: new Rng(1) }, 0.25);
    const kept = m.layers.reduce((a, l) => a + l.data.reduce((s, x) => s + x, 0), 0);
    assert.ok(Math.abs(kept - 0.25 * 1500) <= 2, `${name} keeps ${kept}`);
  }
  assert.throws(() => createMask("snip", { vars: [w], rng: new Rng(0) }, 0.5), named(/^ctx\.loss:/));
  // SNIP on loss = Σ c ⊙ w: scores |c ⊙ w| = [0.1, 3, 6, 0.5] → keeps entries 1 and 2.
  const c = tf.tensor2d([
    [1, 1],
    [3, 1],
  ]);
  const snip = createMask("snip", { vars: [w], loss: () => tf.sum(tf.mul(c, w)) as tf.Scalar, rng: new Rng(0) }, 0.5);
  assert.deepEqual(Array.from(snip.layers[0].data), [0, 1, 1, 0]);
  assert.throws(() => createMask("magnitude", { vars: [w], rng: new Rng(0) }, 0), named(/^density:/));
});

test("inits: registered schemes have the right shape and scale; zero is zero", () => {
  seed(3);
  const he = createInit("he", 400, 50);
  const v = he.reduce((a, x) => a + x * x, 0) / he.length;
  assert.ok(Math.abs(v - 2 / 400) < 0.1 * (2 / 400), `he variance ${v}`);
  assert.ok(createInit("zero", 4, 3).every((x) => x === 0));
  assert.throws(() => createInit("he", 0, 3), named(/^fanIn:/));
});
