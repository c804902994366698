// The forgetting–accuracy frontier helpers against hand-worked point sets, and the per-rank
// learning-rate rule against the two rates of the official intruder-dimensions script.
import { test } from "node:test";
import assert from "node:assert/strict";
import { forgettingFrontier, leastForgettingAt, matchedAccuracy } from "../../src/metrics/forgetting";
import { rankScaledLr } from "../../src/papers/lora-vs-full-ft/run";

const pts = [
  { id: "a", acc: 0.6, forgetting: 0.01 },
  { id: "b", acc: 0.7, forgetting: 0.05 },
  { id: "c", acc: 0.7, forgetting: 0.08 }, // dominated by b (same accuracy, more forgetting)
  { id: "d", acc: 0.65, forgetting: 0.1 }, // dominated by b
  { id: "e", acc: 0.8, forgetting: 0.2 },
];

test("forgettingFrontier keeps exactly the undominated points, sorted by accuracy", () => {
  assert.deepEqual(
    forgettingFrontier(pts).map((p) => p.id),
    ["a", "b", "e"],
  );
  assert.deepEqual(forgettingFrontier([]), []);
});

test("leastForgettingAt picks the least forgetting among points reaching the target", () => {
  assert.equal(leastForgettingAt(pts, 0.62)!.id, "b");
  assert.equal(leastForgettingAt(pts, 0.5)!.id, "a");
  assert.equal(leastForgettingAt(pts, 0.75)!.id, "e");
  assert.equal(leastForgettingAt(pts, 0.9), null);
});

test("matchedAccuracy is the highest accuracy every group reaches", () => {
  assert.equal(
    matchedAccuracy([
      pts,
      [
        { acc: 0.72, forgetting: 0 },
        { acc: 0.5, forgetting: 0 },
      ],
    ]),
    0.72,
  );
  assert.equal(matchedAccuracy([pts]), 0.8);
});

test("frontier helpers reject malformed input with the argument's name", () => {
  assert.throws(() => forgettingFrontier([{ acc: NaN, forgetting: 0 }]), /points/);
  assert.throws(() => leastForgettingAt(pts, NaN), /target/);
  assert.throws(() => matchedAccuracy([]), /groups/);
  assert.throws(() => matchedAccuracy([pts, []]), /groups\[1\]/);
});

test("rankScaledLr reproduces the official script's rates (3e-4 at r = 1, 1.5e-4 at r = 8)", () => {
  assert.ok(Math.abs(rankScaledLr(3e-4, 1, 8) - 1.5e-4) < 1e-12);
  assert.ok(Math.abs(rankScaledLr(3e-4, 1, 64) - 7.5e-5) < 1e-12);
  assert.equal(rankScaledLr(1e-3, 4, 4), 1e-3);
});
