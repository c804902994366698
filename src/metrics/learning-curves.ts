// Learning-curve summaries for data-volume sweeps: the smallest volume that reaches a target
// score, the area under a curve over log-volume, and Kendall's rank agreement of two orderings.
import { assertFinite, assertNonEmpty, fail } from "../core/validate";

function checkCurve(volumes: ArrayLike<number>, scores: ArrayLike<number>): void {
  assertNonEmpty("volumes", volumes);
  assertFinite("volumes", volumes);
  assertFinite("scores", scores);
  if (scores.length !== volumes.length) fail("scores", `has ${scores.length} entries; volumes has ${volumes.length}`);
  for (let i = 0; i < volumes.length; i++) {
    if (!(volumes[i] > 0)) fail("volumes", `entry ${i} is ${volumes[i]}; volumes are positive`);
    if (i > 0 && !(volumes[i] > volumes[i - 1])) fail("volumes", "must be strictly increasing");
  }
}

/**
 * The smallest volume whose score reaches `target` and stays there for every larger volume
 * (so one lucky point does not count); Infinity when the largest volume is below target.
 */
export function volumeToReach(volumes: ArrayLike<number>, scores: ArrayLike<number>, target: number): number {
  checkCurve(volumes, scores);
  if (!Number.isFinite(target)) fail("target", `must be finite, got ${target}`);
  let at = Infinity;
  for (let i = volumes.length - 1; i >= 0 && scores[i] >= target; i--) at = volumes[i];
  return at;
}

/** Mean score over the curve with trapezoids in log(volume), normalised by the log-volume span. */
export function logVolumeArea(volumes: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkCurve(volumes, scores);
  if (volumes.length === 1) return scores[0];
  let area = 0;
  for (let i = 1; i < volumes.length; i++)
    area += ((scores[i] + scores[i - 1]) / 2) * Math.log(volumes[i] / volumes[i - 1]);
  return area / Math.log(volumes[volumes.length - 1] / volumes[0]);
}

/** Kendall's τ-b of two paired score lists (ties handled); NaN when one side is constant. */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertNonEmpty("a", a);
  assertFinite("a", a);
  assertFinite("b", b);
  if (a.length !== b.length) fail("b", `has ${b.length} entries; a has ${a.length}`);
  if (a.length < 2) fail("a", "needs at least two entries");
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const s = Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
      else {
        if (a[i] === a[j]) tiesA++;
        if (b[i] === b[j]) tiesB++;
      }
    }
  const n0 = (a.length * (a.length - 1)) / 2;
  const den = Math.sqrt((n0 - tiesA) * (n0 - tiesB));
  return den === 0 ? NaN : (concordant - discordant) / den;
}
