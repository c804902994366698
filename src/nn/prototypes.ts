// Prototype classifiers for few-shot class-incremental learning: class prototypes (mean
// embeddings), cosine classification against them, and TEEN's training-free calibration (Wang et
// al., NeurIPS 2023) that pulls each new prototype toward the base prototypes it resembles.
import { assertKnownOptions, fail } from "../core/validate";

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
/** v / ‖v‖ (a zero vector stays zero). */
export function l2normalize(v: number[]): number[] {
  const n = norm(v);
  return n > 0 ? v.map((x) => x / n) : v.slice();
}
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

function checkRows(arg: string, rows: number[][], dim?: number): number {
  if (!Array.isArray(rows) || rows.length === 0) fail(arg, "must be a non-empty array of vectors");
  const d = dim ?? rows[0]?.length;
  rows.forEach((r, i) => {
    if (r == null || r.length !== d) fail(`${arg}[${i}]`, `has ${r?.length} entries; expected ${d}`);
    for (let j = 0; j < d; j++)
      if (!Number.isFinite(r[j])) fail(`${arg}[${i}][${j}]`, `is ${String(r[j])}; expected a finite number`);
  });
  return d;
}

/** Mean embedding of each class (labels in [0, classes)); a class without rows is an error. */
export function classPrototypes(embeddings: number[][], labels: ArrayLike<number>, classes: number): number[][] {
  const d = checkRows("embeddings", embeddings);
  if (labels.length !== embeddings.length)
    fail("labels", `has ${labels.length} entries; expected ${embeddings.length}`);
  const sums = Array.from({ length: classes }, () => new Array<number>(d).fill(0));
  const counts = new Array<number>(classes).fill(0);
  embeddings.forEach((e, i) => {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      fail(`labels[${i}]`, `is ${c}; expected a class in [0, ${classes})`);
    counts[c]++;
    for (let t = 0; t < d; t++) sums[c][t] += e[t];
  });
  counts.forEach((n, c) => n === 0 && fail("labels", `class ${c} has no rows`));
  return sums.map((s, c) => s.map((x) => x / counts[c]));
}

export interface TeenOptions {
  /** Weight of the calibration term: p̂ = (1 − α)·p̄ + α·Δ (default 0.5). */
  alpha?: number;
  /** Softmax temperature on the cosine similarities to the base prototypes (default 16). */
  tau?: number;
}

/**
 * TEEN: for each new prototype p, w_b = softmax_b(τ·cos(p, base_b)), Δ = normalize(Σ_b w_b·normalize(base_b)),
 * p̂ = (1 − α)·normalize(p) + α·Δ. Base prototypes are left unchanged.
 */
export function teenCalibrate(
  newPrototypes: number[][],
  basePrototypes: number[][],
  opts: TeenOptions = {},
): number[][] {
  assertKnownOptions("opts", opts, ["alpha", "tau"]);
  const d = checkRows("basePrototypes", basePrototypes);
  checkRows("newPrototypes", newPrototypes, d);
  const alpha = opts.alpha ?? 0.5;
  const tau = opts.tau ?? 16;
  if (!(alpha >= 0 && alpha <= 1)) fail("opts.alpha", `must lie in [0, 1], got ${alpha}`);
  if (!(tau > 0) || !Number.isFinite(tau)) fail("opts.tau", `must be a finite number > 0, got ${tau}`);
  const base = basePrototypes.map(l2normalize);
  return newPrototypes.map((p) => {
    const pn = l2normalize(p);
    const logits = base.map((b) => tau * dot(pn, b));
    const m = Math.max(...logits);
    const ex = logits.map((v) => Math.exp(v - m));
    const z = ex.reduce((s, v) => s + v, 0);
    const delta = l2normalize(base[0].map((_, t) => base.reduce((s, b, i) => s + (ex[i] / z) * b[t], 0)));
    return pn.map((v, t) => (1 - alpha) * v + alpha * delta[t]);
  });
}

/** Index of the prototype with the highest cosine similarity to each embedding. */
export function cosinePredict(embeddings: number[][], prototypes: number[][]): number[] {
  const d = checkRows("prototypes", prototypes);
  checkRows("embeddings", embeddings, d);
  const P = prototypes.map(l2normalize);
  return embeddings.map((e) => {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < P.length; c++) {
      const v = dot(e, P[c]);
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    return best;
  });
}
