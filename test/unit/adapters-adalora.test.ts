// AdaLoRA known answers: the cubic budget schedule at given steps (hand-computed, with the
// reference's truncation), its input errors, the allocator's global top-b masking on members
// with given scores, the importance EMAs against a float64 recomputation, the orthogonality
// penalty on constructed factors, and the schedule driven by train() alone on a tiny MLP.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdaloraAdapter, AdaloraAllocator, adaloraBudget, AdaptedMLP } from "../../src/adapters";
import type { AdaloraMember } from "../../src/adapters/adalora/allocator";
import { orthPenalty } from "../../src/adapters/orth";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import { train } from "../../src/train/loop";
import { toyMlpTask } from "./adapter-helpers";

const named = (re: RegExp) => (e: unknown) =>
  e instanceof Error && e.name === "InitlabInputError" && re.test(e.message);

// initR 12 → targetR 8, warm-up 10, final 20, 110 steps: the decrease spans steps 11..90 (80 steps).
const S1 = { initR: 12, targetR: 8, tInit: 10, tFinal: 20, totalSteps: 110 };
// initR 6 → 4 over 10 steps without warm-up or final phase.
const S2 = { initR: 6, targetR: 4, tInit: 0, tFinal: 0, totalSteps: 10 };

test("adaloraBudget: hand-computed values at given steps (truncation, phase boundaries)", () => {
  const cases: Array<[typeof S1, number, number, string]> = [
    [S1, 0, 12, "warm-up"],
    [S1, 10, 12, "step = tInit is still warm-up"],
    [S1, 11, 11, "8 + 4·(79/80)³ = 11.85 → 11"],
    [S1, 20, 10, "8 + 4·0.875³ = 10.68 → 10 (truncated, not rounded)"],
    [S1, 30, 9, "8 + 4·0.75³ = 9.6875 → 9"],
    [S1, 50, 8, "8 + 4·0.5³ = 8.5 → 8"],
    [S1, 90, 8, "step = T − tFinal: cubic factor 0"],
    [S1, 91, 8, "final phase"],
    [S1, 500, 8, "past the end"],
    [S2, 1, 5, "4 + 2·0.9³ = 5.458 → 5"],
    [S2, 2, 5, "4 + 2·0.8³ = 5.024 → 5"],
    [S2, 3, 4, "4 + 2·0.7³ = 4.686 → 4"],
    [S2, 10, 4, "end"],
    [{ ...S1, initR: 36, targetR: 24 }, 30, 29, "global budget of 3 matrices: 24 + 12·0.421875 = 29.06 → 29 (≠ 3·9)"],
  ];
  for (const [o, step, want, why] of cases) assert.equal(adaloraBudget(step, o), want, `step ${step}: ${why}`);
});

test("adaloraBudget: bad input is named", () => {
  assert.throws(
    () => adaloraBudget(5, { ...S2, tInit: 4, tFinal: 6 }),
    named(/options\.tInit: tInit \+ tFinal = 10 must be below totalSteps = 10/),
  );
  assert.throws(
    () => adaloraBudget(5, { ...S2, targetR: 7 }),
    named(/options\.targetR: is 7; it cannot exceed initR = 6/),
  );
  assert.throws(() => adaloraBudget(5, { ...S2, initR: 0, targetR: 0 }), named(/options\.initR: must be at least 1/));
  assert.throws(
    () => adaloraBudget(5, { ...S2, totalSteps: 2.5 }),
    named(/options\.totalSteps: must be a non-negative integer/),
  );
  assert.throws(() => adaloraBudget(-1, S2), named(/^step: must be a non-negative integer/));
  assert.throws(() => adaloraBudget(1.5, S2), named(/^step:/));
  assert.throws(() => adaloraBudget(1, null as never), named(/^options: must be an object/));
  assert.throws(() => adaloraBudget(1, { ...S2, tFinal: undefined } as never), named(/options\.tFinal/));
});

/** A member with scores set by the test; counts the allocator's calls. */
class FakeMember implements AdaloraMember {
  updates = 0;
  drops = 0;
  keep: boolean[];
  constructor(
    readonly r: number,
    public scores: number[],
  ) {
    this.keep = scores.map(() => true);
  }
  updateImportance() {
    this.updates++;
  }
  dropGradients() {
    this.drops++;
  }
  resetImportance() {}
  tripletScores() {
    return Float32Array.from(this.scores);
  }
  applyPattern(keep: boolean[]) {
    this.keep = [...keep];
  }
}

test("allocator: one action per step across members, global top-b masking, pattern fixed at T − tFinal", () => {
  const sched = { initR: 3, targetR: 1, tInit: 0, tFinal: 2, totalSteps: 6, deltaT: 1 };
  const al = new AdaloraAllocator();
  const m1 = new FakeMember(3, [5, 1, 3]);
  const m2 = new FakeMember(3, [2, 4, 0.5]);
  al.register(m1, sched);
  al.register(m2, sched);
  assert.throws(
    () => al.register(new FakeMember(3, [1, 1, 1]), { ...sched, targetR: 2 }),
    named(/config\.allocator: .*targetR 1 vs 2/),
  );
  // Step 1: b = 2 + 4·(1 − 1/4)³ = 3.6875 → 3 of 6 slots; the 3 smallest scores (0.5, 1, 2) go.
  al.onStep(1);
  al.onStep(1); // the second member's postStep of the same step: no second action
  assert.equal(m1.updates, 1);
  assert.equal(m2.updates, 1);
  assert.deepEqual(m1.keep, [true, false, true]);
  assert.deepEqual(m2.keep, [false, true, false]);
  assert.deepEqual(al.history[0], { step: 1, budget: 3, active: 3 });
  // Step 4 = T − tFinal: b = 2 (target), fixed; no importance update at the boundary.
  al.onStep(4);
  assert.equal(m1.updates, 1, "no update at the boundary (HF: only while step < T − tFinal)");
  assert.deepEqual(m1.keep, [true, false, false]);
  assert.deepEqual(m2.keep, [false, true, false]);
  // Step 5: scores change but the fixed pattern is re-applied.
  m1.scores = [0, 9, 9];
  al.onStep(5);
  assert.deepEqual(m1.keep, [true, false, false]);
  assert.deepEqual(al.patternOf(m1), [true, false, false]);
  assert.deepEqual(
    al.history.map((h) => [h.step, h.budget, h.active]),
    [
      [1, 3, 3],
      [4, 2, 2],
    ],
  );
});

test("allocator: no masking in warm-up or off the ΔT grid", () => {
  const sched = { initR: 2, targetR: 1, tInit: 2, tFinal: 0, totalSteps: 10, deltaT: 3 };
  const al = new AdaloraAllocator();
  const m = new FakeMember(2, [1, 2]);
  al.register(m, sched);
  for (const s of [1, 2, 4, 5]) al.onStep(s);
  assert.equal(al.history.length, 0, "steps ≤ tInit and steps not divisible by ΔT do not mask");
  al.onStep(6);
  assert.equal(al.history.length, 1);
  assert.equal(m.updates, 5);
});

test("importance: Ī, Ū EMAs and the triplet score match a float64 recomputation", async () => {
  await backendReady();
  const rng = new Rng(5);
  const base = tf.tensor2d(
    Array.from({ length: 4 * 3 }, () => rng.normal()),
    [4, 3],
  );
  const b1 = 0.8;
  const b2 = 0.6;
  const ad = new AdaloraAdapter(base, { r: 2, totalSteps: 100, tInit: 50, beta1: b1, beta2: b2, seed: 2 });
  const vars = ad.trainableVariables();
  // Give λ non-zero values so every term is non-trivial.
  ad.E.assign(tf.tensor1d([0.3, -0.7]));
  const emaI = vars.map((v) => new Float64Array(v.size));
  const emaU = vars.map((v) => new Float64Array(v.size));
  for (let step = 1; step <= 2; step++) {
    const grads: Record<string, tf.Tensor> = {};
    const gArr = vars.map((v) => Array.from({ length: v.size }, () => rng.normal()));
    vars.forEach((v, i) => (grads[v.name] = tf.tensor(gArr[i], v.shape)));
    assert.equal(ad.transformGrads(grads), grads, "gradients returned unchanged");
    // A pretend optimizer step: θ changes between the capture and the scoring (HF scores θ after the step).
    vars.forEach((v) => v.assign(tf.add(v, 0.01)));
    ad.postStep(step);
    vars.forEach((v, i) => {
      const th = v.dataSync();
      for (let j = 0; j < v.size; j++) {
        const ipt = Math.abs(th[j] * gArr[i][j]);
        emaI[i][j] = b1 * emaI[i][j] + (1 - b1) * ipt;
        emaU[i][j] = b2 * emaU[i][j] + (1 - b2) * Math.abs(ipt - emaI[i][j]);
      }
    });
    Object.values(grads).forEach((t) => t.dispose());
  }
  // Triplet: s(λ_k) + mean over in of s(A_ik) + mean over out of s(B_kj), s = Ī·Ū.
  const s = (i: number, j: number) => emaI[i][j] * emaU[i][j];
  const want = [0, 1].map((k) => {
    let a = 0;
    for (let row = 0; row < 4; row++) a += s(0, row * 2 + k);
    let b = 0;
    for (let col = 0; col < 3; col++) b += s(2, k * 3 + col);
    return s(1, k) + a / 4 + b / 3;
  });
  const got = ad.tripletScores();
  want.forEach((w, k) => assert.ok(Math.abs(got[k] - w) <= 1e-5 * Math.abs(w) + 1e-9, `slot ${k}: ${got[k]} vs ${w}`));
  ad.dispose();
  base.dispose();
});

test("orthogonality penalty: 0 on orthonormal factors, 3√r at twice orthonormal, masked slots ignored", async () => {
  await backendReady();
  // A [4, 2] with orthonormal columns, B [2, 3] with orthonormal rows.
  const A = tf.tensor2d([0.6, 0, 0.8, 0, 0, 1, 0, 0], [4, 2]);
  const B = tf.tensor2d([1, 0, 0, 0, 0.6, 0.8], [2, 3]);
  assert.ok(Math.abs(orthPenalty(A, B).dataSync()[0]) < 1e-6);
  // 2A: AᵀA = 4I → ‖3I‖ = 3√2; B unchanged.
  const twice = orthPenalty(tf.mul(A, 2) as tf.Tensor2D, B).dataSync()[0];
  assert.ok(Math.abs(twice - 3 * Math.SQRT2) < 1e-5, `${twice}`);
  // A third slot of garbage, masked out, changes nothing.
  const A3 = tf.concat([A, tf.tensor2d([5, 5, 5, 5], [4, 1])], 1) as tf.Tensor2D;
  const B3 = tf.concat([B, tf.tensor2d([7, 7, 7], [1, 3])], 0) as tf.Tensor2D;
  assert.ok(Math.abs(orthPenalty(A3, B3, tf.tensor1d([1, 1, 0])).dataSync()[0]) < 1e-6);
  // The adapter's regLoss = γ/2 · penalty.
  const base = tf.zeros([4, 3]) as tf.Tensor2D;
  const ad = new AdaloraAdapter(base, { r: 2, totalSteps: 10, orthWeight: 0.4, seed: 1 });
  const pen = ad.orthoLoss().dataSync()[0];
  assert.ok(Math.abs(ad.regLoss().dataSync()[0] - 0.2 * pen) < 1e-6);
  ad.dispose();
});

test("train() alone drives the schedule: budgets b(t) followed at every masking step, target reached", async () => {
  await backendReady();
  const { mlp, data } = toyMlpTask();
  const allocator = new AdaloraAllocator();
  const T = 30;
  const cfg = { r: 3, targetR: 1, totalSteps: T, tInit: 3, tFinal: 9, deltaT: 2, seed: 4, allocator };
  const model = new AdaptedMLP(mlp, { method: "adalora", config: cfg, layers: [0, 1], trainHead: true });
  await train(model, data, { steps: T, batchSize: 16, seed: 1, lr: 0.02, hooks: model.trainHooks() });
  const ads = model.adapters.filter((a): a is AdaloraAdapter => a instanceof AdaloraAdapter);
  assert.equal(allocator.size, 2);
  // Masking events: even steps in (tInit, T − tFinal) plus the boundary 21.
  const wantSteps = [4, 6, 8, 10, 12, 14, 16, 18, 20, 21];
  assert.deepEqual(
    allocator.history.map((h) => h.step),
    wantSteps,
  );
  for (const h of allocator.history) {
    assert.equal(h.budget, adaloraBudget(h.step, { initR: 6, targetR: 2, tInit: 3, tFinal: 9, totalSteps: T }));
    assert.equal(h.active, h.budget, `step ${h.step}: live slots = budget`);
  }
  const live = ads.map((a) => a.activeRank());
  assert.equal(live[0] + live[1], 2, "final global budget n·targetR");
  // Masked λ's are zero after the last step (pattern re-applied each final step).
  ads.forEach((a) => {
    const e = a.E.dataSync();
    a.rankPattern().forEach((k, i) => {
      if (!k) assert.equal(Math.abs(e[i]), 0);
    });
  });
  model.dispose();
});

test("view: the schedule check replays adaloraBudget and counts a corrupted event", async () => {
  const { scheduleViolations } = await import("../../src/papers/adalora/checks");
  const settings = { steps: 400, midRank: 4, hidden: [256, 256] };
  // The expected events at 400 steps: tInit 60, tFinal 180, ΔT 10 → steps 70..210 and 220.
  const o = { initR: 12, targetR: 8, tInit: 60, tFinal: 180, totalSteps: 400 };
  const steps = [...Array.from({ length: 15 }, (_, i) => 70 + 10 * i), 220];
  const events = steps.map((s) => [s, adaloraBudget(s, o), adaloraBudget(s, o)]);
  const rec = (ev: number[][], ranks = "5/3") => ({
    id: "AdaLoRA r=6→4",
    seed: 0,
    extra: { adaloraBudget: JSON.stringify(ev), adaloraRanks: ranks },
  });
  const view = (recs: object[]) => ({ records: recs, settings }) as never;
  assert.deepEqual(scheduleViolations(view([rec(events)])), { violations: 0, events: 16 });
  const bad = events.map((e) => [...e]);
  bad[3][2] += 1; // one event kept a slot too many
  assert.equal(scheduleViolations(view([rec(bad)])).violations, 1);
  assert.equal(scheduleViolations(view([rec(events.slice(1))])).violations, 1, "a missing masking step");
  assert.equal(scheduleViolations(view([rec(events, "5/4")])).violations, 1, "final total ≠ n·targetR");
});
