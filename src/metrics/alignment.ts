// Laziness measures of Liu et al. (ICLR 2024): uncentred kernel alignment, representation
// alignment of hidden-state Gram matrices, and the empirical tangent kernel of a ReLU RNN.
// Pure float64 functions; weight change is relativeWeightChange in ./spectral (one copy).
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { ReluRNN, RnnInputs, RnnWeights } from "../nn/rnn";
import { assertFinite, assertKnownOptions, fail, finiteResult, maxAbs } from "../core/validate";

function cosineFrobenius(a: MlMatrix, b: MlMatrix, argB: string, argA: string): number {
  if (a.rows !== b.rows || a.columns !== b.columns) {
    fail(argB, `shape ${b.rows}×${b.columns} does not match ${argA}'s ${a.rows}×${a.columns}`);
  }
  // The cosine is scale-invariant: rescale each side by its largest |entry| before squaring.
  const sa = maxAbs(a.to1DArray()) || 1;
  const sb = maxAbs(b.to1DArray()) || 1;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.columns; j++) {
      const x = a.get(i, j) / sa;
      const y = b.get(i, j) / sb;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  }
  if (na === 0) fail(argA, "is all zeros; alignment is undefined");
  if (nb === 0) fail(argB, "is all zeros; alignment is undefined");
  return finiteResult(argB, dot / (Math.sqrt(na) * Math.sqrt(nb)), "the alignment");
}

/** Uncentred kernel alignment ⟨K0, K1⟩_F / (‖K0‖_F ‖K1‖_F) of two square kernels of the same size. */
export function kernelAlignment(k0: Matrix, k1: Matrix): number {
  const a = toMl(k0, "k0");
  const b = toMl(k1, "k1");
  if (a.rows !== a.columns) fail("k0", `must be a square kernel, got ${a.rows}×${a.columns}`);
  if (b.rows !== b.columns) fail("k1", `must be a square kernel, got ${b.rows}×${b.columns}`);
  return cosineFrobenius(a, b, "k1", "k0");
}

/**
 * Representation alignment: kernel alignment of the Gram matrices K = H Hᵀ of hidden states
 * h0, h1 (trials × units, rows in the same trial order; widths may differ).
 */
export function representationAlignment(h0: Matrix, h1: Matrix): number {
  const a = toMl(h0, "h0");
  const b = toMl(h1, "h1");
  if (a.rows !== b.rows) fail("h1", `has ${b.rows} rows (trials) but h0 has ${a.rows}; rows must be the same trials`);
  // Gram matrices of rescaled states (alignment is scale-invariant), so H Hᵀ cannot overflow.
  const ha = a.clone().div(maxAbs(a.to1DArray()) || 1);
  const hb = b.clone().div(maxAbs(b.to1DArray()) || 1);
  return cosineFrobenius(ha.mmul(ha.transpose()), hb.mmul(hb.transpose()), "h1", "h0");
}

export type RnnParam = "recurrent" | "input" | "readout";

export interface TangentKernelOptions {
  /** Parameters the kernel is taken over (default ["recurrent"], as in the paper). */
  params?: RnnParam[];
  /** Output time steps whose logits are the kernel's rows (default: all steps). */
  steps?: number[];
}

/**
 * Empirical tangent kernel K = J Jᵀ of a ReLU RNN (h_t = ReLU(W_in x_t + W h_{t−1}),
 * y_t = W_out h_t), J = ∂(logits at the chosen steps)/∂(chosen parameters). Rows are ordered
 * (step, trial, output). Memory-aware per-sample form: the Jacobian row of output (t_o, b, k)
 * w.r.t. W is Σ_{t≤t_o} δ_t h_{t−1}ᵀ (δ_t = ∂y/∂pre-activation at t), so K is built from
 * δ·δ and h·h dot products without ever holding the rows × N² Jacobian: memory
 * O(rows·T·N), time O(rows²·T²·N). Float64 throughout; ReLU'(0) is taken as 0 (as autograd).
 */
export function tangentKernel(
  net: RnnWeights | ReluRNN,
  inputs: RnnInputs,
  opts: TangentKernelOptions = {},
): number[][] {
  assertKnownOptions("opts", opts, ["params", "steps"]);
  const wts = net instanceof ReluRNN ? net.weights() : net;
  if (wts == null || typeof wts !== "object") fail("net", "must be a ReluRNN or {wIn, w, wOut}");
  const W = toMl(wts.w, "net.w").to2DArray();
  const Win = toMl(wts.wIn, "net.wIn").to2DArray();
  const Wout = toMl(wts.wOut, "net.wOut").to2DArray();
  const N = W.length;
  if (W[0].length !== N) fail("net.w", `must be square, got ${N}×${W[0].length}`);
  if (Win.length !== N) fail("net.wIn", `must have ${N} rows (one per hidden unit), got ${Win.length}`);
  if (Wout[0].length !== N) fail("net.wOut", `must have ${N} columns (one per hidden unit), got ${Wout[0].length}`);
  const I = Win[0].length;
  const O = Wout.length;
  if (inputs == null || typeof inputs !== "object") fail("inputs", "must be {x, steps, batch, inputSize}");
  const { steps: T, batch: B } = inputs;
  if (!Number.isInteger(T) || T <= 0) fail("inputs.steps", `must be a positive integer, got ${T}`);
  if (!Number.isInteger(B) || B <= 0) fail("inputs.batch", `must be a positive integer, got ${B}`);
  if (inputs.inputSize !== I) fail("inputs.inputSize", `is ${inputs.inputSize}; net.wIn expects ${I}`);
  if (inputs.x == null || inputs.x.length !== T * B * I)
    fail("inputs.x", `must have steps·batch·inputSize = ${T * B * I} entries, got ${inputs.x?.length}`);
  assertFinite("inputs.x", inputs.x);
  const params = opts.params ?? ["recurrent"];
  if (!Array.isArray(params) || params.length === 0)
    fail("opts.params", "must be a non-empty array of recurrent | input | readout");
  for (const p of params)
    if (!["recurrent", "input", "readout"].includes(p))
      fail("opts.params", `unknown parameter "${p}" (known: recurrent, input, readout)`);
  const outSteps = opts.steps ?? Array.from({ length: T }, (_, t) => t);
  if (!Array.isArray(outSteps) || outSteps.length === 0)
    fail("opts.steps", "must be a non-empty array of time indices");
  for (const t of outSteps)
    if (!Number.isInteger(t) || t < 0 || t >= T) fail("opts.steps", `entry ${t} is outside [0, ${T})`);

  // Forward pass in float64: h[t][b] and the ReLU masks.
  const h: Float64Array[][] = [];
  const mask: Uint8Array[][] = [];
  for (let t = 0; t < T; t++) {
    h.push([]);
    mask.push([]);
    for (let b = 0; b < B; b++) {
      const a = new Float64Array(N);
      const xo = (t * B + b) * I;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < I; j++) s += Win[i][j] * inputs.x[xo + j];
        if (t > 0) {
          const hp = h[t - 1][b];
          const wi = W[i];
          for (let j = 0; j < N; j++) s += wi[j] * hp[j];
        }
        a[i] = s;
      }
      const m = new Uint8Array(N);
      for (let i = 0; i < N; i++) {
        m[i] = a[i] > 0 ? 1 : 0;
        a[i] = m[i] ? a[i] : 0;
      }
      h[t].push(a);
      mask[t].push(m);
    }
  }
  const dot = (u: ArrayLike<number>, v: ArrayLike<number>, off = 0, n = u.length): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += u[i] * v[off + i];
    return s;
  };

  const rows: Array<{ t: number; b: number; k: number }> = [];
  for (const t of outSteps) for (let b = 0; b < B; b++) for (let k = 0; k < O; k++) rows.push({ t, b, k });
  const R = rows.length;
  const K = Array.from({ length: R }, () => new Array<number>(R).fill(0));
  const wantRec = params.includes("recurrent");
  const wantIn = params.includes("input");

  if (wantRec || wantIn) {
    // δ[r][t] = ∂y_r/∂a_t (zero for t > t_r), by BPTT: δ_{t_o} = W_out[k] ∘ m_{t_o}, δ_t = (Wᵀ δ_{t+1}) ∘ m_t.
    const delta: Array<Array<Float64Array | null>> = rows.map(({ t: to, b, k }) => {
      const ds: Array<Float64Array | null> = new Array(T).fill(null);
      let d = new Float64Array(N);
      for (let i = 0; i < N; i++) d[i] = Wout[k][i] * mask[to][b][i];
      ds[to] = d;
      for (let t = to - 1; t >= 0; t--) {
        const nd = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          if (!mask[t][b][j]) continue;
          let s = 0;
          for (let i = 0; i < N; i++) s += W[i][j] * d[i];
          nd[j] = s;
        }
        ds[t] = nd;
        d = nd;
      }
      return ds;
    });
    // Cached h·h and x·x dot products between (trial, step) pairs.
    const hh = new Map<number, number>();
    const xx = new Map<number, number>();
    const key = (b1: number, t1: number, b2: number, t2: number) => ((b1 * T + t1) * B + b2) * T + t2;
    const hdot = (b1: number, t1: number, b2: number, t2: number): number => {
      const kk = key(b1, t1, b2, t2);
      let v = hh.get(kk);
      if (v === undefined) hh.set(kk, (v = dot(h[t1][b1], h[t2][b2])));
      return v;
    };
    const xdot = (b1: number, t1: number, b2: number, t2: number): number => {
      const kk = key(b1, t1, b2, t2);
      let v = xx.get(kk);
      if (v === undefined) {
        let s = 0;
        const o1 = (t1 * B + b1) * I;
        const o2 = (t2 * B + b2) * I;
        for (let j = 0; j < I; j++) s += inputs.x[o1 + j] * inputs.x[o2 + j];
        xx.set(kk, (v = s));
      }
      return v;
    };
    for (let r = 0; r < R; r++) {
      for (let s = r; s < R; s++) {
        let acc = 0;
        const br = rows[r].b;
        const bs = rows[s].b;
        for (let t = 0; t <= rows[r].t; t++) {
          const dr = delta[r][t]!;
          for (let t2 = 0; t2 <= rows[s].t; t2++) {
            // Gradient wrt W pairs δ_t with h_{t−1}; h_{−1} = 0 drops t = 0.
            const gRec = wantRec && t > 0 && t2 > 0 ? hdot(br, t - 1, bs, t2 - 1) : 0;
            const gIn = wantIn ? xdot(br, t, bs, t2) : 0;
            if (gRec === 0 && gIn === 0) continue;
            acc += dot(dr, delta[s][t2]!) * (gRec + gIn);
          }
        }
        K[r][s] += acc;
        if (s !== r) K[s][r] += acc;
      }
    }
  }
  if (params.includes("readout")) {
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < R; s++) {
        if (rows[r].k === rows[s].k) K[r][s] += dot(h[rows[r].t][rows[r].b], h[rows[s].t][rows[s].b]);
      }
    }
  }
  return K;
}
