// A ReLU RNN as in Liu et al. (ICLR 2024): h_t = ReLU(W_in x_t + W h_{t−1}), y_t = W_out h_t,
// h_{−1} = 0, no biases, leak 1 (τ = dt). Weights keep the PyTorch layout ([out, in]) so
// W[i][j] is the connection j → i, as in the paper. The loss has a hand-written BPTT gradient
// (only plain matMuls on wasm); src/train/rnn.ts trains it through the library loop.
import * as tf from "@tensorflow/tfjs";
import { TrialBatch } from "../data/neuro-tasks";
import { Matrix, toMl } from "../linalg/convert";
import { random } from "../core/random";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";
import { gaussianRecurrentInit } from "./init";
import { crossEntropy } from "./losses";

/** Plain float64 copies of an RNN's weights: wIn [N, in], w [N, N], wOut [out, N]. */
export interface RnnWeights {
  wIn: number[][];
  w: number[][];
  wOut: number[][];
}

/** Time-major inputs: x[(t·batch + b)·inputSize + i] (a TrialBatch fits). */
export interface RnnInputs {
  x: ArrayLike<number>;
  steps: number;
  batch: number;
  inputSize: number;
}

export interface ReluRNNConfig {
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** Initial W (N×N); default gain·𝒩(0,1)/√N from the global seeded stream. */
  recurrent?: Matrix;
  /** Initial W_in (N×in); default PyTorch's U(±1/√in). */
  input?: Matrix;
  /** Initial W_out (out×N); default PyTorch's U(±1/√N). */
  readout?: Matrix;
  /** Gain of the default Gaussian W (1.25, the paper's W0sig). */
  gain?: number;
}

const CONFIG_KEYS = ["inputSize", "hiddenSize", "outputSize", "recurrent", "input", "readout", "gain"];

function torchUniform(rows: number, cols: number): number[][] {
  const a = 1 / Math.sqrt(cols);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (2 * random() - 1) * a));
}

function variableFrom(m: Matrix, rows: number, cols: number, arg: string, name: string): tf.Variable<tf.Rank.R2> {
  const a = toMl(m, arg);
  if (a.rows !== rows || a.columns !== cols) fail(arg, `must be ${rows}×${cols}, got ${a.rows}×${a.columns}`);
  const init = tf.tensor2d(a.to1DArray(), [rows, cols], "float32");
  const v = tf.variable(init, true, name); // copies init
  init.dispose();
  return v;
}

/** Hidden states H [T·B, N] (time-major rows) from x2 [T·B, in], W_inᵀ and Wᵀ. */
function unroll(x2: tf.Tensor2D, wInT: tf.Tensor2D, wT: tf.Tensor2D, T: number, B: number): tf.Tensor2D {
  const xw = tf.matMul(x2, wInT);
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    let a = tf.slice(xw, [t * B, 0], [B, -1]) as tf.Tensor2D;
    if (t > 0) a = tf.add(a, tf.matMul(hs[t - 1], wT));
    hs.push(tf.relu(a));
  }
  return tf.concat(hs, 0);
}

/**
 * Logits with a hand-written BPTT gradient. On wasm, matMul with a transpose flag (which
 * autograd uses for every per-step gradient) is ~10× slower than a plain matMul, so the
 * backward pass here uses only plain matMuls: δ_t = (∂L/∂h_t + δ_{t+1} W) ∘ 1[h_t > 0],
 * then ∂L/∂W = Δᵀ H_prev and ∂L/∂W_in = Δᵀ X as one matMul each over all steps.
 */
function rnnLogits(T: number, B: number) {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x2, wIn, w, wOut] = args as tf.Tensor2D[];
    const save = args[4] as tf.GradSaveFunc;
    const H = unroll(x2, tf.transpose(wIn), tf.transpose(w), T, B);
    const value = tf.matMul(H, tf.transpose(wOut));
    save([x2, w, wOut, H]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sw, swOut, sH] = saved as tf.Tensor2D[];
      const N = sw.shape[0];
      const dWout = tf.matMul(tf.transpose(dy as tf.Tensor2D), sH);
      const dH = tf.matMul(dy as tf.Tensor2D, swOut);
      const mask = tf.cast(tf.greater(sH, 0), "float32");
      const deltas: tf.Tensor2D[] = new Array(T);
      let carry: tf.Tensor2D | null = null;
      for (let t = T - 1; t >= 0; t--) {
        let g = tf.slice(dH, [t * B, 0], [B, -1]) as tf.Tensor2D;
        if (carry) g = tf.add(g, carry);
        const d = tf.mul(g, tf.slice(mask, [t * B, 0], [B, -1])) as tf.Tensor2D;
        deltas[t] = d;
        carry = t > 0 ? (tf.matMul(d, sw) as tf.Tensor2D) : null;
      }
      const deltaT = tf.transpose(tf.concat(deltas, 0));
      const hPrev =
        T > 1 ? tf.concat([tf.zeros([B, N]), tf.slice(sH, [0, 0], [(T - 1) * B, -1])], 0) : tf.zeros([B, N]);
      const dW = tf.matMul(deltaT, hPrev);
      const dWin = tf.matMul(deltaT, sx);
      return [tf.zerosLike(sx), dWin, dW, dWout];
    };
    return { value, gradFunc };
  });
}

let rnnCounter = 0;

export class ReluRNN {
  readonly wIn: tf.Variable<tf.Rank.R2>;
  readonly w: tf.Variable<tf.Rank.R2>;
  readonly wOut: tf.Variable<tf.Rank.R2>;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;

  constructor(config: ReluRNNConfig) {
    if (config == null || typeof config !== "object") fail("config", "must be an object");
    assertKnownOptions("config", config, CONFIG_KEYS);
    assertPositiveInt("config.inputSize", config.inputSize);
    assertPositiveInt("config.hiddenSize", config.hiddenSize);
    assertPositiveInt("config.outputSize", config.outputSize);
    const { inputSize: I, hiddenSize: N, outputSize: O } = config;
    this.inputSize = I;
    this.hiddenSize = N;
    this.outputSize = O;
    const id = rnnCounter++;
    // Draw order is fixed (W, W_in, W_out) so a seed gives the same network every time.
    const w0 = config.recurrent ?? gaussianRecurrentInit(N, { gain: config.gain ?? 1.25 });
    const win0 = config.input ?? torchUniform(N, I);
    const wout0 = config.readout ?? torchUniform(O, N);
    this.w = variableFrom(w0, N, N, "config.recurrent", `rnn${id}_w`);
    this.wIn = variableFrom(win0, N, I, "config.input", `rnn${id}_win`);
    this.wOut = variableFrom(wout0, O, N, "config.readout", `rnn${id}_wout`);
  }

  variables(): tf.Variable[] {
    return [this.wIn, this.w, this.wOut];
  }

  /** x: [T, B, in] → logits [T, B, out] and hidden states [T, B, N] (no gradient bookkeeping). */
  forward(x: tf.Tensor3D): { logits: tf.Tensor3D; hidden: tf.Tensor3D } {
    const [T, B] = this.checkX(x);
    return tf.tidy(() => {
      const x2 = tf.reshape(x, [T * B, this.inputSize]) as tf.Tensor2D;
      const H = unroll(x2, tf.transpose(this.wIn), tf.transpose(this.w), T, B);
      const logits = tf.matMul(H, tf.transpose(this.wOut));
      return {
        logits: tf.reshape(logits, [T, B, this.outputSize]) as tf.Tensor3D,
        hidden: tf.reshape(H, [T, B, this.hiddenSize]) as tf.Tensor3D,
      };
    });
  }

  /**
   * Logits [T·B, out] (time-major rows) with a hand-written BPTT gradient (see rnnLogits).
   * Call inside tf.tidy or an optimizer's minimize (the reshaped input is kept for backward).
   */
  logits2d(x: tf.Tensor3D): tf.Tensor2D {
    const [T, B] = this.checkX(x);
    const x2 = tf.reshape(x, [T * B, this.inputSize]) as tf.Tensor2D;
    return rnnLogits(T, B)(x2, this.wIn, this.w, this.wOut) as tf.Tensor2D;
  }

  private checkX(x: tf.Tensor3D): [number, number] {
    if (!(x instanceof tf.Tensor) || x.rank !== 3) fail("x", "must be a 3-D tensor [steps, batch, inputSize]");
    const [T, B, I] = x.shape;
    if (I !== this.inputSize) fail("x", `has ${I} input channels; the network expects ${this.inputSize}`);
    if (T === 0 || B === 0) fail("x", `is empty (shape [${x.shape}])`);
    return [T, B];
  }

  /** Float64 copies of the current weights (one synchronous read each). */
  weights(): RnnWeights {
    return { wIn: this.wIn.arraySync(), w: this.w.arraySync(), wOut: this.wOut.arraySync() };
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

function batchTensors(batch: TrialBatch, rnn: ReluRNN): { x: tf.Tensor3D; y: tf.Tensor1D } {
  if (batch.inputSize !== rnn.inputSize)
    fail("batch", `has ${batch.inputSize} inputs; the network expects ${rnn.inputSize}`);
  const x = tf.tensor3d(batch.x, [batch.steps, batch.batch, batch.inputSize]);
  const y = tf.tensor1d(batch.y, "int32");
  return { x, y };
}

/** Mean cross-entropy over every step and trial of a batch (labels time-major). */
export function rnnLoss(rnn: ReluRNN, x: tf.Tensor3D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    return crossEntropy(rnn.logits2d(x), y);
  });
}

/** Hidden states at one time step, trials × N (float64 rows), e.g. for representation alignment. */
export function hiddenAt(rnn: ReluRNN, batch: TrialBatch, step: number): number[][] {
  if (!Number.isInteger(step) || step < 0 || step >= batch.steps)
    fail("step", `must be an integer in [0, ${batch.steps}), got ${step}`);
  return tf.tidy(() => {
    const { x } = batchTensors(batch, rnn);
    const { hidden } = rnn.forward(x);
    return (tf.squeeze(tf.slice(hidden, [step, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D).arraySync();
  });
}

/** Fraction of trials whose arg-max output equals the label at the given steps. */
export function rnnAccuracy(rnn: ReluRNN, batch: TrialBatch, steps: number[]): number {
  const logits = tf.tidy(() => rnn.forward(batchTensors(batch, rnn).x).logits.arraySync());
  let correct = 0;
  let total = 0;
  for (const t of steps) {
    if (!Number.isInteger(t) || t < 0 || t >= batch.steps) fail("steps", `entry ${t} is outside [0, ${batch.steps})`);
    for (let b = 0; b < batch.batch; b++) {
      const row = logits[t][b];
      const arg = row.indexOf(Math.max(...row));
      if (arg === batch.y[t * batch.batch + b]) correct++;
      total++;
    }
  }
  return correct / total;
}
