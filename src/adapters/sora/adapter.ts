// SoRA (Ding et al. 2023): LoRA of rank r_max with a gate vector g between the factors,
// ΔW x = s·B(g ⊙ A x), s = α/r_max. In tfjs layout ([in, out], y = x W): A [in, r_max],
// B [r_max, out], ΔW = s·A diag(g) B. Init as the official code: A kaiming-uniform, B = 0,
// g ~ N(0, 1).
//
// The gate's optimizer. The official code gives g its own AdamW (same lr and warm-up schedule
// as A and B unless told otherwise) and, after each AdamW step, the L1 proximal step
// g ← sign(g)·max(|g| − ξ, 0). Here g sits in trainableVariables(), so the training loop's
// Adam group steps it with A and B (the same lr and schedule, as the official default), and
// postStep applies the proximal step right after that update. The threshold is ξ itself, as
// the official sparse_optimizer.py (the paper writes η_t·ξ; the repository also has an
// "multiply_lr" variant that is not the one its scripts run).
//
// The sparsifying scheduler: ξ rises in `stages` equal stages over `totalSteps`, linearly from
// xiStart (stage 1) to xi (last stage), as the official "linear" λ schedule; postStep(step)
// picks the stage of the step, so no call is needed from the user. Without totalSteps, ξ = xi
// from the first step. postStep also records the number of non-zero gates every
// `recordEvery` steps. An optional L1 loss term l1·mean|g| (the official sparse_lambda) is
// the adapter's regLoss.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { AdapterBase, Base2D, checkAlpha, checkConfig, checkRank, checkSeed, optNumber, variableFrom } from "../common";
import { LoraAdapter } from "../lora/adapter";

export interface SoraConfig {
  /** Maximum rank r_max ≥ 1 (number of gated components). */
  r: number;
  /** Scaling numerator α (default r); s = α/r_max. */
  alpha?: number;
  /** Final proximal threshold ξ ≥ 0 (default 7e-4, the official script's max_lambda). */
  xi?: number;
  /** Threshold of the first stage (default 0: dense first stage, as the official script). */
  xiStart?: number;
  /** Number of equal stages of the ξ schedule (default 7, the official lambda_num). */
  stages?: number;
  /** Total optimizer steps of the run (places the stages); without it ξ = xi throughout. */
  totalSteps?: number;
  /** Weight of the L1 loss term l1·mean|g| (default 0). */
  l1?: number;
  /** Record the non-zero gate count every this many steps (default 10). */
  recordEvery?: number;
  /** Seed of A's and g's draws (default: initlab's global seeded stream). */
  seed?: number;
}

const KEYS = ["r", "alpha", "xi", "xiStart", "stages", "totalSteps", "l1", "recordEvery", "seed"];

/** The L1 proximal operator (soft threshold): sign(g)·max(|g| − ξ, 0), elementwise. */
export function soraProximal(g: ArrayLike<number>, xi: number): number[] {
  if (g == null || typeof (g as ArrayLike<number>).length !== "number") fail("g", "must be an array of numbers");
  if (typeof xi !== "number" || !Number.isFinite(xi) || xi < 0)
    fail("xi", `must be a finite number ≥ 0, got ${String(xi)}`);
  return Array.from(g, (v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) fail("g", `entry ${i} is ${String(v)}; expected a finite number`);
    return Math.abs(v) > xi ? v - Math.sign(v) * xi : 0;
  });
}

/**
 * ξ at a 1-based step of the staged schedule: stage k = ⌊(step − 1)·stages / totalSteps⌋
 * (0-based, capped at stages − 1) uses xiStart + (xi − xiStart)·k/(stages − 1).
 */
export function soraXiAt(
  step: number,
  o: { xi: number; xiStart?: number; stages?: number; totalSteps?: number },
): number {
  if (o == null || typeof o !== "object") fail("o", "must be an object {xi, xiStart?, stages?, totalSteps?}");
  const xi = optNumber("o.xi", o.xi, NaN, (v) => (v < 0 ? `must be ≥ 0, got ${v}` : null));
  if (Number.isNaN(xi)) fail("o.xi", "is required");
  const x0 = optNumber("o.xiStart", o.xiStart, 0, (v) => (v < 0 ? `must be ≥ 0, got ${v}` : null));
  const stages = optNumber("o.stages", o.stages, 1, (v) =>
    Number.isInteger(v) && v >= 1 ? null : `must be a positive integer, got ${v}`,
  );
  if (typeof step !== "number" || !Number.isFinite(step)) fail("step", `must be a finite number, got ${String(step)}`);
  if (o.totalSteps === undefined || stages === 1) return xi;
  const T = optNumber("o.totalSteps", o.totalSteps, 0, (v) =>
    Number.isInteger(v) && v >= 1 ? null : `must be a positive integer, got ${v}`,
  );
  const k = Math.min(stages - 1, Math.max(0, Math.floor(((step - 1) * stages) / T)));
  return x0 + ((xi - x0) * k) / (stages - 1);
}

export class SoraAdapter extends AdapterBase {
  readonly method: string = "sora";
  readonly identityAtInit: boolean = true;
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  readonly xi: number;
  readonly xiStart: number;
  readonly stages: number;
  readonly totalSteps: number | undefined;
  readonly l1: number;
  readonly recordEvery: number;
  /** A [in, r_max]. */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** B [r_max, out], zero at init. */
  readonly B: tf.Variable<tf.Rank.R2>;
  /** Gate g [r_max], N(0, 1) at init. */
  readonly gate: tf.Variable<tf.Rank.R1>;
  /** [step, non-zero gates] every recordEvery steps (and step 0 at init). */
  readonly history: Array<[number, number]> = [];
  private xiNow = 0;

  constructor(base: Base2D, config: SoraConfig) {
    checkConfig(config, KEYS, "{r, alpha?, xi?, xiStart?, stages?, totalSteps?, l1?, recordEvery?, seed?}");
    super(base);
    this.r = checkRank(config.r, this.inDim, this.outDim);
    this.alpha = checkAlpha(config.alpha, this.r);
    this.scale = this.alpha / this.r;
    const nonNeg = (v: number) => (v < 0 ? `must be ≥ 0, got ${v}` : null);
    const posInt = (v: number) => (Number.isInteger(v) && v >= 1 ? null : `must be a positive integer, got ${v}`);
    this.xi = optNumber("config.xi", config.xi, 7e-4, nonNeg);
    this.xiStart = optNumber("config.xiStart", config.xiStart, 0, nonNeg);
    this.stages = optNumber("config.stages", config.stages, 7, posInt);
    this.totalSteps =
      config.totalSteps === undefined ? undefined : optNumber("config.totalSteps", config.totalSteps, 1, posInt);
    this.l1 = optNumber("config.l1", config.l1, 0, nonNeg);
    this.recordEvery = optNumber("config.recordEvery", config.recordEvery, 10, posInt);
    const rng = new Rng(checkSeed(config.seed));
    const a = new Float32Array(this.inDim * this.r);
    const bound = 1 / Math.sqrt(this.inDim);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    this.A = variableFrom(tf.tensor2d(a, [this.inDim, this.r]), true);
    this.B = variableFrom(tf.zeros([this.r, this.outDim]), true);
    this.gate = variableFrom(tf.tensor1d(rng.normalArray(this.r)), true);
    this.history.push([0, this.nonZeroGates()]);
  }

  trainableVariables(): tf.Variable[] {
    return [this.A, this.B, this.gate];
  }

  override parameterCount(): number {
    return this.r * (this.inDim + this.outDim + 1);
  }

  /** The threshold the last postStep applied (0 before any step). */
  get currentXi(): number {
    return this.xiNow;
  }

  /** Number of non-zero gates (the rank of ΔW, barring degenerate A or B). */
  nonZeroGates(): number {
    return Array.from(this.gate.dataSync()).filter((v) => v !== 0).length;
  }

  /** The proximal step on g with the scheduled ξ of this step, and the sparsity record. */
  postStep(step: number): void {
    this.xiNow = soraXiAt(step, {
      xi: this.xi,
      xiStart: this.xiStart,
      stages: this.stages,
      totalSteps: this.totalSteps,
    });
    if (this.xiNow > 0) {
      const xi = this.xiNow;
      tf.tidy(() =>
        this.gate.assign(tf.mul(tf.sign(this.gate), tf.relu(tf.sub(tf.abs(this.gate), xi))) as tf.Tensor1D),
      );
    }
    if (step % this.recordEvery === 0) this.history.push([step, this.nonZeroGates()]);
  }

  regLoss(): tf.Scalar {
    return tf.tidy(() => tf.mul(tf.mean(tf.abs(this.gate)), this.l1) as tf.Scalar);
  }

  protected adaptedForward(x: tf.Tensor2D): tf.Tensor2D {
    const z = tf.mul(tf.matMul(x, this.A), tf.mul(this.gate, this.scale)) as tf.Tensor2D;
    return tf.add(tf.matMul(x, this.base), tf.matMul(z, this.B)) as tf.Tensor2D;
  }

  deltaW(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.mul(this.A, tf.mul(this.gate, this.scale)), this.B) as tf.Tensor2D);
  }

  /**
   * The pruned plain LoRA: rank k = number of non-zero gates, A' = A[:, nz]·diag(g_nz),
   * B' = B[nz, :], α' = s·k so that α'/k = s and ΔW' = s·A' B' = ΔW, around its own copy of W0.
   * Null when every gate is zero (ΔW = 0, no rank ≥ 1 needed).
   */
  toLora(): LoraAdapter | null {
    if (this.merged) fail("toLora", "the adapter is merged (its base holds W0 + ΔW); unmerge() first");
    const g = Array.from(this.gate.dataSync());
    const nz = g.map((v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
    if (nz.length === 0) return null;
    const k = nz.length;
    // A copy of W0: the export stays valid after this adapter is disposed.
    const w0 = this.base.clone();
    const lora = new LoraAdapter(w0, { r: k, alpha: this.scale * k, seed: 0 });
    w0.dispose();
    tf.tidy(() => {
      const idx = tf.tensor1d(nz, "int32");
      const gz = tf.tensor1d(nz.map((i) => g[i]));
      lora.A.assign(tf.mul(tf.gather(this.A, idx, 1), gz) as tf.Tensor2D);
      lora.B.assign(tf.gather(this.B, idx, 0) as tf.Tensor2D);
    });
    return lora;
  }

  protected disposeOwn(): void {
    for (const t of [this.A, this.B, this.gate]) t.dispose();
  }
}

/** The pruned plain LoRA of a trained SoRA adapter (see SoraAdapter.toLora); null when every gate is zero. */
export function soraToLora(adapter: SoraAdapter): LoraAdapter | null {
  if (!(adapter instanceof SoraAdapter)) fail("adapter", "must be a SoraAdapter");
  return adapter.toLora();
}
