// IncreLoRA known answers: the sensitivity score read in the backward pass against an
// independent ∂L/∂W, the frozen reserve and free slots under training, growth turning the
// reserve active (scaling α/ranknum), the reserve switched off at the target, the warm-up of
// new parameters under plain SGD, the allocator's top-h choice on members with given scores,
// and growth driven by train() alone on a tiny MLP.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP, IncreloraAdapter, IncreloraAllocator } from "../../src/adapters";
import type { IncreloraMember } from "../../src/adapters/increlora/allocator";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { train } from "../../src/train/loop";
import { toyMlpTask } from "./adapter-helpers";

const named = (re: RegExp) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && re.test(e.message);

function gauss(rows: number, cols: number, s: number, std = 1): tf.Tensor2D {
  const rng = new Rng(s);
  return tf.tensor2d(
    Array.from({ length: rows * cols }, () => rng.normal() * std),
    [rows, cols],
  );
}

const IN = 6;
const OUT = 5;

/** One gradient step's pieces for loss mean((h W_eff − y)²), h built inside a tidy (as in a model's forward). */
function stepGrads(ad: IncreloraAdapter, x: tf.Tensor2D, y: tf.Tensor2D) {
  return tf.variableGrads(
    () => tf.tidy(() => tf.mean(tf.square(tf.sub(ad.forward(tf.mul(x, 1) as tf.Tensor2D), y))) as tf.Scalar),
    ad.trainableVariables(),
  );
}

test("sensitivity score = Σ|ΔW ⊙ ∂L/∂W| / √(in·out), ∂L/∂W computed independently", async () => {
  await backendReady();
  const w0 = gauss(IN, OUT, 1);
  const x = gauss(7, IN, 2);
  const y = gauss(7, OUT, 3);
  const ad = new IncreloraAdapter(w0, { r: 3, startR: 1, targetR: 2, alpha: 4, seed: 5 });
  ad.E.assign(tf.tensor1d([0.5, 1e-5, 0])); // a non-zero active λ so ΔW is not tiny
  const dW = ad.deltaW();
  const weff = tf.add(w0, dW) as tf.Tensor2D;
  const g = tf.grad((w: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.matMul(x, w as tf.Tensor2D), y))))(weff);
  const want = tf.div(tf.sum(tf.abs(tf.mul(dW, g))), Math.sqrt(IN * OUT)).dataSync()[0];
  const { value, grads } = stepGrads(ad, x, y);
  const got = ad.takeScore();
  assert.ok(got !== null && Math.abs(got - want) <= 1e-5 * want, `${got} vs ${want}`);
  assert.equal(ad.takeScore(), null, "a score is taken once");
  value.dispose();
  Object.values(grads).forEach((t) => t.dispose());
  ad.dispose();
});

test("slots: reserve λ frozen at 1e-5, free slots untouched; growth activates the reserve, s = α/ranknum; finish zeroes reserves", async () => {
  await backendReady();
  const w0 = gauss(IN, OUT, 4);
  const x = gauss(9, IN, 5);
  const y = gauss(9, OUT, 6);
  const ad = new IncreloraAdapter(w0, { r: 4, startR: 1, targetR: 3, incrementRank: 1, alpha: 6, seed: 7 });
  assert.deepEqual(ad.slotStates(), ["active", "reserve", "free", "free"]);
  assert.equal(ad.scale, 6);
  const A0 = ad.A.arraySync();
  const opt = tf.train.adam(0.05);
  const step = () => {
    const { value, grads } = stepGrads(ad, x, y);
    const g = ad.transformGrads(grads);
    opt.applyGradients(g as unknown as Parameters<typeof opt.applyGradients>[0]);
    value.dispose();
    for (const t of new Set([...Object.values(grads), ...Object.values(g)])) t.dispose();
  };
  for (let i = 0; i < 3; i++) step();
  let e = ad.E.dataSync();
  assert.ok(Math.abs(e[1] - 1e-5) < 1e-12, "reserve λ frozen");
  assert.equal(e[2], 0);
  const A1 = ad.A.arraySync();
  assert.ok(
    A1.some((row, i) => row[1] !== A0[i][1]),
    "reserve A trains (advance learning)",
  );
  assert.ok(
    A1.every((row, i) => row[2] === A0[i][2] && row[3] === A0[i][3]),
    "free slots untouched",
  );
  ad.grow(3);
  assert.deepEqual(ad.slotStates(), ["active", "active", "reserve", "free"]);
  assert.equal(ad.scale, 3, "α / ranknum with ranknum 2");
  e = ad.E.dataSync();
  assert.ok(
    Math.abs(e[1] - 1e-5) < 1e-12 && Math.abs(e[2] - 1e-5) < 1e-12,
    "activated λ starts at 1e-5; new reserve at 1e-5",
  );
  step();
  assert.notEqual(ad.E.dataSync()[1], e[1], "activated λ trains");
  ad.finish();
  assert.deepEqual(ad.slotStates(), ["active", "active", "dead", "free"]);
  assert.equal(ad.E.dataSync()[2], 0);
  assert.equal(ad.activeParameterCount(), 2 * (IN + OUT + 1));
  assert.equal(ad.parameterCount(), 4 * (IN + OUT + 1));
  opt.dispose();
  ad.dispose();
});

test("new parameters warm up: under SGD the first update after growth is 1/newWarmup of the plain one", async () => {
  await backendReady();
  const w0 = gauss(IN, OUT, 8);
  const x = gauss(9, IN, 9);
  const y = gauss(9, OUT, 10);
  const run = (newWarmup: number) => {
    const ad = new IncreloraAdapter(w0, { r: 4, startR: 1, targetR: 3, incrementRank: 1, seed: 11, newWarmup });
    ad.postStep(1);
    ad.grow(1); // slot 1 active (λ born at 1), slot 2 a new reserve (A, B born at 1)
    const before = { A: ad.A.arraySync(), E: Array.from(ad.E.dataSync()) };
    const { value, grads } = stepGrads(ad, x, y);
    const g = ad.transformGrads(grads);
    tf.train.sgd(0.1).applyGradients(g as tf.NamedTensorMap);
    ad.postStep(2);
    const out = {
      dA: ad.A.arraySync().map((row, i) => row.map((v, k) => v - before.A[i][k])),
      dE: Array.from(ad.E.dataSync(), (v, k) => v - before.E[k]),
    };
    value.dispose();
    ad.dispose();
    return out;
  };
  const plain = run(0);
  const warm = run(4);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  assert.ok(Math.abs(plain.dE[1]) > 0 && close(warm.dE[1], plain.dE[1] / 4), "activated λ: (2 − 1)/4 of the step");
  assert.ok(close(warm.dE[0], plain.dE[0]), "old λ: full step");
  plain.dA.forEach((row, i) => {
    assert.ok(close(warm.dA[i][2], row[2] / 4), "new reserve A: 1/4 of the step");
    assert.ok(close(warm.dA[i][0], row[0]), "old A: full step");
  });
});

/** A member with a given score; counts growth. */
class FakeMember implements IncreloraMember {
  rank: number;
  grown: number[] = [];
  finished = false;
  constructor(
    public ipt: number,
    rank = 1,
    public room = 10,
  ) {
    this.rank = rank;
  }
  activeRank() {
    return this.rank;
  }
  canGrow() {
    return this.room > 0;
  }
  takeScore() {
    return this.ipt;
  }
  settle() {}
  grow(step: number) {
    this.rank += 1;
    this.room -= 1;
    this.grown.push(step);
  }
  finish() {
    this.finished = true;
  }
}

test("allocator: top-h by smoothed score every interval after warm-up, stops at n·targetR", () => {
  const sched = {
    startR: 1,
    targetR: 2,
    initWarmup: 2,
    interval: 2,
    topH: 2,
    incrementRank: 1,
    beta1: 0.5,
    beta2: 0.5,
  };
  const al = new IncreloraAllocator();
  const ms = [new FakeMember(3), new FakeMember(1), new FakeMember(2)];
  ms.forEach((m) => al.register(m, sched));
  assert.throws(() => al.register(new FakeMember(1), { ...sched, topH: 1 }), named(/config\.allocator: .*topH 2 vs 1/));
  al.onStep(1);
  al.onStep(2); // step = initWarmup: no growth yet
  assert.ok(ms.every((m) => m.grown.length === 0));
  // With constant scores ipt, Ī → ipt and Ū = |ipt − Ī| shrinks: Ī·Ū ranks 3 > 2 > 1 as ipt does.
  al.onStep(3); // odd: no growth
  al.onStep(4); // top-2 of 3: members 0 and 2
  assert.deepEqual(
    ms.map((m) => m.grown),
    [[4], [], [4]],
  );
  // Target total 6, total now 5: h = min(2, 1) = 1 → member 0 again; then finished.
  al.onStep(6);
  assert.deepEqual(
    ms.map((m) => m.rank),
    [3, 1, 2],
  );
  assert.ok(al.finished && ms.every((m) => m.finished));
  al.onStep(8);
  assert.deepEqual(
    al.history.map((h) => [h.step, ...h.ranks]),
    [
      [4, 2, 1, 2],
      [6, 3, 1, 2],
    ],
  );
});

test("config errors are named", async () => {
  await backendReady();
  const w0 = gauss(IN, OUT, 12);
  assert.throws(
    () => new IncreloraAdapter(w0, { r: 2, startR: 2 }),
    named(/config\.r: is 2; it must hold startR \+ incrementRank = 3 slots/),
  );
  assert.throws(() => new IncreloraAdapter(w0, { r: 3, topH: 0 }), named(/config\.topH: must be an integer ≥ 1/));
  assert.throws(() => new IncreloraAdapter(w0, { r: 3, beta1: 1 }), named(/config\.beta1: must be in \(0, 1\)/));
  assert.throws(() => new IncreloraAdapter(w0, { r: 3, allocator: {} as never }), named(/config\.allocator/));
  w0.dispose();
});

test("train() alone drives the growth: 1 → average target, growth events on schedule", async () => {
  await backendReady();
  const { mlp, data } = toyMlpTask();
  const allocator = new IncreloraAllocator();
  const cfg = {
    r: 6,
    startR: 1,
    targetR: 3,
    topH: 1,
    incrementRank: 1,
    initWarmup: 3,
    interval: 3,
    seed: 4,
    newWarmup: 2,
    allocator,
  };
  const model = new AdaptedMLP(mlp, { method: "increlora", config: cfg, layers: [0, 1], trainHead: true });
  await train(model, data, { steps: 20, batchSize: 16, seed: 1, lr: 0.02, hooks: model.trainHooks() });
  const ads = model.adapters.filter((a): a is IncreloraAdapter => a instanceof IncreloraAdapter);
  // Total 2 → 6 by one component per event at steps 6, 9, 12, 15.
  assert.deepEqual(
    allocator.history.map((h) => h.step),
    [6, 9, 12, 15],
  );
  assert.equal(ads[0].activeRank() + ads[1].activeRank(), 6);
  assert.ok(allocator.finished);
  ads.forEach((a) => assert.ok(!a.slotStates().includes("reserve"), "reserves switched off at the target"));
  model.dispose();
});

test("view: the growth check replays the plan and counts deviations", async () => {
  const { growthPlan, growthViolations } = await import("../../src/papers/increlora/checks");
  const settings = { steps: 400, midRank: 4, hidden: [256, 256] };
  assert.deepEqual(growthPlan(settings), { steps: [80, 120, 160], inc: 2 });
  const rec = (ev: number[][], ranks: string, reached = 1) => ({
    id: "IncreLoRA r=1→4",
    seed: 0,
    extra: { increloraGrowth: JSON.stringify(ev), increloraRanks: ranks, targetReached: reached },
  });
  const view = (recs: object[]) => ({ records: recs, settings }) as never;
  const good = [
    [80, 3, 1],
    [120, 3, 3],
    [160, 5, 3],
  ];
  assert.deepEqual(growthViolations(view([rec(good, "5/3")])), { violations: 0, events: 3 });
  assert.equal(
    growthViolations(view([rec([[80, 3, 3], ...good.slice(1)], "5/3")])).violations,
    2,
    "both grew at step 80, and then step 120 added nothing",
  );
  assert.equal(growthViolations(view([rec(good, "5/3", 0)])).violations, 1, "target not reached");
  assert.equal(
    growthViolations(
      view([
        rec(
          good.map(([s, a, b]) => [s + 1, a, b]),
          "5/3",
        ),
      ]),
    ).violations,
    1,
    "off-plan steps",
  );
});
