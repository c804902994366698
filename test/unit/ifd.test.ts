// IFD, IC-IFD and distinct-n against hand-computed values on small per-token losses.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { distinctN, icIfdScore, ifdScore, meanTokenLoss } from "../../src/metrics/ifd";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// question mean 2, answer given question mean 0.5, answer alone mean 2.5 (by hand).
const pair = { question: [1, 3], answerGivenQuestion: [0.25, 0.75, 0.5], answerAlone: [2, 3] };

test("meanTokenLoss is the arithmetic mean", () => {
  close(meanTokenLoss([1, 2, 6]), 3);
  close(meanTokenLoss(Float32Array.of(0.5)), 0.5);
});

const cases: Array<[string, () => number, number]> = [
  ["IFD, log scale: 0.5 / 2.5", () => ifdScore(pair), 0.2],
  ["IFD, ppl scale: e^0.5 / e^2.5", () => ifdScore(pair, "ppl"), Math.exp(-2)],
  ["IC-IFD, log scale: 0.2 / 2", () => icIfdScore(pair), 0.1],
  ["IC-IFD, ppl scale: e^0.5 / (e^2 · e^2.5)", () => icIfdScore(pair, "ppl"), Math.exp(0.5 - 2 - 2.5)],
  ["IFD of a useless instruction is 1", () => ifdScore({ answerGivenQuestion: [1, 2], answerAlone: [2, 1] }), 1],
];
for (const [name, f, want] of cases) test(name, () => close(f(), want, 1e-12));

test("IC-IFD ranks a harder-to-predict instruction lower at equal IFD", () => {
  const easyQ = icIfdScore({ ...pair, question: [1, 1] });
  const hardQ = icIfdScore({ ...pair, question: [3, 3] });
  assert.ok(hardQ < easyQ);
  close(ifdScore(pair), 0.2);
});

test("distinct-n by hand", () => {
  // "abab": bigrams ab, ba, ab → 2 distinct of 3; "ab": ab → pooled 2 distinct of 4.
  close(distinctN(["abab"], 2), 2 / 3);
  close(distinctN(["abab", "ab"], 2), 2 / 4);
  close(distinctN(["abc", "cab"], 1), 3 / 6);
  close(
    distinctN(
      [
        [1, 2, 3],
        [1, 2],
      ],
      2,
    ),
    2 / 3,
  );
  close(distinctN(["a"], 2), 0); // no sequence has a bigram
});

test("bad input is refused with the argument named", () => {
  assert.throws(() => meanTokenLoss([]), /losses/);
  assert.throws(() => meanTokenLoss([1, NaN]), /losses/);
  assert.throws(() => meanTokenLoss([-1]), /losses/);
  assert.throws(() => ifdScore({ answerGivenQuestion: [1], answerAlone: [0] }), /pair.answerAlone/);
  assert.throws(() => icIfdScore({ question: [0], answerGivenQuestion: [1], answerAlone: [1] }), /pair.question/);
  assert.throws(() => ifdScore(pair, "exp" as never), /scale/);
  assert.throws(() => distinctN(["ab"], 0), /n/);
  assert.throws(() => distinctN("ab" as never, 2), /sequences/);
});

test("pairLosses cuts L(Q), L(A|Q) and L(A) at the right characters", async () => {
  const { pairLosses } = await import("../../src/papers/ic-ifd/score");
  // A fake model whose loss at entry t is t (entry t predicts character t + 1 of the text).
  const fake = (texts: string[]) => texts.map((t) => Float32Array.from({ length: t.length - 1 }, (_, i) => i));
  const [p] = pairLosses(fake, [{ q: "rev:ab", a: "ba" }]);
  // "\nrev:ab>ba": Q = characters 1–6 → entries 0–5; ">" is entry 6; A = characters 8–9 → entries 7–8.
  assert.deepEqual(Array.from(p.question), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(p.answerGivenQuestion), [7, 8]);
  // "\nba": A = characters 1–2 → entries 0–1.
  assert.deepEqual(Array.from(p.answerAlone), [0, 1]);
});
