// Poincaré-ball primitives on batches of rows (Float64Array, row-major [n, d]) with
// hand-derived backward passes: each forward returns its output and a `back` closure mapping
// the output's gradient to its inputs' gradients. The Poincaré residual network is built from
// these, because an autograd graph of the same ops costs thousands of tiny tfjs kernels a step.
// Reference formulas: src/linalg/poincare.ts (float64, one point at a time).

export type Rows = Float64Array;

/** Largest scaled norm √c‖x‖ a point keeps (the paper's float32 margin, 4e-3). */
export const ROW_BALL_EPS = 4e-3;
const MIN_N = 1e-15;

const rowDot = (a: Rows, i: number, b: Rows, j: number, d: number): number => {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
  return s;
};

/** exp₀ per row: y = f(n) v, f = tanh(t)/t, t = √c‖v‖. */
export function exp0Rows(v: Rows, n: number, d: number, c: number): { y: Rows; back: (g: Rows) => Rows } {
  const sc = Math.sqrt(c);
  const y = new Float64Array(n * d);
  const f = new Float64Array(n);
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.max(sc * Math.sqrt(rowDot(v, i, v, i, d)), MIN_N);
    const th = Math.tanh(t);
    f[i] = th / t;
    const t2 = t * t;
    // (df/dn)/n = c (t sech²t − tanh t)/t³, by its series near 0 (cancellation)
    k[i] = c * (t < 1e-2 ? -2 / 3 + (8 / 15) * t2 : (t * (1 - th * th) - th) / (t2 * t));
    for (let j = 0; j < d; j++) y[i * d + j] = f[i] * v[i * d + j];
  }
  const back = (g: Rows): Rows => {
    const gv = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const s = k[i] * rowDot(v, i, g, i, d);
      for (let j = 0; j < d; j++) gv[i * d + j] = f[i] * g[i * d + j] + s * v[i * d + j];
    }
    return gv;
  };
  return { y, back };
}

/** log₀ per row: y = g(n) x, g = artanh(t)/t, t = √c‖x‖ (clipped below 1). */
export function log0Rows(x: Rows, n: number, d: number, c: number): { y: Rows; back: (g: Rows) => Rows } {
  const sc = Math.sqrt(c);
  const y = new Float64Array(n * d);
  const f = new Float64Array(n);
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const raw = sc * Math.sqrt(rowDot(x, i, x, i, d));
    const t = Math.min(Math.max(raw, MIN_N), 1 - 1e-12);
    const at = Math.atanh(t);
    f[i] = at / t;
    const t2 = t * t;
    // (dg/dn)/n = c (t/(1−t²) − artanh t)/t³; zero where the norm was clipped
    k[i] = raw >= 1 - 1e-12 ? 0 : c * (t < 1e-2 ? 2 / 3 + 0.8 * t2 : (t / (1 - t2) - at) / (t2 * t));
    for (let j = 0; j < d; j++) y[i * d + j] = f[i] * x[i * d + j];
  }
  const back = (g: Rows): Rows => {
    const gx = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const s = k[i] * rowDot(x, i, g, i, d);
      for (let j = 0; j < d; j++) gx[i * d + j] = f[i] * g[i * d + j] + s * x[i * d + j];
    }
    return gx;
  };
  return { y, back };
}

/** Rows scaled back to √c‖x‖ ≤ 1 − eps. */
export function projectRows(
  x: Rows,
  n: number,
  d: number,
  c: number,
  eps = ROW_BALL_EPS,
): { y: Rows; back: (g: Rows) => Rows } {
  const maxN = (1 - eps) / Math.sqrt(c);
  const y = Float64Array.from(x);
  const scaleOf = new Float64Array(n).fill(1);
  const nrm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    nrm[i] = Math.sqrt(rowDot(x, i, x, i, d));
    if (nrm[i] > maxN) {
      scaleOf[i] = maxN / nrm[i];
      for (let j = 0; j < d; j++) y[i * d + j] *= scaleOf[i];
    }
  }
  const back = (g: Rows): Rows => {
    const gx = Float64Array.from(g);
    for (let i = 0; i < n; i++) {
      if (scaleOf[i] === 1) continue;
      // y = maxN x/‖x‖: the radial part of g is removed, the rest scaled
      const s = rowDot(g, i, x, i, d) / (nrm[i] * nrm[i]);
      for (let j = 0; j < d; j++) gx[i * d + j] = scaleOf[i] * (g[i * d + j] - s * x[i * d + j]);
    }
    return gx;
  };
  return { y, back };
}

/**
 * Möbius addition of rows x [nx, d] ⊕ y [ny, d]; nx or ny may be 1 (that row broadcasts and
 * its gradient is summed over the batch).
 */
export function mobiusAddRows(
  x: Rows,
  nx: number,
  y: Rows,
  ny: number,
  d: number,
  c: number,
): { out: Rows; back: (g: Rows) => { gx: Rows; gy: Rows } } {
  const n = Math.max(nx, ny);
  if ((nx !== n && nx !== 1) || (ny !== n && ny !== 1)) throw new Error(`mobiusAddRows: rows ${nx} and ${ny} differ`);
  const xi = (i: number) => (nx === 1 ? 0 : i);
  const yi = (i: number) => (ny === 1 ? 0 : i);
  const out = new Float64Array(n * d);
  const A = new Float64Array(n);
  const B = new Float64Array(n);
  const D = new Float64Array(n);
  const X2 = new Float64Array(n);
  const Y2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a0 = xi(i);
    const b0 = yi(i);
    const xy = rowDot(x, a0, y, b0, d);
    X2[i] = rowDot(x, a0, x, a0, d);
    Y2[i] = rowDot(y, b0, y, b0, d);
    A[i] = 1 + 2 * c * xy + c * Y2[i];
    B[i] = 1 - c * X2[i];
    D[i] = Math.max(1 + 2 * c * xy + c * c * X2[i] * Y2[i], MIN_N);
    for (let j = 0; j < d; j++) out[i * d + j] = (A[i] * x[a0 * d + j] + B[i] * y[b0 * d + j]) / D[i];
  }
  const back = (g: Rows) => {
    const gx = new Float64Array(nx * d);
    const gy = new Float64Array(ny * d);
    for (let i = 0; i < n; i++) {
      const a0 = xi(i);
      const b0 = yi(i);
      const gD = -rowDot(g, i, out, i, d) / D[i];
      const gA = rowDot(g, i, x, a0, d) / D[i];
      const gB = rowDot(g, i, y, b0, d) / D[i];
      const gxy = 2 * c * (gA + gD);
      const gx2 = -c * gB + c * c * Y2[i] * gD;
      const gy2 = c * gA + c * c * X2[i] * gD;
      for (let j = 0; j < d; j++) {
        const xv = x[a0 * d + j];
        const yv = y[b0 * d + j];
        gx[a0 * d + j] += (A[i] * g[i * d + j]) / D[i] + gxy * yv + 2 * gx2 * xv;
        gy[b0 * d + j] += (B[i] * g[i * d + j]) / D[i] + gxy * xv + 2 * gy2 * yv;
      }
    }
    return { gx, gy };
  };
  return { out, back };
}

/** Gyrovector midpoint of the rows: ½ ⊗ (Σλᵢxᵢ / Σ(λᵢ−1)), one row [d]. */
export function midpointRows(x: Rows, n: number, d: number, c: number): { mu: Rows; back: (g: Rows) => Rows } {
  const lam = new Float64Array(n);
  const N = new Float64Array(d);
  let S = 0;
  for (let i = 0; i < n; i++) {
    lam[i] = 2 / Math.max(1 - c * rowDot(x, i, x, i, d), MIN_N);
    S += lam[i] - 1;
    for (let j = 0; j < d; j++) N[j] += lam[i] * x[i * d + j];
  }
  const m = N.map((v) => v / S);
  const m2 = rowDot(m, 0, m, 0, d);
  const p = Math.sqrt(Math.max(1 - c * m2, MIN_N));
  const E = 1 + p;
  const mu = m.map((v) => v / E);
  const back = (gmu: Rows): Rows => {
    const s = (rowDot(gmu, 0, m, 0, d) * c) / (E * E * p);
    const gm = gmu.map((v, j) => v / E + s * m[j]);
    const gS = -rowDot(gm, 0, m, 0, d) / S;
    const gx = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let gl = gS;
      for (let j = 0; j < d; j++) gl += (gm[j] / S) * x[i * d + j];
      const r = gl * lam[i] * lam[i] * c;
      for (let j = 0; j < d; j++) gx[i * d + j] = (lam[i] * gm[j]) / S + r * x[i * d + j];
    }
    return gx;
  };
  return { mu, back };
}

/** gyr[u, v]w for single rows u, v [d] and rows w [n, d] (a rotation of each w row). */
export function gyrationRows(
  u: Rows,
  v: Rows,
  w: Rows,
  n: number,
  d: number,
  c: number,
): { out: Rows; back: (g: Rows) => { gu: Rows; gv: Rows; gw: Rows } } {
  const c2 = c * c;
  const uv = rowDot(u, 0, v, 0, d);
  const u2 = rowDot(u, 0, u, 0, d);
  const v2 = rowDot(v, 0, v, 0, d);
  const D = Math.max(1 + 2 * c * uv + c2 * u2 * v2, MIN_N);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const uw = new Float64Array(n);
  const vw = new Float64Array(n);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    uw[i] = rowDot(u, 0, w, i, d);
    vw[i] = rowDot(v, 0, w, i, d);
    a[i] = -c2 * uw[i] * v2 + c * vw[i] + 2 * c2 * uv * vw[i];
    b[i] = -c2 * vw[i] * u2 - c * uw[i];
    for (let j = 0; j < d; j++) out[i * d + j] = w[i * d + j] + (2 * (a[i] * u[j] + b[i] * v[j])) / D;
  }
  const back = (g: Rows) => {
    const gu = new Float64Array(d);
    const gv = new Float64Array(d);
    const gw = Float64Array.from(g);
    let gD = 0;
    let guv = 0;
    let gu2 = 0;
    let gv2 = 0;
    for (let i = 0; i < n; i++) {
      const P = (2 / D) * rowDot(g, i, u, 0, d);
      const Q = (2 / D) * rowDot(g, i, v, 0, d);
      gD -= (a[i] * P + b[i] * Q) / D;
      const guw = -c2 * v2 * P - c * Q;
      const gvw = (c + 2 * c2 * uv) * P - c2 * u2 * Q;
      guv += 2 * c2 * vw[i] * P;
      gu2 += -c2 * vw[i] * Q;
      gv2 += -c2 * uw[i] * P;
      for (let j = 0; j < d; j++) {
        gu[j] += (2 / D) * a[i] * g[i * d + j] + guw * w[i * d + j];
        gv[j] += (2 / D) * b[i] * g[i * d + j] + gvw * w[i * d + j];
        gw[i * d + j] += guw * u[j] + gvw * v[j];
      }
    }
    guv += 2 * c * gD;
    gu2 += c2 * v2 * gD;
    gv2 += c2 * u2 * gD;
    for (let j = 0; j < d; j++) {
      gu[j] += guv * v[j] + 2 * gu2 * u[j];
      gv[j] += guv * u[j] + 2 * gv2 * v[j];
    }
    return { gu, gv, gw };
  };
  return { out, back };
}
