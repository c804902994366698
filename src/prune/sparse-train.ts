// Sparsity-aware training through train()'s hooks: gradients are multiplied by the mask
// before the optimizer sees them, and after every step the weights are reset to w ⊙ m, so
// pruned weights stay exactly zero even when an optimizer's state (Adam moments, momentum)
// would move them. Optionally some entries are frozen: their gradient is zeroed and their
// saved values are restored after each step (Adam's stale moments would otherwise drift them).
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, fail } from "../core/validate";
import { TrainHook } from "../train/loop";
import { MaskSet } from "./mask";

function assertVars(vars: tf.Variable[], mask: MaskSet): void {
  if (!Array.isArray(vars) || vars.length !== mask.layers.length)
    fail("vars", `must hold ${mask.layers.length} variables (one per mask layer), got ${vars?.length}`);
  vars.forEach((v, l) => {
    if (!(v instanceof tf.Variable)) fail(`vars[${l}]`, "must be a tf.Variable");
    if (v.shape.join("x") !== mask.layers[l].shape.join("x"))
      fail(`vars[${l}]`, `has shape [${v.shape}]; the mask has [${mask.layers[l].shape}]`);
  });
}

/** Copies of the variables' current values (for rewinding). */
export function snapshotWeights(vars: tf.Variable[]): Float32Array[] {
  if (!Array.isArray(vars) || vars.length === 0) fail("vars", "must be a non-empty array of variables");
  return vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

/** The variables' current values as flat arrays (a copy). */
export const weightsOf = snapshotWeights;

/**
 * Resets the variables to saved values (rewinding to init or to an early step); with a mask,
 * to saved ⊙ mask. The values are assigned exactly, bit for bit.
 */
export function rewindWeights(vars: tf.Variable[], saved: Float32Array[], mask?: MaskSet): void {
  if (!Array.isArray(saved) || saved.length !== vars.length)
    fail("saved", `must hold ${vars?.length} arrays (one per variable), got ${saved?.length}`);
  if (mask) assertVars(vars, mask);
  vars.forEach((v, l) => {
    if (saved[l].length !== v.size) fail(`saved[${l}]`, `has ${saved[l].length} entries; the variable has ${v.size}`);
    const vals = Float32Array.from(saved[l]);
    if (mask) mask.layers[l].data.forEach((k, i) => (vals[i] = k ? vals[i] : 0));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape, "float32")));
  });
}

/** Writes w ⊙ mask into the variables now. */
export function applyMask(vars: tf.Variable[], mask: MaskSet): void {
  assertVars(vars, mask);
  vars.forEach((v, l) => {
    const vals = Float32Array.from(v.dataSync() as Float32Array);
    mask.layers[l].data.forEach((k, i) => (vals[i] = k ? vals[i] : 0));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape, "float32")));
  });
}

export interface MaskedTrainingOptions {
  /** Entries whose values never change (gradient zeroed, value restored after each step). */
  frozen?: MaskSet;
  /**
   * true (default): entries outside the mask are held at exactly 0 (the weights are the sparse
   * net). false: they keep their values and only stop training, for models whose forward
   * multiplies by the mask itself (several tasks' masks over one set of weights).
   */
  zeroOutside?: boolean;
}

/**
 * A train() hook that keeps `vars` sparse under `mask`: gradients ⊙ mask, and after each
 * step w ← w ⊙ mask (frozen entries: their saved value). Call `setMask` after a regrowth,
 * `dispose` after training.
 */
export class MaskedTraining implements TrainHook {
  private keep: tf.Tensor[] = [];
  private hold: (tf.Tensor | null)[] = [];
  private fixed: (tf.Tensor | null)[] = [];
  private readonly names: Map<string, number>;
  private mask: MaskSet;
  private readonly frozen?: MaskSet;
  private readonly frozenValues?: Float32Array[];
  private readonly zeroOutside: boolean;

  constructor(
    private readonly vars: tf.Variable[],
    mask: MaskSet,
    opts: MaskedTrainingOptions = {},
  ) {
    if (!(mask instanceof MaskSet)) fail("mask", "must be a MaskSet");
    assertVars(vars, mask);
    assertKnownOptions("opts", opts, ["frozen", "zeroOutside"]);
    this.zeroOutside = opts.zeroOutside ?? true;
    if (typeof this.zeroOutside !== "boolean") fail("opts.zeroOutside", "must be a boolean");
    if (opts.frozen !== undefined) {
      if (!(opts.frozen instanceof MaskSet)) fail("opts.frozen", "must be a MaskSet");
      assertVars(vars, opts.frozen);
      this.frozen = opts.frozen;
      this.frozenValues = snapshotWeights(vars);
    }
    this.names = new Map(vars.map((v, l) => [v.name, l]));
    this.mask = mask;
    this.build();
    this.postStep();
  }

  /** The mask in force. */
  get current(): MaskSet {
    return this.mask;
  }

  /** Replaces the mask (e.g. after drop-and-grow) and applies it at once. */
  setMask(mask: MaskSet): void {
    assertVars(this.vars, mask);
    this.mask = mask;
    this.release();
    this.build();
    this.postStep();
  }

  trainableVariables(): tf.Variable[] {
    return this.vars;
  }

  transformGrads(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) {
      const l = this.names.get(k);
      out[k] = l === undefined ? g : tf.mul(g, this.keep[l]);
    }
    return out;
  }

  postStep(): void {
    this.vars.forEach((v, l) => {
      const f = this.fixed[l];
      // Assign inside tidy so the temporary is freed (assign keeps its own reference).
      const h = this.hold[l];
      if (!h) return;
      tf.tidy(() => v.assign(f ? tf.add(tf.mul(v, h), f) : tf.mul(v, h)));
    });
  }

  dispose(): void {
    this.release();
  }

  // keep = mask ⊙ (1 − frozen) (gradients); after a step w ← w ⊙ hold + fixed, with
  // hold = keep (zeroOutside) or 1 − frozen, and fixed = frozenValue ⊙ frozen.
  private build(): void {
    this.mask.layers.forEach((m, l) => {
      const keep = new Float32Array(m.data.length);
      const hold = new Float32Array(m.data.length);
      const fixed = this.frozen ? new Float32Array(m.data.length) : null;
      const fz = this.frozen?.layers[l].data;
      for (let i = 0; i < keep.length; i++) {
        const isFrozen = fz ? fz[i] === 1 : false;
        keep[i] = m.data[i] && !isFrozen ? 1 : 0;
        hold[i] = this.zeroOutside ? keep[i] : isFrozen ? 0 : 1;
        if (fixed && isFrozen) fixed[i] = (this.frozenValues as Float32Array[])[l][i];
      }
      this.keep.push(tf.keep(tf.tensor(keep, m.shape, "float32")));
      // Nothing to hold when no entry is zeroed or frozen: skip the per-step assign.
      this.hold.push(this.zeroOutside || fixed ? tf.keep(tf.tensor(hold, m.shape, "float32")) : null);
      this.fixed.push(fixed ? tf.keep(tf.tensor(fixed, m.shape, "float32")) : null);
    });
  }

  private release(): void {
    this.keep.forEach((t) => t.dispose());
    this.hold.forEach((t) => t?.dispose());
    this.fixed.forEach((t) => t?.dispose());
    this.keep = [];
    this.hold = [];
    this.fixed = [];
  }
}
