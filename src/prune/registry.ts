// A name → criterion table of masks: each criterion turns weights (and, for the saliency
// criteria, a loss on one batch) into a MaskSet at a global density. Studies that compare
// mask criteria (the atlas's sparse fine-tuning rows) pick them by string; a criterion that
// lands later registers itself without touching callers.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";
import { erkDensities, randomMask, uniformDensities } from "./allocation";
import { MaskSet } from "./mask";
import { graspScores, snipScores } from "./saliency";

/** What a criterion may read: the weight variables to mask (2-D), a loss on one batch, a seeded stream. */
export interface MaskContext {
  vars: tf.Variable[];
  /** Scalar loss of the model on a calibration batch (saliency criteria differentiate it). */
  loss?: () => tf.Scalar;
  rng: Rng;
}

/** Builds a mask keeping `density` of all entries (over all variables together). */
export type MaskCriterion = (ctx: MaskContext, density: number) => MaskSet;

const criteria = new Map<string, MaskCriterion>();
const NAME = /^[a-z][a-z0-9_-]*$/;

/** Registers a mask criterion; names are lower-case identifiers; re-registering a name is an error. */
export function registerMask(name: string, criterion: MaskCriterion): void {
  if (typeof name !== "string" || !NAME.test(name))
    fail("name", `must be a lower-case identifier, got ${JSON.stringify(name)}`);
  if (typeof criterion !== "function") fail("criterion", "must be a function (ctx, density) => MaskSet");
  if (criteria.has(name)) fail("name", `mask "${name}" is already registered`);
  criteria.set(name, criterion);
}

/** Names of the registered mask criteria, in registration order. */
export function maskNames(): string[] {
  return [...criteria.keys()];
}

/** Builds a mask with a registered criterion at a global `density` in (0, 1]. */
export function createMask(name: string, ctx: MaskContext, density: number): MaskSet {
  const c = criteria.get(name);
  if (!c) fail("name", `unknown mask "${name}" (registered: ${maskNames().join(", ") || "none"})`);
  if (!ctx || !Array.isArray(ctx.vars) || ctx.vars.length === 0)
    fail("ctx.vars", "must be a non-empty array of weight variables");
  if (!(ctx.rng instanceof Rng)) fail("ctx.rng", "must be an Rng");
  if (typeof density !== "number" || !(density > 0 && density <= 1))
    fail("density", `must lie in (0, 1], got ${density}`);
  return c(ctx, density);
}

/**
 * Keeps the round(density · total) entries with the largest scores, pooled over all layers
 * (ties broken by position, so the result is deterministic).
 */
export function topScoreMask(scores: ArrayLike<number>[], shapes: number[][], density: number): MaskSet {
  if (scores.length !== shapes.length) fail("scores", `must hold one array per shape (${shapes.length})`);
  const out = MaskSet.ones(shapes);
  const flat: Array<[number, number, number]> = [];
  scores.forEach((s, l) => {
    if (s.length !== out.layers[l].data.length)
      fail(`scores[${l}]`, `has ${s.length} entries; shape [${shapes[l]}] needs ${out.layers[l].data.length}`);
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i])) fail(`scores[${l}]`, `entry ${i} is ${s[i]}; scores must be finite`);
      flat.push([s[i], l, i]);
    }
  });
  const k = Math.round(density * flat.length);
  flat.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  out.layers.forEach((m) => m.data.fill(0));
  for (let j = 0; j < k; j++) out.layers[flat[j][1]].data[flat[j][2]] = 1;
  return out;
}

const shapesOf = (vars: tf.Variable[]) => vars.map((v) => [...v.shape]);
const needLoss = (ctx: MaskContext, name: string): (() => tf.Scalar) =>
  typeof ctx.loss === "function" ? ctx.loss : fail("ctx.loss", `the ${name} criterion needs a loss function`);

registerMask("magnitude", (ctx, d) =>
  topScoreMask(
    ctx.vars.map((v) => (v.dataSync() as Float32Array).map(Math.abs)),
    shapesOf(ctx.vars),
    d,
  ),
);
registerMask("random", (ctx, d) => randomMask(shapesOf(ctx.vars), uniformDensities(shapesOf(ctx.vars), d), ctx.rng));
registerMask("erk", (ctx, d) => randomMask(shapesOf(ctx.vars), erkDensities(shapesOf(ctx.vars), d), ctx.rng));
registerMask("snip", (ctx, d) => topScoreMask(snipScores(needLoss(ctx, "snip"), ctx.vars), shapesOf(ctx.vars), d));
// GraSP removes the highest −θ⊙Hg scores, so the kept set is the lowest: keep the top of the negation.
registerMask("grasp", (ctx, d) =>
  topScoreMask(
    graspScores(needLoss(ctx, "grasp"), ctx.vars).map((s) => s.map((x) => -x)),
    shapesOf(ctx.vars),
    d,
  ),
);
