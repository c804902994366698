// A name → factory table so experiments pick adapters by string ("lora", later "pissa",
// "lora-ga", ...) and new methods register without touching callers.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { AdapterFactory, DenseAdapter } from "./types";

const registry = new Map<string, AdapterFactory>();

/** Registers a method; names are lower-case identifiers; re-registering a name is an error. */
export function registerAdapter(name: string, factory: AdapterFactory): void {
  if (typeof name !== "string" || !/^[a-z][a-z0-9_-]*$/.test(name))
    fail("name", `must be a lower-case identifier, got ${JSON.stringify(name)}`);
  if (typeof factory !== "function") fail("factory", "must be a function (base, config) => DenseAdapter");
  if (registry.has(name)) fail("name", `adapter "${name}" is already registered`);
  registry.set(name, factory);
}

/** Names of the registered methods. */
export function adapterNames(): string[] {
  return [...registry.keys()];
}

/** Creates a registered adapter around a base kernel [in, out]. */
export function createAdapter(
  name: string,
  base: tf.Variable<tf.Rank.R2> | tf.Tensor2D,
  config: object = {},
): DenseAdapter {
  const f = registry.get(name);
  if (!f) fail("name", `unknown adapter "${name}" (registered: ${adapterNames().join(", ") || "none"})`);
  return f(base, config);
}
