// A name → descriptor table of model-growth operators (G_stack, MixtureGrowth, Learngene
// SWS stage expansion). Their inputs differ (a transformer's parameters, two template MLPs,
// a stage-shared residual MLP), so an entry names what it grows and holds the operator;
// studies list them by string, and one that lands later registers itself.
import { fail } from "../core/validate";
import { expandStages, mixtureGrow, stackTransformer } from "./growth";

export interface GrowthEntry {
  /** The kind of model the operator takes (e.g. "transformer"). */
  grows: string;
  /** One line: what the operator does. */
  description: string;
  /** The operator itself (signatures differ per kind of model). */
  apply: (...args: never[]) => unknown;
}

const ops = new Map<string, GrowthEntry>();
const NAME = /^[a-z][a-z0-9_-]*$/;

/** Registers a growth operator; names are lower-case identifiers; re-registering a name is an error. */
export function registerGrowth(name: string, entry: GrowthEntry): void {
  if (typeof name !== "string" || !NAME.test(name))
    fail("name", `must be a lower-case identifier, got ${JSON.stringify(name)}`);
  if (!entry || typeof entry !== "object") fail("entry", "must be an object { grows, description, apply }");
  if (typeof entry.apply !== "function") fail("entry.apply", "must be the operator function");
  if (typeof entry.grows !== "string" || !entry.grows) fail("entry.grows", "must name the kind of model grown");
  if (ops.has(name)) fail("name", `growth operator "${name}" is already registered`);
  ops.set(name, entry);
}

/** Names of the registered growth operators, in registration order. */
export function growthNames(): string[] {
  return [...ops.keys()];
}

/** The entry of a registered growth operator. */
export function growthEntry(name: string): GrowthEntry {
  const e = ops.get(name);
  if (!e) fail("name", `unknown growth operator "${name}" (registered: ${growthNames().join(", ") || "none"})`);
  return e;
}

registerGrowth("stack", {
  grows: "transformer",
  description: "G_stack: repeat the block list (depth ×factor)",
  apply: stackTransformer,
});
registerGrowth("mixture", {
  grows: "two template MLPs",
  description: "MixtureGrowth: two MLPs into one of double width",
  apply: mixtureGrow,
});
registerGrowth("stage-expand", {
  grows: "stage-shared residual MLP",
  description: "Learngene SWS: stage blocks copied to any depth",
  apply: expandStages,
});
