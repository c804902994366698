// ALLoRA (Huang & Balestriero 2024): LoRA's shapes and init (A random, B = 0) without dropout
// and without the α/r factor (s = 1), plus a per-row adaptive learning rate: before the
// optimizer step, the gradient of every row of A and of B is multiplied by
//   c(row) = 1 / √(‖θ_row‖² + 1/η²),
// a coefficient inversely related to the row's ℓ2 norm and bounded by η (at a zero row, e.g.
// B's rows at init, c = η). The exact rule of the paper could not be checked beyond its
// abstract ("a coefficient inversely proportional to parameters' ℓ2 norm"); this is the
// card's reading, stated in src/papers/allora/README.md.
//
// Layout: tfjs kernels [in, out], y = x W, ΔW = A B with A [in, r], B [r, out] — the paper's
// own notation (W + AB with B = 0 at init), so "rows" are rows of A [in, r] (one per input
// unit) and rows of B [r, out] (one per rank component).
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { AdapterBase, Base2D, checkConfig, checkRank, checkSeed, optNumber, variableFrom } from "../common";

export interface AlloraConfig {
  /** Rank r ≥ 1. */
  r: number;
  /** Bound η of the per-row coefficient (c ≤ η, reached at a zero row); default 10. */
  eta?: number;
  /** Seed of A's draw (default: drawn from initlab's global seeded stream). */
  seed?: number;
  /** Apply the per-row coefficient (default true; false = the ablation: plain LoRA with s = 1, no dropout). */
  adaptive?: boolean;
  /** Record the mean coefficients and row norms every this many steps in postStep (0 = off, the default). */
  traceEvery?: number;
}

/** One point of the coefficient trace (means over the rows of A and of B). */
export interface AlloraTracePoint {
  step: number;
  coefA: number;
  coefB: number;
  normA: number;
  normB: number;
}

/** η when the config gives none. */
export const ALLORA_DEFAULT_ETA = 10;

const KEYS = ["r", "eta", "seed", "traceEvery", "adaptive"];

/** c = 1/√(‖row‖² + 1/η²) per row of a 2-D tensor [rows, cols] → [rows, 1]. */
export function alloraRowCoefficients(theta: tf.Tensor2D, eta: number): tf.Tensor2D {
  if (!(theta instanceof tf.Tensor) || theta.rank !== 2) fail("theta", "must be a 2-D tensor [rows, cols]");
  if (!(typeof eta === "number" && Number.isFinite(eta) && eta > 0))
    fail("eta", `must be a positive finite number, got ${String(eta)}`);
  return tf.tidy(() => tf.rsqrt(tf.add(tf.sum(tf.square(theta), 1, true), 1 / (eta * eta))) as tf.Tensor2D);
}

export class AlloraAdapter extends AdapterBase {
  readonly method: string = "allora";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  readonly eta: number;
  readonly traceEvery: number;
  readonly adaptive: boolean;
  readonly A: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;
  /** Coefficient trace (filled by postStep when traceEvery > 0). */
  readonly trace: AlloraTracePoint[] = [];

  constructor(base: Base2D, config: AlloraConfig) {
    checkConfig(config, KEYS, "{r, eta?, seed?, adaptive?, traceEvery?}");
    super(base);
    this.r = checkRank(config.r, this.inDim, this.outDim);
    this.eta = optNumber("config.eta", config.eta, ALLORA_DEFAULT_ETA, (v) =>
      v > 0 ? null : `must be positive, got ${v}`,
    );
    this.traceEvery = optNumber("config.traceEvery", config.traceEvery, 0, (v) =>
      Number.isInteger(v) && v >= 0 ? null : `must be a non-negative integer, got ${v}`,
    );
    if (config.adaptive !== undefined && typeof config.adaptive !== "boolean")
      fail("config.adaptive", `must be a boolean, got ${String(config.adaptive)}`);
    this.adaptive = config.adaptive ?? true;
    const rng = new Rng(checkSeed(config.seed));
    // LoRA's A init (kaiming-uniform a=√5 on torch's [r, in]: U(±1/√in)); B = 0.
    const bound = 1 / Math.sqrt(this.inDim);
    const a = Float32Array.from({ length: this.inDim * this.r }, () => (2 * rng.next() - 1) * bound);
    this.A = variableFrom(tf.tensor2d(a, [this.inDim, this.r]), true);
    this.B = variableFrom(tf.zeros([this.r, this.outDim]), true);
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B];
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.base), tf.matMul(tf.matMul(x, this.A), this.B)) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.matMul(this.A, this.B);
  }

  /** Each row's gradient times c(row) of the row's current value (other keys pass through). */
  transformGrads(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    if (!this.adaptive) return out;
    for (const v of [this.A, this.B]) {
      const g = grads[v.name];
      if (!g) continue;
      out[v.name] = tf.tidy(() => tf.mul(g, alloraRowCoefficients(v, this.eta)));
    }
    return out;
  }

  postStep(step: number): void {
    if (this.traceEvery <= 0 || (step !== 1 && step % this.traceEvery !== 0)) return;
    const [cA, cB, nA, nB] = tf.tidy(() => {
      const stats = (t: tf.Tensor2D) => [
        tf.mean(alloraRowCoefficients(t, this.eta)),
        tf.mean(tf.sqrt(tf.sum(tf.square(t), 1))),
      ];
      const [ca, na] = stats(this.A);
      const [cb, nb] = stats(this.B);
      return tf.stack([ca, cb, na, nb]).dataSync();
    });
    this.trace.push({ step, coefA: cA, coefB: cB, normA: nA, normB: nB });
  }

  protected disposeOwn(): void {
    this.A.dispose();
    this.B.dispose();
  }
}
