// Check builders. `pass` is always computed by the caller's rule from measured values.
import { fail } from "../core/validate";
import { Interval, isInterval } from "../metrics/intervals";
import { Check, Measured } from "./types";

export interface CheckOptions {
  /** Seeds pooled (default: the interval's n, else 1). */
  seeds?: number;
  figure?: string;
}

function build(
  kind: Check["kind"],
  claim: string,
  measured: Measured,
  expected: string,
  pass: boolean,
  o: CheckOptions,
): Check {
  if (typeof claim !== "string" || !claim) fail("claim", "must be a non-empty string");
  if (typeof expected !== "string" || !expected) fail("expected", "must be a non-empty string");
  if (typeof pass !== "boolean") fail("pass", `must be a boolean, got ${typeof pass}`);
  const seeds = o.seeds ?? (isInterval(measured) ? measured.n : 1);
  if (!Number.isInteger(seeds) || seeds < 1) fail("seeds", `must be a positive integer, got ${seeds}`);
  return { kind, claim, measured, expected, pass, seeds, ...(o.figure ? { figure: o.figure } : {}) };
}

/** A check of the paper's claim: it could fail if the claim were false at this scale. */
export function evidence(
  claim: string,
  measured: Measured,
  expected: string,
  pass: boolean,
  o: CheckOptions = {},
): Check {
  return build("evidence", claim, measured, expected, pass, o);
}

/** A pipeline or construction check (true by design when the code is right); not evidence. */
export function sanity(
  claim: string,
  measured: Measured,
  expected: string,
  pass: boolean,
  o: CheckOptions = {},
): Check {
  return build("sanity", claim, measured, expected, pass, o);
}

/** The interval lies entirely above `threshold` (a single seed: its value does, and the check says 1 seed). */
export function above(iv: Interval, threshold: number): boolean {
  return iv.n < 2 ? iv.mean > threshold : iv.lo > threshold;
}

/** The interval lies entirely below `threshold`. */
export function below(iv: Interval, threshold: number): boolean {
  return iv.n < 2 ? iv.mean < threshold : iv.hi < threshold;
}

/** Validates checks returned by a paper (shape and kinds). */
export function validateChecks(checks: Check[], where: string): void {
  if (!Array.isArray(checks)) fail(where, "must return an array of checks");
  checks.forEach((c, i) => {
    if (!c || (c.kind !== "evidence" && c.kind !== "sanity"))
      fail(`${where}[${i}].kind`, `must be "evidence" or "sanity", got ${JSON.stringify(c?.kind)}`);
    if (typeof c.claim !== "string" || typeof c.expected !== "string" || typeof c.pass !== "boolean")
      fail(`${where}[${i}]`, "needs claim, expected (strings) and pass (boolean)");
    if (!(typeof c.measured === "number" || typeof c.measured === "string" || isInterval(c.measured)))
      fail(`${where}[${i}].measured`, "must be a number, a string or an interval");
    if (!Number.isInteger(c.seeds) || c.seeds < 1)
      fail(`${where}[${i}].seeds`, `must be a positive integer, got ${c.seeds}`);
  });
}
