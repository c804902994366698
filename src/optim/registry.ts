// A name → factory table of optimizers, so studies that sweep over optimizers (the atlas)
// pick them by string and a method that lands later registers itself without touching
// callers. Each entry builds a tf.Optimizer at a base learning rate and reports how many
// floats of persistent state it holds for the variables it trained.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";
import { FastAdam } from "./fast-adam";
import { FiraAdam } from "./fira";
import { GaLoreAdam } from "./galore";
import { GradNormLoRPAdam } from "./gradnormlorp";
import { QGaLoreAdam } from "./q-galore";

export interface OptimizerEntry {
  /** Builds the optimizer at base learning rate `lr`; `options` are method-specific (e.g. { rank }). */
  create(lr: number, options: Record<string, unknown>): tf.Optimizer;
  /**
   * Floats of persistent state `opt` holds after training variables of these shapes
   * (moments, projectors, ...); read from the instance where it keeps count.
   */
  stateFloats(opt: tf.Optimizer, shapes: number[][]): number;
  /** Options used when a caller passes none (e.g. a rank for the low-rank projections). */
  defaults?: Record<string, unknown>;
  /** One-line description for tables. */
  description?: string;
}

const entries = new Map<string, OptimizerEntry>();
const NAME = /^[a-z][a-z0-9_-]*$/;

/** Registers an optimizer; names are lower-case identifiers; re-registering a name is an error. */
export function registerOptimizer(name: string, entry: OptimizerEntry): void {
  if (typeof name !== "string" || !NAME.test(name))
    fail("name", `must be a lower-case identifier, got ${JSON.stringify(name)}`);
  if (!entry || typeof entry !== "object") fail("entry", "must be an object { create, stateFloats }");
  if (typeof entry.create !== "function") fail("entry.create", "must be a function (lr, options) => tf.Optimizer");
  if (typeof entry.stateFloats !== "function")
    fail("entry.stateFloats", "must be a function (optimizer, shapes) => number");
  if (entries.has(name)) fail("name", `optimizer "${name}" is already registered`);
  entries.set(name, entry);
}

/** Names of the registered optimizers, in registration order. */
export function optimizerNames(): string[] {
  return [...entries.keys()];
}

/** The entry of a registered optimizer. */
export function optimizerEntry(name: string): OptimizerEntry {
  const e = entries.get(name);
  if (!e) fail("name", `unknown optimizer "${name}" (registered: ${optimizerNames().join(", ") || "none"})`);
  return e;
}

/** Builds a registered optimizer at `lr` with its default options overridden by `options`. */
export function createOptimizer(name: string, lr: number, options: Record<string, unknown> = {}): tf.Optimizer {
  const e = optimizerEntry(name);
  if (typeof lr !== "number" || !(lr > 0) || !Number.isFinite(lr))
    fail("lr", `must be a positive finite number, got ${lr}`);
  if (options === null || typeof options !== "object") fail("options", "must be an object");
  return e.create(lr, { ...(e.defaults ?? {}), ...options });
}

const count = (shapes: number[][]) => shapes.reduce((a, s) => a + s.reduce((p, d) => p * d, 1), 0);
const projected = (opt: tf.Optimizer) => (opt as GaLoreAdam).stateFloats();

/** A projected optimizer (GaLore family): options pass through, the instance counts its state. */
function projectedEntry<O>(Opt: new (lr: number, options: O) => tf.Optimizer, description: string): OptimizerEntry {
  return {
    create: (lr, o) => new Opt(lr, o as unknown as O),
    stateFloats: projected,
    defaults: { rank: 8, updateGap: 50 },
    description,
  };
}

registerOptimizer("adam", {
  create: (lr) => new FastAdam(lr),
  stateFloats: (_o, shapes) => 2 * count(shapes),
  description: "Adam (fused FastAdam): two moments per parameter",
});
registerOptimizer("sgd", {
  create: (lr) => tf.train.sgd(lr),
  stateFloats: () => 0,
  description: "plain SGD: no state",
});
registerOptimizer("momentum", {
  create: (lr) => tf.train.momentum(lr, 0.9),
  stateFloats: (_o, shapes) => count(shapes),
  description: "SGD with heavy-ball momentum 0.9: one buffer per parameter",
});
registerOptimizer("galore", projectedEntry(GaLoreAdam, "GaLore: Adam on a rank-r projection of each matrix gradient"));
registerOptimizer("fira", projectedEntry(FiraAdam, "Fira: GaLore plus the scaled out-of-subspace gradient residual"));
registerOptimizer(
  "q-galore",
  projectedEntry(QGaLoreAdam, "Q-GaLore: GaLore with INT4 projectors, INT8 weights and lazy refreshes"),
);
registerOptimizer(
  "gradnormlorp",
  projectedEntry(GradNormLoRPAdam, "GradNormLoRP: weight-normalised W = g·V/‖V‖ with GaLore-projected updates of V"),
);
