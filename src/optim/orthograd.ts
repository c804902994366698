// ⊥Grad (Prieto et al., ICLR 2025): per parameter tensor, drop the gradient's component
// along θ and rescale to the original gradient norm, so the optimizer cannot take the
// "scale the logits" (naive loss minimisation) direction. AdamW here follows PyTorch's
// update exactly; ⊥AdamW is the same code path with `orthogonal: true`.
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertInRange, assertKnownOptions, fail } from "../core/validate";

// The official code adds 1e-30 to both denominators.
const TINY = 1e-30;
// Roundoff floor: if ‖g⊥‖ ≤ REL·√n·ε·‖g‖ the "orthogonal part" is rounding noise (g ∥ θ);
// rescaling it to ‖g‖ would inject a random direction, so return 0 instead.
const REL = 4;
const EPS32 = 2 ** -24;
const EPS64 = 2 ** -53;

/**
 * g⊥ = g − (θ·g)/(θ·θ + 1e-30)·θ, rescaled to ‖g‖; zero for zero inputs or g ∥ θ.
 * Tensors in → tensor out (same shape, caller disposes); arrays in → float64 number[].
 */
export function orthogonalGradient(grad: tf.Tensor, param: tf.Tensor): tf.Tensor;
export function orthogonalGradient(grad: ArrayLike<number>, param: ArrayLike<number>): number[];
export function orthogonalGradient(
  grad: tf.Tensor | ArrayLike<number>,
  param: tf.Tensor | ArrayLike<number>,
): tf.Tensor | number[] {
  if (grad instanceof tf.Tensor || param instanceof tf.Tensor) {
    if (!(grad instanceof tf.Tensor) || !(param instanceof tf.Tensor))
      fail("grad", "and param must both be tf.Tensors or both be arrays");
    if (grad.shape.join() !== param.shape.join())
      fail("grad", `shape [${grad.shape}] does not match param shape [${param.shape}]`);
    if (grad.size === 0) fail("grad", "is empty");
    return orthoTensor(grad, param);
  }
  if (grad == null || typeof grad.length !== "number") fail("grad", "must be a tf.Tensor or an array of numbers");
  if (param == null || typeof param.length !== "number") fail("param", "must be a tf.Tensor or an array of numbers");
  if (grad.length !== param.length) fail("grad", `has ${grad.length} values; param has ${param.length}`);
  if (grad.length === 0) fail("grad", "is empty");
  assertFinite("grad", grad);
  assertFinite("param", param);
  let wg = 0;
  let ww = 0;
  let gg = 0;
  for (let k = 0; k < grad.length; k++) {
    wg += param[k] * grad[k];
    ww += param[k] * param[k];
    gg += grad[k] * grad[k];
  }
  const proj = wg / (ww + TINY);
  const out = Array.from(grad, (g, k) => g - proj * param[k]);
  const on = Math.sqrt(out.reduce((a, v) => a + v * v, 0));
  const gn = Math.sqrt(gg);
  const scale = on <= REL * Math.sqrt(grad.length) * EPS64 * gn ? 0 : gn / (on + TINY);
  return out.map((v) => v * scale);
}

/** Tensor form, float32 on device, no reads (safe inside a training step). */
function orthoTensor(grad: tf.Tensor, param: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const g = grad.toFloat();
    const w = param.toFloat();
    const proj = tf.div(tf.sum(tf.mul(w, g)), tf.add(tf.sum(tf.square(w)), TINY));
    const gOrth = tf.sub(g, tf.mul(proj, w));
    const gn = tf.norm(g);
    const on = tf.norm(gOrth);
    const floor = tf.mul(gn, REL * Math.sqrt(grad.size) * EPS32);
    const scale = tf.where(tf.lessEqual(on, floor), tf.zerosLike(gn), tf.div(gn, tf.add(on, TINY)));
    return tf.mul(gOrth, scale);
  });
}

export interface AdamWConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  /** Added to √v̂; the paper uses 1e-25 so tiny gradients still move the weights. */
  eps?: number;
  /** Decoupled weight decay (θ ← θ(1 − lr·wd)); 0 = Adam. */
  weightDecay?: number;
  /** Apply ⊥Grad to each tensor's gradient before the moment updates. */
  orthogonal?: boolean;
}

const ADAMW_KEYS = ["lr", "beta1", "beta2", "eps", "weightDecay", "orthogonal"];

/**
 * AdamW (PyTorch semantics: decoupled decay, bias-corrected moments, eps added after
 * √v/√(1−β₂ᵗ)), optionally with ⊥Grad. A tf.Optimizer: use minimize() or applyGradients().
 */
export class AdamW extends tf.Optimizer {
  static get className(): string {
    return "InitlabAdamW";
  }
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly orthogonal: boolean;
  private t = 0;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(config: AdamWConfig) {
    super();
    assertKnownOptions("config", config, ADAMW_KEYS);
    const c = config ?? ({} as AdamWConfig);
    if (!(typeof c.lr === "number" && c.lr > 0 && Number.isFinite(c.lr)))
      fail("config.lr", `must be a positive number, got ${c.lr}`);
    this.lr = c.lr;
    this.beta1 = c.beta1 ?? 0.9;
    this.beta2 = c.beta2 ?? 0.999;
    this.eps = c.eps ?? 1e-8;
    this.weightDecay = c.weightDecay ?? 0;
    this.orthogonal = c.orthogonal ?? false;
    assertInRange("config.beta1", this.beta1, 0, 1 - 1e-12);
    assertInRange("config.beta2", this.beta2, 0, 1 - 1e-12);
    if (!(this.eps >= 0 && Number.isFinite(this.eps)))
      fail("config.eps", `must be a finite number ≥ 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0 && Number.isFinite(this.weightDecay)))
      fail("config.weightDecay", `must be a finite number ≥ 0, got ${this.weightDecay}`);
  }

  /** Learning rate for the following steps (schedules). */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) fail("lr", `must be a finite number ≥ 0, got ${lr}`);
    this.lr = lr;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const pairs: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const registered = tf.engine().registeredVariables;
    tf.tidy(() => {
      for (const [name, grad] of pairs) {
        if (grad == null) continue;
        const param = registered[name];
        if (!param) fail("variableGradients", `no registered variable named "${name}"`);
        let st = this.moments.get(name);
        if (!st) {
          st = { m: tf.variable(tf.zerosLike(param), false), v: tf.variable(tf.zerosLike(param), false) };
          this.moments.set(name, st);
        }
        const g = this.orthogonal ? orthoTensor(grad, param) : grad;
        const m = tf.add(tf.mul(st.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(st.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        st.m.assign(m);
        st.v.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        const decayed = this.weightDecay > 0 ? tf.mul(param, 1 - this.lr * this.weightDecay) : param;
        param.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), this.lr / bc1)));
      }
    });
    this.incrementIterations();
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      orthogonal: this.orthogonal,
    };
  }
}

/** Plain AdamW (the ⊥AdamW comparison differs from it only in `orthogonal`). */
export function plainAdamW(config: Omit<AdamWConfig, "orthogonal">): AdamW {
  assertKnownOptions(
    "config",
    config,
    ADAMW_KEYS.filter((k) => k !== "orthogonal"),
  );
  return new AdamW({ ...config, orthogonal: false });
}

/** ⊥AdamW: AdamW on per-tensor ⊥Grad gradients. */
export function orthoAdamW(config: Omit<AdamWConfig, "orthogonal">): AdamW {
  assertKnownOptions(
    "config",
    config,
    ADAMW_KEYS.filter((k) => k !== "orthogonal"),
  );
  return new AdamW({ ...config, orthogonal: true });
}
