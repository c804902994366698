// Learning-rate schedules as multipliers of a base rate: (1-based step, total steps) → factor.

export type Schedule = (step: number, total: number) => number;

/** Linear warm-up over `warmup` steps to 1, then cosine decay to 0 at `total`. */
export function warmupCosine(warmup: number): Schedule {
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`warmup: must be an integer ≥ 0, got ${warmup}`);
  return (t, total) => {
    if (t <= warmup) return t / Math.max(1, warmup);
    const p = (t - warmup) / Math.max(1, total - warmup);
    return 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p)));
  };
}

/** lr at 1-based step t: linear warm-up over `warmup` steps, then cosine to 0 at `steps`. */
export function warmupCosineLr(t: number, lr: number, warmup: number, steps: number): number {
  return lr * warmupCosine(warmup)(t, steps);
}
