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
  history.forEach((h, t) => {
    if (h == null || typeof h.length !== "number") fail(`history[${t}]`, "must be an array of correctness values");
  });
  const tr = new ForgettingTracker(history[0].length);
  history.forEach((h, t) => {
    if (h.length !== tr.n) fail("history", `presentation ${t} has ${h.length} entries; presentation 0 has ${tr.n}`);
    tr.recordAll(h);
  });
  return tr.scores();
}

/** One fine-tuned model on the forgetting–accuracy plane (accuracy on the new task, forgetting of the old). */
export interface FrontierPoint {
  acc: number;
  forgetting: number;
}

function checkPoints(name: string, points: FrontierPoint[]): void {
  if (!Array.isArray(points)) fail(name, "must be an array of { acc, forgetting } points");
  points.forEach((p, i) => {
    if (!p || !Number.isFinite(p.acc) || !Number.isFinite(p.forgetting))
      fail(name, `entry ${i} needs finite acc and forgetting, got ${JSON.stringify(p)}`);
  });
}

/**
 * The forgetting–accuracy frontier: the points no other point beats on both axes (at least
 * as accurate and forgetting no more, strictly better on one), sorted by accuracy.
 */
export function forgettingFrontier<T extends FrontierPoint>(points: T[]): T[] {
  checkPoints("points", points);
  const dominated = (p: T) =>
    points.some(
      (q) => q.acc >= p.acc && q.forgetting <= p.forgetting && (q.acc > p.acc || q.forgetting < p.forgetting),
    );
  return points.filter((p) => !dominated(p)).sort((a, b) => a.acc - b.acc || a.forgetting - b.forgetting);
}

/** The point forgetting least among those reaching at least `target` accuracy; null when none does. */
export function leastForgettingAt<T extends FrontierPoint>(points: T[], target: number): T | null {
  checkPoints("points", points);
  if (!Number.isFinite(target)) fail("target", `must be a finite accuracy, got ${target}`);
  let best: T | null = null;
  for (const p of points) if (p.acc >= target && (best === null || p.forgetting < best.forgetting)) best = p;
  return best;
}

/** The highest accuracy every group reaches (the minimum over groups of each group's best), for a matched comparison. */
export function matchedAccuracy(groups: FrontierPoint[][]): number {
  if (!Array.isArray(groups) || groups.length === 0) fail("groups", "must be a non-empty array of point lists");
  groups.forEach((g, i) => {
    checkPoints(`groups[${i}]`, g);
    if (g.length === 0) fail(`groups[${i}]`, "is empty");
  });
  return Math.min(...groups.map((g) => Math.max(...g.map((p) => p.acc))));
}
