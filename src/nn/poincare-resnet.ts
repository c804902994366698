// The Poincaré residual MLP of the Poincaré ResNet reproduction, with a hand-written backward
// pass (the paper's third fix: manual gradients keep the computation small). Forward and
// backward run in float64 JS over the row primitives of ./poincare-rows; parameters live in
// tf.Variables so the library's training loop (its `gradients` option) and Adam train them.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";
import { checkCurvature } from "./poincare-ops";
import { PoincareInit, poincareLinearInit } from "./poincare";
import { exp0Rows, gyrationRows, log0Rows, midpointRows, mobiusAddRows, projectRows, Rows } from "./poincare-rows";

type Back = (g: Rows) => Rows;

/** HNN++ hyperplane coordinates v [n, dout] of rows x [n, din] (weights z [din, dout], optional bias r). */
export function poincareLinearRows(
  x: Rows,
  n: number,
  din: number,
  z: Rows,
  dout: number,
  r: Rows | null,
  c: number,
): { v: Rows; back: (gv: Rows) => { gx: Rows; gz: Rows; gr: Rows | null } } {
  const sc = Math.sqrt(c);
  const lam = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < din; k++) s += x[i * din + k] ** 2;
    lam[i] = 2 / Math.max(1 - c * s, 1e-15);
  }
  const zn = new Float64Array(dout);
  for (let k = 0; k < din; k++) for (let j = 0; j < dout; j++) zn[j] += z[k * dout + j] ** 2;
  for (let j = 0; j < dout; j++) zn[j] = Math.max(Math.sqrt(zn[j]), 1e-15);
  const C = r ? r.map((v) => Math.cosh(2 * sc * v)) : null;
  const S = r ? r.map((v) => Math.sinh(2 * sc * v)) : null;
  const xz = new Float64Array(n * dout);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < din; k++) {
      const xv = x[i * din + k];
      if (xv === 0) continue;
      for (let j = 0; j < dout; j++) xz[i * dout + j] += xv * z[k * dout + j];
    }
  const A = new Float64Array(n * dout);
  const arg = new Float64Array(n * dout);
  const v = new Float64Array(n * dout);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dout; j++) {
      const q = i * dout + j;
      A[q] = (sc * lam[i] * xz[q]) / zn[j];
      arg[q] = C && S ? A[q] * C[j] - (lam[i] - 1) * S[j] : A[q];
      v[q] = ((2 * zn[j]) / sc) * Math.asinh(arg[q]);
    }
  const back = (gv: Rows) => {
    const gxz = new Float64Array(n * dout);
    const gzn = new Float64Array(dout);
    const glam = new Float64Array(n);
    const gr = r ? new Float64Array(dout) : null;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < dout; j++) {
        const q = i * dout + j;
        const gArg = (gv[q] * ((2 * zn[j]) / sc)) / Math.sqrt(1 + arg[q] * arg[q]);
        gzn[j] += gv[q] * (2 / sc) * Math.asinh(arg[q]);
        let gA = gArg;
        if (C && S && gr) {
          gA = gArg * C[j];
          gr[j] += gArg * 2 * sc * (A[q] * S[j] - (lam[i] - 1) * C[j]);
          glam[i] -= gArg * S[j];
        }
        gxz[q] = (gA * sc * lam[i]) / zn[j];
        glam[i] += (gA * sc * xz[q]) / zn[j];
        gzn[j] -= (gA * A[q]) / zn[j];
      }
    const gx = new Float64Array(n * din);
    const gz = new Float64Array(din * dout);
    for (let i = 0; i < n; i++) {
      const lc = glam[i] * lam[i] * lam[i] * c;
      for (let k = 0; k < din; k++) {
        let s = 0;
        const xv = x[i * din + k];
        for (let j = 0; j < dout; j++) {
          s += gxz[i * dout + j] * z[k * dout + j];
          gz[k * dout + j] += xv * gxz[i * dout + j];
        }
        gx[i * din + k] = s + lc * xv;
      }
    }
    for (let k = 0; k < din; k++) for (let j = 0; j < dout; j++) gz[k * dout + j] += (gzn[j] * z[k * dout + j]) / zn[j];
    return { gx, gz, gr };
  };
  return { v, back };
}

/** The layer's output point: w = sinh(√c v)/√c, y = w / (1 + √(1 + c‖w‖²)). */
export function linearToBallRows(v: Rows, n: number, d: number, c: number): { y: Rows; back: Back } {
  const sc = Math.sqrt(c);
  const w = new Float64Array(n * d);
  const ch = new Float64Array(n * d);
  const D = new Float64Array(n);
  const Q = new Float64Array(n);
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const q = i * d + j;
      const a = sc * v[q];
      const clipped = Math.max(-15, Math.min(15, a)); // far beyond this the point is at the boundary
      w[q] = Math.sinh(clipped) / sc;
      ch[q] = clipped === a ? Math.cosh(a) : 0;
      s += w[q] * w[q];
    }
    Q[i] = Math.sqrt(1 + c * s);
    D[i] = 1 + Q[i];
    for (let j = 0; j < d; j++) y[i * d + j] = w[i * d + j] / D[i];
  }
  const back = (g: Rows): Rows => {
    const gv = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let gw = 0;
      for (let j = 0; j < d; j++) gw += g[i * d + j] * w[i * d + j];
      const s = (gw * c) / (D[i] * D[i] * Q[i]);
      for (let j = 0; j < d; j++) gv[i * d + j] = (g[i * d + j] / D[i] - s * w[i * d + j]) * ch[i * d + j];
    }
    return gv;
  };
  return { y, back };
}

/** ReLU in the tangent space at the origin: exp₀(relu(log₀ x)). */
export function ballReluRows(x: Rows, n: number, d: number, c: number): { y: Rows; back: Back } {
  const l = log0Rows(x, n, d, c);
  const r = l.y.map((v) => (v > 0 ? v : 0));
  const e = exp0Rows(r, n, d, c);
  return { y: e.y, back: (g) => l.back(e.back(g).map((v, q) => (l.y[q] > 0 ? v : 0))) };
}

/** Statistics of one midpoint batch norm: the midpoint μ and the mean squared distance σ² to it. */
export interface MidpointStats {
  mu: Rows;
  variance: number;
}

/**
 * Midpoint batch norm on rows: y = b ⊕ gyr[b, −μ] exp₀(s·log₀(−μ ⊕ x)), s = √(|w|/(σ²+1e-6)),
 * b = exp₀(bias); this equals exp_b(s·PT_{μ→b}(log_μ x)). With `fixed`, μ and σ² are those
 * statistics (evaluation) and receive no gradient.
 */
export function midpointBatchNormRows(
  x: Rows,
  n: number,
  d: number,
  c: number,
  bias: Rows,
  weight: number,
  fixed?: MidpointStats,
): { y: Rows; stats: MidpointStats; back: (g: Rows) => { gx: Rows; gBias: Rows; gWeight: number } } {
  const mid = fixed ? null : midpointRows(x, n, d, c);
  const mu = fixed ? fixed.mu : (mid as { mu: Rows }).mu;
  const negMu = mu.map((v) => -v);
  const u = mobiusAddRows(negMu, 1, x, n, d, c);
  const lu = log0Rows(u.out, n, d, c);
  let variance = 0;
  if (fixed) variance = fixed.variance;
  else {
    for (let q = 0; q < n * d; q++) variance += lu.y[q] * lu.y[q];
    variance = (4 * variance) / n; // d(μ, x)² = (2‖log₀(−μ⊕x)‖)²
  }
  const aw = Math.abs(weight);
  const s = Math.sqrt(aw / (variance + 1e-6));
  const t = exp0Rows(
    lu.y.map((v) => s * v),
    n,
    d,
    c,
  );
  const b = exp0Rows(bias, 1, d, c);
  const rot = gyrationRows(b.y, negMu, t.y, n, d, c);
  const add = mobiusAddRows(b.y, 1, rot.out, n, d, c);
  const proj = projectRows(add.out, n, d, c);
  const back = (g: Rows) => {
    const ga = add.back(proj.back(g));
    const gr = rot.back(ga.gy);
    const gb = ga.gx.map((v, j) => v + gr.gu[j]);
    const gBias = b.back(gb);
    const gsl = t.back(gr.gw);
    let gs = 0;
    for (let q = 0; q < n * d; q++) gs += gsl[q] * lu.y[q];
    const gWeight = aw > 0 ? (gs * s * Math.sign(weight)) / (2 * aw) : 0;
    const gVar = fixed ? 0 : (-gs * s) / (2 * (variance + 1e-6));
    const glu = gsl.map((v, q) => s * v + (gVar * 8 * lu.y[q]) / n);
    const gu = u.back(lu.back(glu));
    const gx = gu.gy;
    if (mid) {
      const gMu = gu.gx.map((v, j) => -(v + gr.gv[j]));
      const gm = mid.back(gMu);
      for (let q = 0; q < n * d; q++) gx[q] += gm[q];
    }
    return { gx, gBias, gWeight };
  };
  return { y: proj.y, stats: { mu, variance }, back };
}

export interface PoincareResNetConfig {
  inputDim: number;
  width: number;
  blocks: number;
  classes: number;
  /** Curvature magnitude (the ball has curvature −c). */
  c: number;
  /** Init of the square block layers and the stem ("identity" falls back to Shimizu where din > dout). */
  init: PoincareInit;
  /** Euclidean inputs are scaled by this before exp₀ (default 1). */
  inputScale?: number;
}

interface Layer {
  name: string;
  din: number;
  dout: number;
  bias: boolean;
}

/**
 * Poincaré residual MLP: x ↦ exp₀(inputScale·x), stem linear → midpoint BN → ReLU, then
 * `blocks` residual blocks relu(bn(fc(h)) ⊕ h), and a hyperbolic MLR head whose logits are the
 * hyperplane coordinates v_k of a Poincaré linear layer with biases (Shimizu init: din > dout).
 */
export class PoincareResNet {
  readonly layers: Layer[] = [];
  readonly vars: Record<string, tf.Variable> = {};
  private stats: MidpointStats[] | null = null;

  constructor(
    readonly cfg: PoincareResNetConfig,
    rng: Rng,
  ) {
    for (const k of ["inputDim", "width", "blocks", "classes"] as const) assertPositiveInt(`cfg.${k}`, cfg[k]);
    checkCurvature(cfg.c);
    const { inputDim: d0, width: w, classes } = cfg;
    const add = (name: string, din: number, dout: number, init: PoincareInit, bias: boolean) => {
      const use: PoincareInit = init === "identity" && din > dout ? "shimizu" : init;
      this.vars[`${name}.z`] = tf.variable(tf.tensor2d(poincareLinearInit(din, dout, use, rng), [din, dout]), true);
      if (bias) this.vars[`${name}.r`] = tf.variable(tf.zeros([dout]), true);
      this.layers.push({ name, din, dout, bias });
    };
    add("stem", d0, w, cfg.init, false);
    for (let b = 0; b < cfg.blocks; b++) add(`block${b}`, w, w, cfg.init, false);
    add("head", w, classes, "shimizu", true);
    for (let l = 0; l <= cfg.blocks; l++) {
      this.vars[`bn${l}.bias`] = tf.variable(tf.zeros([w]), true);
      this.vars[`bn${l}.weight`] = tf.variable(tf.scalar(1), true);
    }
  }

  variables(): tf.Variable[] {
    return Object.values(this.vars);
  }

  /** Current parameter values (float64 copies), by variable name. */
  read(): Record<string, Rows> {
    const out: Record<string, Rows> = {};
    for (const [k, v] of Object.entries(this.vars)) out[k] = Float64Array.from(v.dataSync());
    return out;
  }

  /**
   * Forward pass on n rows of Euclidean inputs: logits [n, classes] and, in "train" mode, a
   * backward closure from the logits' gradient to every parameter's gradient.
   */
  private run(x: ArrayLike<number>, n: number, mode: "train" | "eval" | "calibrate", params?: Record<string, Rows>) {
    const { c, width: w, inputDim: d0 } = this.cfg;
    if (x.length !== n * d0) fail("x", `has ${x.length} values, expected ${n} rows × ${d0}`);
    if (mode === "eval" && !this.stats) fail("mode", "evaluation needs calibrate() after training");
    const p = params ?? this.read();
    const backs: Array<(g: Rows, grads: Record<string, Rows>) => Rows> = [];
    const scale = this.cfg.inputScale ?? 1;
    const e = exp0Rows(
      Float64Array.from(x, (v) => v * scale),
      n,
      d0,
      c,
    );
    let h = projectRows(e.y, n, d0, c).y; // inputs are data: no gradient needed below here
    const stats: MidpointStats[] = [];
    this.layers.forEach((L, l) => {
      const lin = poincareLinearRows(h, n, L.din, p[`${L.name}.z`], L.dout, L.bias ? p[`${L.name}.r`] : null, c);
      if (L.name === "head") {
        backs.push((g, grads) => {
          const r = lin.back(g);
          grads[`${L.name}.z`] = r.gz;
          grads[`${L.name}.r`] = r.gr as Rows;
          return r.gx;
        });
        h = lin.v;
        return;
      }
      const ball = linearToBallRows(lin.v, n, w, c);
      const bn = midpointBatchNormRows(
        ball.y,
        n,
        w,
        c,
        p[`bn${l}.bias`],
        p[`bn${l}.weight`][0],
        mode === "eval" ? (this.stats as MidpointStats[])[l] : undefined,
      );
      stats.push(bn.stats);
      const residual = l > 0 ? mobiusAddRows(bn.y, n, h, n, w, c) : null;
      const pr = residual ? projectRows(residual.out, n, w, c) : null;
      const relu = ballReluRows(pr ? pr.y : bn.y, n, w, c);
      backs.push((g, grads) => {
        let gIn = relu.back(g);
        let gSkip: Rows | null = null;
        if (residual && pr) {
          const ga = residual.back(pr.back(gIn));
          gIn = ga.gx;
          gSkip = ga.gy;
        }
        const gb = bn.back(gIn);
        grads[`bn${l}.bias`] = gb.gBias;
        grads[`bn${l}.weight`] = Float64Array.of(gb.gWeight);
        const gl = lin.back(ball.back(gb.gx));
        grads[`${L.name}.z`] = gl.gz;
        if (gSkip) for (let q = 0; q < gl.gx.length; q++) gl.gx[q] += gSkip[q];
        return gl.gx;
      });
      h = relu.y;
    });
    if (mode === "calibrate") this.stats = stats;
    const backward = (gLogits: Rows): Record<string, Rows> => {
      const grads: Record<string, Rows> = {};
      let g = gLogits;
      for (let k = backs.length - 1; k >= 0; k--) g = backs[k](g, grads);
      return grads;
    };
    return { logits: h, backward };
  }

  /** Mean cross-entropy and the gradient of every variable (by name), at `params` if given (float64 tests). */
  lossAndGrads(
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    n: number,
    params?: Record<string, Rows>,
  ): { loss: number; grads: Record<string, Rows> } {
    const K = this.cfg.classes;
    const { logits, backward } = this.run(x, n, "train", params);
    const g = new Float64Array(n * K);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, logits[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(logits[i * K + k] - m);
      loss += m + Math.log(s) - logits[i * K + y[i]];
      for (let k = 0; k < K; k++) g[i * K + k] = (Math.exp(logits[i * K + k] - m) / s - (k === y[i] ? 1 : 0)) / n;
    }
    return { loss: loss / n, grads: backward(g) };
  }

  /** The loss and gradients as tensors keyed by variable name (the training loop's `gradients` option). */
  tensorGrads(x: ArrayLike<number>, y: ArrayLike<number>, n: number): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const { loss, grads } = this.lossAndGrads(x, y, n);
    const out: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(this.vars)) out[v.name] = tf.tensor(Float32Array.from(grads[k]), v.shape);
    return { value: tf.scalar(loss), grads: out };
  }

  /** Stores each batch norm's midpoint and variance from these (training) rows, for evaluation. */
  calibrate(x: ArrayLike<number>, n: number): void {
    this.run(x, n, "calibrate");
  }

  /** Logits with the calibrated statistics (or the batch's own with `batchStats`). */
  logits(x: ArrayLike<number>, n: number, batchStats = false): Rows {
    return this.run(x, n, batchStats ? "train" : "eval").logits;
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
