// A trainable S4D sequence model in tfjs (float32, real arithmetic on split real/imaginary
// parts, since wasm has no complex kernels): per channel a diagonal SSM with ZOH
// discretisation and B = 1 folded into C, its kernel K[h, l] = 2·Re Σ_n C̃_n e^{lΔA_n},
// applied as a causal convolution by a batched Toeplitz matmul (no FFT gradients on wasm).
// Blocks are pre-norm residual: x + W_out·GELU(SSM(LN(x))).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { fail } from "../core/validate";
import { s4dInit, s4dRealInit, S4DInitKind } from "./ssm-init";
import { layerNorm } from "./transformer";

export interface S4DModelShape {
  /** Features per time step of the input (1 for pixel sequences). */
  input: number;
  /** Channels H. */
  width: number;
  /** State size N per channel (N/2 conjugate pairs). */
  state: number;
  layers: number;
  /** Initialization of the diagonal of A ("real" is S4D-Real, the paper's ablation). */
  init: S4DInitKind | "real";
  /** Δ is drawn log-uniform in [dtMin, dtMax] per channel (default 1e-3, 1e-1). */
  dtMin?: number;
  dtMax?: number;
}

function checkShape(s: S4DModelShape): void {
  for (const k of ["input", "width", "state", "layers"] as const)
    if (!Number.isInteger(s?.[k]) || s[k] < 1) fail(`shape.${k}`, `must be a positive integer, got ${String(s?.[k])}`);
  if (s.state % 2 !== 0) fail("shape.state", `must be even, got ${s.state}`);
  if (!["lin", "inv", "legs", "random", "real"].includes(s.init))
    fail("shape.init", `unknown init "${String(s.init)}" (known: lin, inv, legs, random, real)`);
}

/** Names of the SSM parameters of layer l (trained at their own learning rate in S4/S4D). */
export const ssmParamNames = (l: number): string[] => [`s${l}.logDt`, `s${l}.logNegRe`, `s${l}.im`];

/**
 * Parameters: enc.W [in, H], enc.b; per layer s{l}.logDt [H, 1], s{l}.logNegRe and s{l}.im
 * [H, N/2] (A = −e^{logNegRe} + i·im), s{l}.Cre, s{l}.Cim [H, N/2] (C ~ 𝒞𝒩(0, 1)), s{l}.D [H],
 * s{l}.Wout [H, H], s{l}.bout [H]. Every draw comes from `rng`.
 */
export function s4dParams(rng: Rng, s: S4DModelShape): Record<string, tf.Variable> {
  checkShape(s);
  const H = s.width;
  const N2 = s.state / 2;
  const lo = Math.log(s.dtMin ?? 1e-3);
  const hi = Math.log(s.dtMax ?? 1e-1);
  if (!(hi >= lo) || !Number.isFinite(lo + hi)) fail("shape.dtMin", "needs 0 < dtMin ≤ dtMax");
  // Unnamed variables (tfjs makes the names unique), so several models can coexist.
  const v = (vals: ArrayLike<number>, shape: number[]) => tf.variable(tf.tensor(Float32Array.from(vals), shape));
  const p: Record<string, tf.Variable> = {
    "enc.W": v(rng.normalArray(s.input * H, 1 / Math.sqrt(s.input)), [s.input, H]),
    "enc.b": v(new Float32Array(H), [H]),
  };
  for (let l = 0; l < s.layers; l++) {
    const A =
      s.init === "real" ? s4dRealInit(s.state) : s.init === "random" ? randomInit(rng, N2) : s4dInit(s.state, s.init);
    const rep = (xs: number[]) => Array.from({ length: H * N2 }, (_, i) => xs[i % N2]);
    const k = `s${l}.`;
    p[k + "logDt"] = v(
      Array.from({ length: H }, () => lo + (hi - lo) * rng.next()),
      [H, 1],
    );
    p[k + "logNegRe"] = v(rep(A.re.map((x) => Math.log(-x))), [H, N2]);
    p[k + "im"] = v(rep(A.im), [H, N2]);
    p[k + "Cre"] = v(rng.normalArray(H * N2, Math.SQRT1_2), [H, N2]);
    p[k + "Cim"] = v(rng.normalArray(H * N2, Math.SQRT1_2), [H, N2]);
    p[k + "D"] = v(rng.normalArray(H, 1), [H]);
    p[k + "Wout"] = v(rng.normalArray(H * H, 1 / Math.sqrt(H)), [H, H]);
    p[k + "bout"] = v(new Float32Array(H), [H]);
  }
  return p;
}

// "random" from the model's own stream (s4dInit's uses the global one): Im = exp(𝒩(0, 1)).
function randomInit(rng: Rng, N2: number): { re: number[]; im: number[] } {
  return { re: new Array<number>(N2).fill(-0.5), im: Array.from({ length: N2 }, () => Math.exp(rng.normal())) };
}

/** ZOH kernel of layer l: K [H, L], K[h, l] = 2·Re Σ_n C_n (e^{ΔA_n} − 1)/A_n · e^{lΔA_n}. */
export function s4dKernel(p: Record<string, tf.Tensor>, l: number, L: number): tf.Tensor2D {
  const k = `s${l}.`;
  if (!p[k + "logDt"]) fail("l", `no SSM layer ${l} in the parameters`);
  if (!Number.isInteger(L) || L < 1) fail("L", `must be a positive integer, got ${L}`);
  return tf.tidy(() => {
    const dt = tf.exp(p[k + "logDt"]); // [H, 1]
    const ar = tf.neg(tf.exp(p[k + "logNegRe"])); // [H, N2]
    const ai = p[k + "im"];
    const dar = tf.mul(ar, dt);
    const dai = tf.mul(ai, dt);
    const m = tf.exp(dar);
    const xr = tf.sub(tf.mul(m, tf.cos(dai)), 1);
    const xi = tf.mul(m, tf.sin(dai));
    const den = tf.add(tf.square(ar), tf.square(ai));
    const fr = tf.div(tf.add(tf.mul(xr, ar), tf.mul(xi, ai)), den); // (e^{ΔA} − 1)/A
    const fi = tf.div(tf.sub(tf.mul(xi, ar), tf.mul(xr, ai)), den);
    const cr = tf.sub(tf.mul(p[k + "Cre"], fr), tf.mul(p[k + "Cim"], fi));
    const ci = tf.add(tf.mul(p[k + "Cre"], fi), tf.mul(p[k + "Cim"], fr));
    const steps = tf.range(0, L).reshape([1, 1, L]);
    const mag = tf.exp(tf.mul(tf.expandDims(dar, 2), steps)); // [H, N2, L]
    const ph = tf.mul(tf.expandDims(dai, 2), steps);
    const re = tf.sub(tf.mul(tf.expandDims(cr, 2), tf.cos(ph)), tf.mul(tf.expandDims(ci, 2), tf.sin(ph)));
    return tf.mul(tf.sum(tf.mul(mag, re), 1), 2) as tf.Tensor2D;
  });
}

/** Causal convolution per channel: u [H, B, L], K [H, L] → y [H, B, L], y_i = Σ_{j≤i} K_{i−j} u_j. */
export function causalConvChannels(u: tf.Tensor3D, K: tf.Tensor2D): tf.Tensor3D {
  const [H, , L] = u.shape;
  if (K.shape[0] !== H || K.shape[1] !== L) fail("K", `must be [${H}, ${L}], got [${K.shape}]`);
  return tf.tidy(() => {
    // Toeplitz by reshaping, not gathering (gather's gradient is slow on wasm): L copies of
    // [K, 0_L] laid end to end and read with rows of 2L − 1 shift each row right by one, so
    // T[h, j, i] = K[h, i − j] for i ≥ j and 0 above.
    const P = tf.concat([K, tf.zeros([H, L])], 1); // [H, 2L]
    const tiled = tf.reshape(tf.add(tf.reshape(P, [H, 1, 2 * L]), tf.zeros([1, L, 1])), [H, 2 * L * L]);
    const rows = tf.reshape(tf.slice(tiled, [0, 0], [H, L * (2 * L - 1)]), [H, L, 2 * L - 1]);
    const T = tf.slice(rows, [0, 0, 0], [H, L, L]);
    return tf.matMul(u, T) as tf.Tensor3D;
  });
}

function gelu(x: tf.Tensor): tf.Tensor {
  const c = Math.sqrt(2 / Math.PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
}

/** Encodes x [B, L, input] into features [B, L, H] through the S4D blocks (caller tidies). */
export function s4dForward(p: Record<string, tf.Tensor>, x: tf.Tensor3D, s: S4DModelShape): tf.Tensor3D {
  checkShape(s);
  if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== s.input)
    fail("x", `must be a [batch, length, ${s.input}] tensor, got [${x?.shape}]`);
  const [B, L] = x.shape;
  const H = s.width;
  let h = tf.add(tf.matMul(tf.reshape(x, [B * L, s.input]), p["enc.W"] as tf.Tensor2D), p["enc.b"]) as tf.Tensor2D;
  for (let l = 0; l < s.layers; l++) {
    const k = `s${l}.`;
    const z = layerNorm(h) as tf.Tensor2D; // [B·L, H]
    const u = tf.transpose(tf.reshape(z, [B, L, H]), [2, 0, 1]) as tf.Tensor3D; // [H, B, L]
    const y = tf.add(causalConvChannels(u, s4dKernel(p, l, L)), tf.mul(u, tf.reshape(p[k + "D"], [H, 1, 1])));
    const back = tf.reshape(tf.transpose(y, [1, 2, 0]), [B * L, H]);
    h = tf.add(h, tf.add(tf.matMul(gelu(back) as tf.Tensor2D, p[k + "Wout"] as tf.Tensor2D), p[k + "bout"]));
  }
  return tf.reshape(layerNorm(h), [B, L, H]) as tf.Tensor3D;
}
