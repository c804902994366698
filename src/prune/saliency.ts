// Pruning-at-initialization scores from one batch: SNIP (Lee et al. 2019), |θ ⊙ ∇L|, and
// GraSP (Wang et al. 2020), −θ ⊙ Hg with H the Hessian of the loss and g its gradient.
// Hg is a finite difference of gradients, (∇L(θ + δg) − ∇L(θ))/δ, so any model whose loss
// tfjs can differentiate once works (tfjs has no second derivative for fused ops).
import * as tf from "@tensorflow/tfjs";
import { assertKnownOptions, fail } from "../core/validate";

function gradsOf(loss: () => tf.Scalar, vars: tf.Variable[]): Float32Array[] {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, vars);
    return vars.map((v) => {
      const g = grads[v.name];
      return g ? Float32Array.from(g.dataSync() as Float32Array) : new Float32Array(v.size);
    });
  });
}

function assertVars(vars: tf.Variable[]): void {
  if (!Array.isArray(vars) || vars.length === 0) fail("vars", "must be a non-empty array of variables");
  vars.forEach((v, l) => {
    if (!(v instanceof tf.Variable)) fail(`vars[${l}]`, "must be a tf.Variable");
  });
}

/** SNIP connection sensitivity |θ ⊙ ∂L/∂θ| per entry. */
export function snipScores(loss: () => tf.Scalar, vars: tf.Variable[]): Float32Array[] {
  if (typeof loss !== "function") fail("loss", "must be a function returning a scalar loss");
  assertVars(vars);
  const g = gradsOf(loss, vars);
  const w = vars.map((v) => v.dataSync() as Float32Array);
  return g.map((gl, l) => gl.map((x, i) => Math.abs(x * w[l][i])));
}

export interface HessianGradOptions {
  /** Step δ of the finite difference, as ‖δg‖ / ‖θ‖ (default 1e-3). */
  relativeStep?: number;
}

/** H·g by a forward difference of gradients; the variables are restored exactly afterwards. */
export function hessianGradProduct(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  opts: HessianGradOptions = {},
): { grad: Float32Array[]; hg: Float32Array[] } {
  assertKnownOptions("opts", opts, ["relativeStep"]);
  if (typeof loss !== "function") fail("loss", "must be a function returning a scalar loss");
  assertVars(vars);
  const rel = opts.relativeStep ?? 1e-3;
  if (!(rel > 0) || !Number.isFinite(rel)) fail("opts.relativeStep", `must be a positive number, got ${rel}`);
  const saved = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  const g0 = gradsOf(loss, vars);
  const norm = (xs: Float32Array[]) => Math.sqrt(xs.reduce((a, x) => a + x.reduce((b, v) => b + v * v, 0), 0));
  const gn = norm(g0);
  if (gn === 0) return { grad: g0, hg: g0.map((x) => new Float32Array(x.length)) };
  const delta = (rel * Math.max(norm(saved), 1e-12)) / gn;
  try {
    vars.forEach((v, l) =>
      v.assign(
        tf.tensor(
          saved[l].map((x, i) => x + delta * g0[l][i]),
          v.shape,
          "float32",
        ),
      ),
    );
    const g1 = gradsOf(loss, vars);
    return { grad: g0, hg: g1.map((x, l) => x.map((v, i) => (v - g0[l][i]) / delta)) };
  } finally {
    vars.forEach((v, l) => tf.tidy(() => v.assign(tf.tensor(saved[l], v.shape, "float32"))));
  }
}

/** GraSP scores −θ ⊙ Hg per entry (GraSP removes the highest scores). */
export function graspScores(loss: () => tf.Scalar, vars: tf.Variable[], opts: HessianGradOptions = {}): Float32Array[] {
  const { hg } = hessianGradProduct(loss, vars, opts);
  return vars.map((v, l) => {
    const w = v.dataSync() as Float32Array;
    return hg[l].map((x, i) => -w[i] * x);
  });
}
