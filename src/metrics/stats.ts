// Small statistics shared by experiments: means, rank correlation, AUROC.
import { assertFinite, assertNonEmpty, fail, finiteResult, maxAbs } from "../core/validate";

export function mean(xs: ArrayLike<number>): number {
  assertNonEmpty("xs", xs);
  assertFinite("xs", xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] / xs.length; // divide first: no overflow near ±1.8e308
  return s;
}

/** Sample standard deviation (n − 1 denominator); 0 for a single value. */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  if (xs.length < 2) return 0;
  const scale = maxAbs(xs); // rescale before squaring: no overflow or underflow
  if (scale === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] / scale - m / scale) ** 2;
  return finiteResult("xs", scale * Math.sqrt(s / (xs.length - 1)), "the standard deviation");
}

function pairCheck(x: ArrayLike<number>, y: ArrayLike<number>): void {
  assertNonEmpty("x", x);
  assertFinite("x", x);
  assertFinite("y", y);
  if (x.length !== y.length) fail("y", `has ${y.length} entries; x has ${x.length}`);
}

/** Pearson correlation; NaN (documented, not silent) when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  pairCheck(x, y);
  // Correlation is scale-invariant: rescale both sides so squares neither overflow nor underflow.
  const sx = maxAbs(x) || 1;
  const sy = maxAbs(y) || 1;
  const xs = Array.from(x, (v) => v / sx);
  const ys = Array.from(y, (v) => v / sy);
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(x: ArrayLike<number>): number[] {
  assertFinite("x", x);
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation (Pearson on average ranks). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  pairCheck(x, y);
  return pearson(ranks(x), ranks(y));
}

/**
 * Area under the ROC curve of `scores` for the binary `positives` (Mann-Whitney U with
 * ties counted half): the probability a random positive outscores a random negative.
 */
export function auroc(scores: ArrayLike<number>, positives: ArrayLike<boolean | number>): number {
  assertNonEmpty("scores", scores);
  assertFinite("scores", scores);
  if (positives == null || typeof positives.length !== "number")
    fail("positives", "must be an array of booleans or 0/1 labels");
  if (positives.length !== scores.length)
    fail("positives", `has ${positives.length} entries; scores has ${scores.length}`);
  const r = ranks(scores);
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < r.length; i++) {
    if (positives[i]) {
      nPos++;
      sumPos += r[i];
    }
  }
  const nNeg = r.length - nPos;
  if (nPos === 0 || nNeg === 0) fail("positives", "needs at least one positive and one negative");
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
