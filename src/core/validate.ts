// Input checks shared by every public function: errors name the argument and the problem.

export class InitlabInputError extends Error {
  constructor(arg: string, problem: string) {
    super(`${arg}: ${problem}`);
    this.name = "InitlabInputError";
  }
}

export function fail(arg: string, problem: string): never {
  throw new InitlabInputError(arg, problem);
}

/** Throws unless `values` is an array (or typed array) of numbers' shape: has a numeric length. */
export function assertArrayLike(arg: string, values: unknown): void {
  if (values == null || typeof values !== "object" || typeof (values as ArrayLike<unknown>).length !== "number")
    fail(arg, `must be an array of numbers, got ${values === null ? "null" : typeof values}`);
}

/** Throws unless every value is a finite number. */
export function assertFinite(arg: string, values: ArrayLike<number>): void {
  assertArrayLike(arg, values);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(arg, `entry ${i} is ${String(v)}; expected a finite number`);
    }
  }
}

export function assertNonEmpty(arg: string, values: ArrayLike<unknown>): void {
  assertArrayLike(arg, values);
  if (values.length === 0) fail(arg, "is empty");
}

export function assertPositiveInt(arg: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) fail(arg, `must be a positive integer, got ${v}`);
}

export function assertInRange(arg: string, v: number, lo: number, hi: number): void {
  if (typeof v !== "number" || Number.isNaN(v) || v < lo || v > hi) {
    fail(arg, `must lie in [${lo}, ${hi}], got ${v}`);
  }
}

/** Rejects option keys the caller does not understand (typos must not pass silently). */
export function assertKnownOptions(arg: string, opts: object | undefined, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts))
    fail(
      arg,
      `must be an options object, got ${opts === null ? "null" : Array.isArray(opts) ? "an array" : typeof opts}`,
    );
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) fail(arg, `unknown option "${k}" (known: ${known.join(", ") || "none"})`);
  }
}

/**
 * Returns `v` when finite; otherwise fails naming the input whose magnitudes overflow or
 * underflow float64 on the way (a result must never be a silent NaN or ±Infinity).
 */
export function finiteResult(arg: string, v: number, what: string): number {
  if (!Number.isFinite(v))
    fail(arg, `${what} is ${v} in float64: the entries' magnitudes overflow or underflow (rescale the input)`);
  return v;
}

/** Largest |v| (0 for empty), used to rescale scale-invariant quantities before squaring. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** Checks labels are integers in [0, numClasses). */
export function assertLabels(arg: string, labels: ArrayLike<number>, numClasses: number, n?: number): void {
  if (labels == null || typeof labels.length !== "number") fail(arg, "must be an array of class indices");
  if (n !== undefined && labels.length !== n) fail(arg, `has ${labels.length} entries; expected ${n} (one per row)`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      fail(arg, `entry ${i} is ${y}; expected an integer class index in [0, ${numClasses})`);
    }
  }
}
