// Structured initial connectivity for the rich/lazy study (Liu et al., ICLR 2024): Gaussian
// recurrent weights, their rank-r SVD truncation rescaled to the same Frobenius norm, and a
// low-rank init whose singular vectors are chosen from the task instead of at random.
import * as tf from "@tensorflow/tfjs";
import { Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { svd } from "../linalg/decompose";
import { randn, Rng } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";

/** W_G = gain · 𝒩(0, 1)/√n (n×n), drawn from `rng` or the global seeded stream. */
export function gaussianRecurrentInit(n: number, opts: { gain?: number; rng?: Rng } = {}): number[][] {
  assertPositiveInt("n", n);
  assertKnownOptions("opts", opts, ["gain", "rng"]);
  const gain = opts.gain ?? 1.25;
  if (!Number.isFinite(gain) || gain <= 0) fail("opts.gain", `must be a finite number > 0, got ${gain}`);
  const draw = opts.rng ? () => opts.rng!.normal() : randn;
  const s = gain / Math.sqrt(n);
  return Array.from({ length: n }, () => Array.from({ length: n }, () => draw() * s));
}

/**
 * Rank-r truncation U_r S_r V_rᵀ of w, rescaled so ‖result‖_F = ‖w‖_F (the paper's
 * construction: every rank has the same weight norm). Float64 SVD; returns number[][] for
 * array or ml-matrix input and a new float32 tf.Tensor2D (caller disposes) for tensor input.
 */
export function lowRankInit(w: tf.Tensor2D, rank: number): tf.Tensor2D;
export function lowRankInit(w: number[][] | MlMatrix, rank: number): number[][];
export function lowRankInit(w: Matrix, rank: number): number[][] | tf.Tensor2D;
export function lowRankInit(w: Matrix, rank: number): number[][] | tf.Tensor2D {
  const a = toMl(w, "w");
  assertPositiveInt("rank", rank);
  const k = Math.min(a.rows, a.columns);
  if (rank > k) fail("rank", `is ${rank} but w is ${a.rows}×${a.columns}; the rank is at most ${k}`);
  const { U, S, V } = svd(a);
  if (S[0] === 0) fail("w", "is all zeros; it has no singular directions to keep");
  // A (numerically) zero σ_r would give a matrix of rank < r: refuse rather than mislabel.
  if (S[rank - 1] <= S[0] * 1e-12)
    fail("rank", `is ${rank} but w has numerical rank < ${rank} (σ_${rank} = ${S[rank - 1]})`);
  const out = new MlMatrix(a.rows, a.columns);
  for (let q = 0; q < rank; q++) {
    for (let i = 0; i < a.rows; i++) {
      const ui = U[i][q] * S[q];
      for (let j = 0; j < a.columns; j++) out.set(i, j, out.get(i, j) + ui * V[j][q]);
    }
  }
  out.mul(a.norm("frobenius") / out.norm("frobenius"));
  if (w instanceof tf.Tensor) return tf.tensor2d(out.to1DArray(), [a.rows, a.columns], "float32");
  return out.to2DArray();
}

/** Orthonormalizes the first `rank` columns of m in the given order (modified Gram–Schmidt, twice). */
function orthonormalColumns(m: MlMatrix, rank: number, arg: string): number[][] {
  if (m.columns < rank) fail(arg, `has ${m.columns} column(s); rank ${rank} needs at least ${rank}`);
  const qs: number[][] = [];
  for (let c = 0; c < rank; c++) {
    const v = m.getColumn(c);
    const n0 = Math.hypot(...v);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of qs) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i] * v[i];
        for (let i = 0; i < v.length; i++) v[i] -= d * q[i];
      }
    }
    const n = Math.hypot(...v);
    if (!(n > 1e-10 * Math.max(n0, 1e-300)))
      fail(arg, `column ${c} is zero or lies in the span of the columns before it`);
    qs.push(v.map((x) => x / n));
  }
  return qs;
}

export interface TaskAlignedInitOptions {
  /**
   * N×a: directions the recurrent weights should READ from (right singular vectors), e.g.
   * W_in·(e_stim1 − e_stim2), the hidden-space direction along which the task evidence arrives.
   */
  inputDirs: Matrix;
  /**
   * N×b: directions the recurrent weights should WRITE to (left singular vectors), e.g.
   * W_outᵀ·(e_choice1 − e_choice2), the hidden-space direction the readout uses for the choice.
   */
  outputDirs: Matrix;
  rank: number;
  /** Frobenius norm of the result (match it to the random init's ‖W_G‖_F). */
  norm: number;
}

/**
 * Task-aligned rank-r init: W = (norm/√r) Σ_{k<r} u_k v_kᵀ, where v_1..v_r are the first r
 * columns of `inputDirs` and u_1..u_r the first r columns of `outputDirs`, each set
 * orthonormalized by Gram–Schmidt in the order given. So W has rank exactly r, equal
 * singular values, ‖W‖_F = norm, and maps the task's input subspace onto its readout
 * subspace (our RNN analogue of the paper's aligned low-rank init, Prop. 1 there). Returns
 * N×N number[][].
 */
export function taskAlignedLowRankInit(opts: TaskAlignedInitOptions): number[][] {
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  assertKnownOptions("opts", opts, ["inputDirs", "outputDirs", "rank", "norm"]);
  const vin = toMl(opts.inputDirs, "opts.inputDirs");
  const vout = toMl(opts.outputDirs, "opts.outputDirs");
  if (vin.rows !== vout.rows)
    fail(
      "opts.outputDirs",
      `has ${vout.rows} rows but opts.inputDirs has ${vin.rows}; both need one row per hidden unit`,
    );
  assertPositiveInt("opts.rank", opts.rank);
  if (!Number.isFinite(opts.norm) || opts.norm <= 0) fail("opts.norm", `must be a finite number > 0, got ${opts.norm}`);
  const r = opts.rank;
  const v = orthonormalColumns(vin, r, "opts.inputDirs");
  const u = orthonormalColumns(vout, r, "opts.outputDirs");
  const s = opts.norm / Math.sqrt(r);
  const n = vin.rows;
  const w = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let k = 0; k < r; k++) {
    for (let i = 0; i < n; i++) {
      const ui = u[k][i] * s;
      for (let j = 0; j < n; j++) w[i][j] += ui * v[k][j];
    }
  }
  return w;
}
