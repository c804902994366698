// Poincaré-ball layers on tfjs tensors (autograd): the HNN++ fully connected layer with three
// initialisations (the identity init of Poincaré ResNet, Shimizu et al.'s Gaussian, a
// Xavier-like Gaussian) and midpoint batch normalisation. All parameters are Euclidean
// (weights, biases, a tangent vector at the origin), so plain Adam trains them. The residual
// network with a hand-written backward pass is in ./poincare-resnet.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";
import {
  ballDistance,
  ballExpMap,
  ballExpMap0,
  ballLambda,
  ballLogMap,
  ballMidpoint,
  ballProject,
  ballTransport,
  checkCurvature,
} from "./poincare-ops";

export type PoincareInit = "identity" | "shimizu" | "xavier";

/**
 * Weights z [din, dout] of a Poincaré linear layer. "identity": ½I (zero-padded), which makes
 * the layer exactly the identity when din ≤ dout; "shimizu": N(0, (2·din·dout)^(−1/2)) (std);
 * "xavier": N(0, 2/(din+dout)) (variance).
 */
export function poincareLinearInit(din: number, dout: number, init: PoincareInit, rng: Rng): Float32Array {
  assertPositiveInt("din", din);
  assertPositiveInt("dout", dout);
  const z = new Float32Array(din * dout);
  if (init === "identity") {
    if (din > dout) fail("init", `"identity" needs din ≤ dout, got ${din} > ${dout}`);
    for (let i = 0; i < din; i++) z[i * dout + i] = 0.5;
    return z;
  }
  let std: number;
  if (init === "shimizu") std = 1 / Math.sqrt(2 * din * dout);
  else if (init === "xavier") std = Math.sqrt(2 / (din + dout));
  else return fail("init", `unknown init "${String(init)}" (known: identity, shimizu, xavier)`);
  z.set(rng.normalArray(din * dout, std));
  return z;
}

/** HNN++ Poincaré fully connected layer (weights z, scalar bias r per output). */
export class PoincareLinear {
  readonly z: tf.Variable;
  readonly r: tf.Variable;
  constructor(
    readonly din: number,
    readonly dout: number,
    readonly c: number,
    init: PoincareInit,
    rng: Rng,
    name = "plin",
  ) {
    checkCurvature(c);
    this.z = tf.variable(tf.tensor2d(poincareLinearInit(din, dout, init, rng), [din, dout]), true, `${name}.z`);
    this.r = tf.variable(tf.zeros([dout]), true, `${name}.r`);
  }

  /** The hyperplane coordinates v_k = (2‖z_k‖/√c) asinh(√c λ_x⟨x,z_k⟩/‖z_k‖ cosh(2√c r_k) − (λ_x−1) sinh(2√c r_k)). */
  preActivation(x: tf.Tensor2D): tf.Tensor2D {
    if (x.shape[1] !== this.din) fail("x", `has ${x.shape[1]} columns, the layer expects ${this.din}`);
    const c = this.c;
    const sc = Math.sqrt(c);
    return tf.tidy(() => {
      const lam = ballLambda(x, c);
      const zn = tf.sqrt(tf.maximum(tf.sum(tf.square(this.z), 0, true), 1e-30));
      const twoR = tf.mul(this.r, 2 * sc);
      const arg = tf.sub(
        tf.mul(tf.mul(tf.mul(lam, sc), tf.div(tf.matMul(x, this.z), zn)), tf.cosh(twoR)),
        tf.mul(tf.sub(lam, 1), tf.sinh(twoR)),
      );
      return tf.mul(tf.mul(zn, 2 / sc), tf.asinh(arg)) as tf.Tensor2D;
    });
  }

  /** The output point y = w / (1 + √(1 + c‖w‖²)), w = sinh(√c v)/√c, projected inside the ball. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const c = this.c;
    const sc = Math.sqrt(c);
    return tf.tidy(() => {
      const v = this.preActivation(x);
      // sinh overflows float32 beyond ~88; far earlier the point already sits at the boundary.
      const w = tf.div(tf.sinh(tf.clipByValue(tf.mul(v, sc), -15, 15)), sc);
      const den = tf.add(1, tf.sqrt(tf.add(1, tf.mul(c, tf.sum(tf.square(w), 1, true)))));
      return ballProject(tf.div(w, den) as tf.Tensor2D, c);
    });
  }

  variables(): tf.Variable[] {
    return [this.z, this.r];
  }
}

export type BatchNormMode = "train" | "eval" | "calibrate";

/**
 * Poincaré midpoint batch normalisation: centre on the gyrovector midpoint μ, rescale by
 * √(w/(σ²+ε)) with σ² the mean squared distance to μ, transport to b = exp₀(bias).
 * "eval" uses the statistics stored by the last "calibrate" pass (a precise-BN pass over
 * training data after training) instead of running averages.
 */
export class PoincareMidpointBatchNorm {
  readonly bias: tf.Variable;
  readonly weight: tf.Variable;
  private mean: tf.Tensor2D | null = null;
  private variance = 1;
  constructor(
    readonly dim: number,
    readonly c: number,
    name = "pbn",
  ) {
    checkCurvature(c);
    assertPositiveInt("dim", dim);
    this.bias = tf.variable(tf.zeros([1, dim]), true, `${name}.bias`);
    this.weight = tf.variable(tf.scalar(1), true, `${name}.weight`);
  }

  forward(x: tf.Tensor2D, mode: BatchNormMode = "train"): tf.Tensor2D {
    const c = this.c;
    if (mode === "eval" && !this.mean) fail("mode", '"eval" needs a "calibrate" pass first');
    return tf.tidy(() => {
      let mu: tf.Tensor2D;
      let varT: tf.Tensor;
      if (mode === "eval") {
        mu = this.mean as tf.Tensor2D;
        varT = tf.scalar(this.variance);
      } else {
        mu = ballMidpoint(x, c);
        varT = tf.mean(tf.square(ballDistance(mu, x, c)));
        if (mode === "calibrate") {
          this.mean?.dispose();
          this.mean = tf.keep(tf.clone(mu));
          this.variance = varT.dataSync()[0];
        }
      }
      const b = ballExpMap0(this.bias as unknown as tf.Tensor2D, c);
      const u = ballTransport(mu, b, ballLogMap(mu, x, c), c);
      const s = tf.sqrt(tf.div(tf.abs(this.weight), tf.add(varT, 1e-6)));
      return ballProject(ballExpMap(b, tf.mul(u, s) as tf.Tensor2D, c), c);
    });
  }

  variables(): tf.Variable[] {
    return [this.bias, this.weight];
  }

  dispose(): void {
    this.mean?.dispose();
    this.mean = null;
  }
}
