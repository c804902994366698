// Batched Poincaré-ball operations on tfjs tensors (one point per row, curvature −c), with
// clamped denominators and norms, a projection back inside the ball, and hand-derived
// backward passes for exp₀/log₀, whose autograd through ‖v‖ is 0/0 at the origin.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";

/** Smallest squared norm used in divisions (keeps float32 gradients finite at the origin). */
const MIN_SQ = 1e-30;
/** Default projection margin: points are kept at √c‖x‖ ≤ 1 − 4e-3 (the paper's float32 choice). */
export const BALL_EPS = 4e-3;

export function checkCurvature(c: number): number {
  if (typeof c !== "number" || !(c > 0) || !Number.isFinite(c))
    fail("c", `must be a finite curvature magnitude > 0, got ${String(c)}`);
  return c;
}

const sqNorm = (x: tf.Tensor2D): tf.Tensor2D => tf.sum(tf.square(x), 1, true) as tf.Tensor2D;
const safeNorm = (x: tf.Tensor2D): tf.Tensor2D => tf.sqrt(tf.maximum(sqNorm(x), MIN_SQ)) as tf.Tensor2D;

/** Rows scaled back to norm ≤ (1 − eps)/√c. */
export function ballProject(x: tf.Tensor2D, c: number, eps = BALL_EPS): tf.Tensor2D {
  checkCurvature(c);
  return tf.tidy(() => {
    const n = safeNorm(x);
    const maxN = (1 - eps) / Math.sqrt(c);
    return tf.mul(x, tf.minimum(tf.div(maxN, n), 1)) as tf.Tensor2D;
  });
}

/** λ_x = 2 / (1 − c‖x‖²) per row, shape [n, 1]. */
export function ballLambda(x: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.div(2, tf.maximum(tf.sub(1, tf.mul(c, sqNorm(x))), 1e-15)) as tf.Tensor2D;
}

/** Möbius addition of rows (x or y may be a single row [1, d] that broadcasts). */
export function ballMobiusAdd(x: tf.Tensor2D, y: tf.Tensor2D, c: number): tf.Tensor2D {
  checkCurvature(c);
  return tf.tidy(() => {
    const xy = tf.sum(tf.mul(x, y), 1, true);
    const x2 = sqNorm(x);
    const y2 = sqNorm(y);
    const a = tf.add(tf.add(1, tf.mul(2 * c, xy)), tf.mul(c, y2));
    const b = tf.sub(1, tf.mul(c, x2));
    const den = tf.add(tf.add(1, tf.mul(2 * c, xy)), tf.mul(c * c, tf.mul(x2, y2)));
    return tf.div(tf.add(tf.mul(a, x), tf.mul(b, y)), tf.maximum(den, 1e-15)) as tf.Tensor2D;
  });
}

// (d/dn f(n)) / n for f = tanh(t)/t and g = artanh(t)/t with t = √c n, divided by c:
// series below t = 0.05, where the closed forms lose float32 precision to cancellation.
const SERIES_T = 0.05;

/** exp₀ on rows: tanh(√c‖v‖) v / (√c‖v‖), with a closed-form backward pass. */
export function ballExpMap0(v: tf.Tensor2D, c: number): tf.Tensor2D {
  const sc = Math.sqrt(checkCurvature(c));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [vIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const vv = vIn as tf.Tensor2D;
    const t = tf.mul(safeNorm(vv), sc);
    const f = tf.div(tf.tanh(t), t);
    save([vv, t, f]);
    return {
      value: tf.mul(f, vv),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sv, st, sf] = saved as tf.Tensor2D[];
        // f' / n = c (t sech²t − tanh t) / t³  (series −2/3 + 8t²/15 − 34t⁴/105 near 0)
        const t2 = tf.square(st);
        const th = tf.tanh(st);
        const closed = tf.div(tf.sub(tf.mul(st, tf.sub(1, tf.square(th))), th), tf.mul(t2, st));
        const series = tf.add(-2 / 3, tf.mul(t2, tf.add(8 / 15, tf.mul(t2, -34 / 105))));
        const k = tf.mul(tf.where(tf.less(st, SERIES_T), series, closed), c);
        const dot = tf.sum(tf.mul(sv, dy), 1, true);
        return [tf.add(tf.mul(sf, dy), tf.mul(tf.mul(k, dot), sv))];
      },
    };
  });
  return op(v) as tf.Tensor2D;
}

/** log₀ on rows: artanh(√c‖y‖) y / (√c‖y‖), norms clipped below the boundary, closed-form backward. */
export function ballLogMap0(y: tf.Tensor2D, c: number): tf.Tensor2D {
  const sc = Math.sqrt(checkCurvature(c));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [yIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const yy = yIn as tf.Tensor2D;
    const t = tf.minimum(tf.mul(safeNorm(yy), sc), 1 - 1e-5);
    const g = tf.div(tf.atanh(t), t);
    save([yy, t, g]);
    return {
      value: tf.mul(g, yy),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sy, st, sg] = saved as tf.Tensor2D[];
        // g' / n = c (t/(1−t²) − artanh t) / t³  (series 2/3 + 4t²/5 + 6t⁴/7 near 0)
        const t2 = tf.square(st);
        const closed = tf.div(tf.sub(tf.div(st, tf.sub(1, t2)), tf.atanh(st)), tf.mul(t2, st));
        const series = tf.add(2 / 3, tf.mul(t2, tf.add(4 / 5, tf.mul(t2, 6 / 7))));
        const k = tf.mul(tf.where(tf.less(st, SERIES_T), series, closed), c);
        const dot = tf.sum(tf.mul(sy, dy), 1, true);
        return [tf.add(tf.mul(sg, dy), tf.mul(tf.mul(k, dot), sy))];
      },
    };
  });
  return op(y) as tf.Tensor2D;
}

/** exp_x(v) = x ⊕ exp₀(λ_x v / 2), rows of x (or one row) with rows of v. */
export function ballExpMap(x: tf.Tensor2D, v: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(() => ballMobiusAdd(x, ballExpMap0(tf.mul(v, tf.div(ballLambda(x, c), 2)) as tf.Tensor2D, c), c));
}

/** log_x(y) = (2/λ_x) log₀(−x ⊕ y). */
export function ballLogMap(x: tf.Tensor2D, y: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.mul(ballLogMap0(ballMobiusAdd(tf.neg(x), y, c), c), tf.div(2, ballLambda(x, c))) as tf.Tensor2D,
  );
}

/** Geodesic distance per row pair, shape [n, 1]: d = 2‖log₀(−x ⊕ y)‖. */
export function ballDistance(x: tf.Tensor2D, y: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(safeNorm(ballLogMap0(ballMobiusAdd(tf.neg(x), y, c), c)), 2) as tf.Tensor2D);
}

/** gyr[u, v]w in its closed linear form (u, v rows or single rows; w rows). */
export function ballGyration(u: tf.Tensor2D, v: tf.Tensor2D, w: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(() => {
    const rowDot = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.sum(tf.mul(a, b), 1, true);
    const uv = rowDot(u, v);
    const uw = rowDot(u, w);
    const vw = rowDot(v, w);
    const u2 = sqNorm(u);
    const v2 = sqNorm(v);
    const a = tf.add(tf.sub(tf.mul(c, vw), tf.mul(c * c, tf.mul(uw, v2))), tf.mul(2 * c * c, tf.mul(uv, vw)));
    const b = tf.neg(tf.add(tf.mul(c * c, tf.mul(vw, u2)), tf.mul(c, uw)));
    const d = tf.maximum(tf.add(tf.add(1, tf.mul(2 * c, uv)), tf.mul(c * c, tf.mul(u2, v2))), 1e-15);
    return tf.add(w, tf.div(tf.mul(2, tf.add(tf.mul(a, u), tf.mul(b, v))), d)) as tf.Tensor2D;
  });
}

/** Parallel transport of tangent rows v from x to y: (λ_x/λ_y) gyr[y, −x] v. */
export function ballTransport(x: tf.Tensor2D, y: tf.Tensor2D, v: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.mul(ballGyration(y, tf.neg(x), v, c), tf.div(ballLambda(x, c), ballLambda(y, c))) as tf.Tensor2D,
  );
}

/** Gyrovector midpoint of the rows, [1, d]: ½ ⊗ (Σλᵢxᵢ / Σ(λᵢ−1)). */
export function ballMidpoint(x: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(() => {
    const lam = ballLambda(x, c);
    const m = tf.div(tf.sum(tf.mul(lam, x), 0, true), tf.maximum(tf.sum(tf.sub(lam, 1)), 1e-15)) as tf.Tensor2D;
    return tf.div(m, tf.add(1, tf.sqrt(tf.maximum(tf.sub(1, tf.mul(c, sqNorm(m))), 0)))) as tf.Tensor2D;
  });
}

/** ReLU in the tangent space at the origin: exp₀(relu(log₀ x)). */
export function ballRelu(x: tf.Tensor2D, c: number): tf.Tensor2D {
  return tf.tidy(() => ballExpMap0(tf.relu(ballLogMap0(x, c)), c));
}
