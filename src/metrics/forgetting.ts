// Forgetting events (Toneva et al., ICLR 2019), the baseline Data Diet compares with: an
// example is "forgotten" each time it goes from correctly to incorrectly classified between
// two consecutive presentations. Examples never learned count as maximally forgotten.
import { assertNonEmpty, fail } from "../core/validate";

/** Accumulates per-example correctness over training; call record() at each presentation. */
export class ForgettingTracker {
  readonly n: number;
  private readonly last: Int8Array; // −1 unseen, 0 wrong, 1 right at the previous presentation
  private readonly events: Int32Array;
  private readonly learned: Uint8Array;
  private readonly seen: Int32Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n <= 0) fail("n", `must be a positive integer, got ${n}`);
    this.n = n;
    this.last = new Int8Array(n).fill(-1);
    this.events = new Int32Array(n);
    this.learned = new Uint8Array(n);
    this.seen = new Int32Array(n);
  }

  /** Records correctness (truthy = correct) of the examples `indices` at one presentation. */
  record(indices: ArrayLike<number>, correct: ArrayLike<boolean | number>): void {
    if (indices.length !== correct.length)
      fail("correct", `has ${correct.length} entries; indices has ${indices.length}`);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.n)
        fail("indices", `entry ${k} is ${i}; expected an index in [0, ${this.n})`);
      const c = correct[k] ? 1 : 0;
      if (this.last[i] === 1 && c === 0) this.events[i]++;
      if (c === 1) this.learned[i] = 1;
      this.last[i] = c;
      this.seen[i]++;
    }
  }

  /** Records every example's correctness, in index order. */
  recordAll(correct: ArrayLike<boolean | number>): void {
    if (correct.length !== this.n) fail("correct", `has ${correct.length} entries; the tracker holds ${this.n}`);
    this.record(
      Array.from({ length: this.n }, (_, i) => i),
      correct,
    );
  }

  /**
   * Forgetting counts. A never-learned example scores `maxPresentations` (the most
   * presentations any example had), above any achievable count (at most half of them).
   */
  scores(): number[] {
    let maxSeen = 0;
    for (let i = 0; i < this.n; i++) maxSeen = Math.max(maxSeen, this.seen[i]);
    if (maxSeen === 0) fail("tracker", "has recorded nothing yet");
    return Array.from(this.events, (e, i) => (this.learned[i] ? e : maxSeen));
  }

  /** Which examples were correct at least once. */
  everLearned(): boolean[] {
    return Array.from(this.learned, (v) => v === 1);
  }
}

/** Forgetting counts from a full history: history[t][i] = correct at presentation t. */
export function forgettingScores(history: ArrayLike<boolean | number>[]): number[] {
  if (!Array.isArray(history)) fail("history", "must be an array of per-presentation correctness vectors");
  assertNonEmpty("history", history);
  const tr = new ForgettingTracker(history[0].length);
  history.forEach((h, t) => {
    if (h.length !== tr.n) fail("history", `presentation ${t} has ${h.length} entries; presentation 0 has ${tr.n}`);
    tr.recordAll(h);
  });
  return tr.scores();
}
