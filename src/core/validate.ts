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

/** Throws unless every value is a finite number. */
export function assertFinite(arg: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(arg, `entry ${i} is ${String(v)}; expected a finite number`);
    }
  }
}

export function assertNonEmpty(arg: string, values: ArrayLike<unknown>): void {
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
  if (opts == null) return;
  if (typeof opts !== "object") fail(arg, `must be an object, got ${typeof opts}`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) fail(arg, `unknown option "${k}" (known: ${known.join(", ") || "none"})`);
  }
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
