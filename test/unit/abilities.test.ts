// The abilities generator against hand-worked answers, its encoding, and the learning-curve
// summaries (volume to reach a target, log-volume area, Kendall's τ-b) on hand-computed cases.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Rng } from "../../src/core/random";
import {
  ABILITIES,
  ABILITY_DIM,
  ABILITY_PAD,
  abilityAnswer,
  abilityExample,
  abilityExamples,
  encodeAbilities,
} from "../../src/data/abilities";
import { kendallTau, logVolumeArea, volumeToReach } from "../../src/metrics/learning-curves";

const answers: Array<[string, number[], number[]]> = [
  ["copy", [3, 0, 7], [3, 0, 7]],
  ["reverse", [3, 0, 7, 1], [1, 7, 0, 3]],
  ["sort", [3, 0, 7, 0], [0, 0, 3, 7]],
  ["add", [4, 7, 5, 8], [1, 0, 5]], // 47 + 58 = 105
  ["add", [1, 2, 3, 4], [4, 6]], // 12 + 34 = 46
  ["parity", [1, 2, 4], [1]], // sum 7
  ["parity", [9, 9, 2, 0], [0]], // sum 20
  ["max", [2, 9, 4], [9]],
];
for (const [a, input, want] of answers)
  test(`${a}(${input.join("")}) = ${want.join("")}`, () => assert.deepEqual(abilityAnswer(a as never, input), want));

test("examples are well-formed and answered correctly, and the stream is seeded", () => {
  const rng = new Rng(3);
  for (const a of ABILITIES)
    for (let i = 0; i < 50; i++) {
      const e = abilityExample(a, rng);
      assert.ok(e.input.length >= 3 && e.input.length <= 6);
      if (a === "add") assert.ok(e.input[0] >= 1 && e.input[2] >= 1, "two-digit operands");
      assert.deepEqual(e.output, abilityAnswer(a, e.input));
    }
  assert.deepEqual(abilityExamples(ABILITIES, 5, new Rng(9)), abilityExamples(ABILITIES, 5, new Rng(9)));
  assert.equal(abilityExamples(["copy", "max"], 7, new Rng(1)).length, 14);
});

test("encoding: one-hot task and digits, padded targets", () => {
  const enc = encodeAbilities([{ ability: "max", input: [2, 9, 4], output: [9] }]);
  assert.equal(enc.dim, ABILITY_DIM);
  const ones = [...enc.x.keys()].filter((i) => enc.x[i] === 1);
  // task "max" is index 5; digits 2, 9, 4 at positions 0–2; pad (class 10) at positions 3–5.
  assert.deepEqual(ones, [5, 6 + 2, 6 + 11 + 9, 6 + 22 + 4, 6 + 33 + 10, 6 + 44 + 10, 6 + 55 + 10]);
  assert.deepEqual([...enc.y], [9, ABILITY_PAD, ABILITY_PAD, ABILITY_PAD, ABILITY_PAD, ABILITY_PAD]);
  assert.deepEqual([...enc.task], [5]);
});

test("bad input is refused with the argument named", () => {
  assert.throws(() => abilityAnswer("divide" as never, [1]), /ability/);
  assert.throws(() => abilityAnswer("add", [1, 2, 3]), /input/);
  assert.throws(() => abilityAnswer("copy", [1, 12]), /input/);
  assert.throws(() => abilityExamples(ABILITIES, -1, new Rng(0)), /perTask/);
  assert.throws(() => encodeAbilities([{ ability: "nope", input: [], output: [] } as never]), /ability/);
});

test("volumeToReach: first volume from which the curve stays at or above target", () => {
  const v = [10, 40, 160, 640];
  assert.equal(volumeToReach(v, [0.2, 0.5, 0.95, 0.99], 0.9), 160);
  assert.equal(volumeToReach(v, [0.92, 0.5, 0.95, 0.99], 0.9), 160); // an early lucky point does not count
  assert.equal(volumeToReach(v, [0.2, 0.5, 0.6, 0.8], 0.9), Infinity);
  assert.equal(volumeToReach(v, [1, 1, 1, 1], 0.9), 10);
  assert.throws(() => volumeToReach([10, 5], [0, 0], 0.9), /volumes/);
});

test("logVolumeArea: trapezoids in log volume", () => {
  // volumes 10, 40, 160 are equally spaced in log: mean of trapezoids (0+0.5)/2 and (0.5+1)/2 = 0.5.
  assert.ok(Math.abs(logVolumeArea([10, 40, 160], [0, 0.5, 1]) - 0.5) < 1e-12);
  // unequal spacing: log 4 and log 16 → (0.25·log4 + 0.75·log16) / log64 = (0.25 + 1.5) / 3.
  assert.ok(Math.abs(logVolumeArea([1, 4, 64], [0, 0.5, 1]) - 1.75 / 3) < 1e-12);
});

test("kendallTau by hand (τ-b with ties)", () => {
  assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  assert.equal(kendallTau([1, 2, 3], [3, 2, 1]), -1);
  // one tie on each side: 4 concordant, 0 discordant, 6 pairs → 4 / √(5·5) (scipy.stats.kendalltau gives 0.8).
  assert.ok(Math.abs(kendallTau([1, 2, 2, 3], [1, 2, 3, 3]) - 0.8) < 1e-12);
  assert.ok(Number.isNaN(kendallTau([1, 1, 1], [1, 2, 3])));
  assert.throws(() => kendallTau([1, 2], [1]), /b/);
});
