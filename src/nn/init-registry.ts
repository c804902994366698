// A name → factory table of weight initialisations for a dense [in, out] kernel, so studies
// that compare inits (the atlas's new-head rows) pick them by string; a scheme that lands
// later registers itself without touching callers. Draws come from the global seeded stream.
import { fail } from "../core/validate";
import { initWeight } from "./mlp";

/** Initial values of a [fanIn, fanOut] kernel, row-major. */
export type InitFactory = (fanIn: number, fanOut: number) => Float32Array;

const inits = new Map<string, InitFactory>();
const NAME = /^[a-z][a-z0-9_-]*$/;

/** Registers an init; names are lower-case identifiers; re-registering a name is an error. */
export function registerInit(name: string, factory: InitFactory): void {
  if (typeof name !== "string" || !NAME.test(name))
    fail("name", `must be a lower-case identifier, got ${JSON.stringify(name)}`);
  if (typeof factory !== "function") fail("factory", "must be a function (fanIn, fanOut) => Float32Array");
  if (inits.has(name)) fail("name", `init "${name}" is already registered`);
  inits.set(name, factory);
}

/** Names of the registered inits, in registration order. */
export function initNames(): string[] {
  return [...inits.keys()];
}

/** A [fanIn, fanOut] kernel (row-major) drawn with a registered init. */
export function createInit(name: string, fanIn: number, fanOut: number): Float32Array {
  const f = inits.get(name);
  if (!f) fail("name", `unknown init "${name}" (registered: ${initNames().join(", ") || "none"})`);
  if (!Number.isInteger(fanIn) || fanIn <= 0) fail("fanIn", `must be a positive integer, got ${fanIn}`);
  if (!Number.isInteger(fanOut) || fanOut <= 0) fail("fanOut", `must be a positive integer, got ${fanOut}`);
  const w = f(fanIn, fanOut);
  if (!(w instanceof Float32Array) || w.length !== fanIn * fanOut)
    fail(`init "${name}"`, `returned ${w?.length} values; a ${fanIn}×${fanOut} kernel needs ${fanIn * fanOut}`);
  return w;
}

for (const scheme of ["he", "glorot", "lecun", "torch"] as const)
  registerInit(scheme, (fanIn, fanOut) => initWeight(fanIn, fanOut, scheme));
registerInit("zero", (fanIn, fanOut) => new Float32Array(fanIn * fanOut));
