// Compacter (Karimi Mahabadi, Henderson, Ruder 2021) for one Dense kernel.
//
// Compacter is a serial bottleneck adapter h ← h + up(act(down(h))) whose two projections are
// PHM layers: a weight M [p, q] = Σ_{i=1..n} A_i ⊗ B_i with n "slow" rule matrices A_i [n, n]
// SHARED by every PHM layer of the model, and per-layer "fast" B_i = S_i T_i [p/n, q/n] of rank
// ρ (S_i [p/n, ρ], T_i [ρ, q/n]). Reference: rabeehk/compacter, seq2seq/hypercomplex/layers.py
// (PHMLinear: H = Σ_i kron(rule_i, W_left_i W_right_i), y = x H) and modeling_t5.py (one
// `phm_rule` per model, set on every down and up sampler).
//
// Here the adapter sits on the output of the wrapped matrix (our h is the layer's
// pre-activation z = x W0, as Compacter sits on a sub-layer's output): z' = z + act(z D) U with
// D = PHM [out, k] (down) and U = PHM [k, out] (up). With act = identity (the default, the
// benchmark's form) the layer stays linear and ΔW = W0 D U exactly (rank ≤ k), so merge,
// spectra and intruders read the true update. With act = "gelu" forward() is the nonlinear
// serial adapter; it is not a linear map, so deltaW() is its first-order account at z = 0
// (GeLU'(0) = ½: ΔW ≈ ½ W0 D U) and merge() is refused.
// Left out on purpose: the PHM biases (a bias term is a shift, not a ΔW) and layer norms.
//
// Sharing: a CompacterShared object holds the rule tensor [n, n, n]. Pass the same object as
// `config.shared` to every matrix's adapter (the benchmark's prepareConfig creates one per
// run); without one an adapter makes its own. The rule is listed (and counted) by exactly one
// member, the first registered (ownership passes on when it is disposed), so a model's
// variables() and parameter count hold it once while every member's forward uses it.
import * as tf from "@tensorflow/tfjs";
import { nextSeed, Rng } from "../../core/random";
import { assertKnownOptions, fail } from "../../core/validate";
import { Base2D, checkChoice, checkRank, optNumber, variableFrom, W0KeepingAdapter } from "../common";
import { DenseAdapter } from "../types";

export type CompacterActivation = "identity" | "gelu";

export interface CompacterConfig {
  /** Bottleneck width k (1 ≤ k ≤ min(in, out), divisible by n). */
  r: number;
  /** PHM dimension n (number of Kronecker terms; default 4, the paper's); must divide out and k. */
  n?: number;
  /** Rank ρ of each fast factor B_i = S_i T_i (default 1, the paper's). */
  phmRank?: number;
  /** Bottleneck nonlinearity (default "identity": ΔW = W0 D U exactly). */
  activation?: CompacterActivation;
  /** Std of the rule's normal init when this adapter creates its own shared rule (default 1e-4, the reference's). */
  ruleInitStd?: number;
  /** Seed for the fast factors (and an own rule); default from initlab's seeded stream. */
  seed?: number;
  /** The model-wide slow rule (one CompacterShared per model). */
  shared?: CompacterShared;
}

const KEYS = ["r", "n", "phmRank", "activation", "ruleInitStd", "seed", "shared"];

/** The slow weights every Compacter adapter of one model shares: the rule tensor A [n, n, n]. */
export class CompacterShared {
  readonly n: number;
  /** A [n, n, n]: A[i] is the i-th rule matrix (trainable; listed by the owner adapter only). */
  readonly rule: tf.Variable<tf.Rank.R3>;
  private readonly members: DenseAdapter[] = [];
  private disposed = false;

  constructor(opts: { n: number; seed?: number; initStd?: number }) {
    if (opts == null || typeof opts !== "object") fail("opts", "must be an object {n, seed?, initStd?}");
    assertKnownOptions("opts", opts, ["n", "seed", "initStd"]);
    const n = opts.n;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 64)
      fail("opts.n", `must be an integer in [1, 64], got ${String(n)}`);
    const std = optNumber("opts.initStd", opts.initStd, 1e-4, (s) => (s <= 0 ? `must be positive, got ${s}` : null));
    const rng = new Rng(optNumber("opts.seed", opts.seed, nextSeed()));
    this.n = n;
    this.rule = variableFrom(tf.tensor3d(rng.normalArray(n * n * n, std), [n, n, n]), true);
  }

  /** Adds a member; the first one owns the rule. Returns the member's index (its seed offset). */
  register(a: DenseAdapter): number {
    if (this.disposed) fail("config.shared", "was disposed (its last adapter was freed); create a new one");
    this.members.push(a);
    return this.members.length - 1;
  }

  /** Removes a member; the rule is freed with the last one. */
  unregister(a: DenseAdapter): void {
    const i = this.members.indexOf(a);
    if (i >= 0) this.members.splice(i, 1);
    if (this.members.length === 0 && !this.disposed) {
      this.rule.dispose();
      this.disposed = true;
    }
  }

  /** The adapter that lists the rule among its trainable variables. */
  owner(): DenseAdapter | undefined {
    return this.members[0];
  }

  get memberCount(): number {
    return this.members.length;
  }
}

/**
 * Σ_i kron(rule[i], S[i] T[i]) for rule [n, n, n], S [n, p/n, ρ], T [n, ρ, q/n] → [p, q]
 * (the PHM weight; torch's kronecker_product_einsum_batched(...).sum(0)).
 */
export function phmWeight(rule: tf.Tensor3D, S: tf.Tensor3D, T: tf.Tensor3D): tf.Tensor2D {
  const n = rule.shape[0];
  const [, a, rho] = S.shape;
  const b = T.shape[2];
  if (rule.shape[1] !== n || rule.shape[2] !== n || S.shape[0] !== n || T.shape[0] !== n || T.shape[1] !== rho)
    fail("phmWeight", `shapes do not fit: rule [${rule.shape}], S [${S.shape}], T [${T.shape}]`);
  return tf.tidy(() => {
    const fast = tf.reshape(tf.matMul(S, T), [n, a * b]); // (i, a·b)
    const w = tf.matMul(tf.reshape(rule, [n, n * n]), fast, true, false); // (p·q, a·b) = Σ_i A_i[p, q] B_i[a, b]
    return tf.reshape(tf.transpose(tf.reshape(w, [n, n, a, b]), [0, 2, 1, 3]), [n * a, n * b]) as tf.Tensor2D;
  });
}

/** xavier_uniform with gain √2 (the reference's glorot-uniform) for an [rows, cols] slice. */
function glorot(rng: Rng, n: number, rows: number, cols: number): tf.Tensor3D {
  const bound = Math.sqrt(12 / (rows + cols));
  const a = new Float32Array(n * rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
  return tf.tensor3d(a, [n, rows, cols]);
}

export class CompacterAdapter extends W0KeepingAdapter {
  readonly method: string = "compacter";
  readonly identityAtInit: boolean = false;
  /** Bottleneck width k. */
  readonly r: number;
  readonly n: number;
  readonly phmRank: number;
  readonly activation: CompacterActivation;
  readonly shared: CompacterShared;
  /** Down projection's fast factors: S [n, out/n, ρ], T [n, ρ, k/n]. */
  readonly downS: tf.Variable<tf.Rank.R3>;
  readonly downT: tf.Variable<tf.Rank.R3>;
  /** Up projection's fast factors: S [n, k/n, ρ], T [n, ρ, out/n]. */
  readonly upS: tf.Variable<tf.Rank.R3>;
  readonly upT: tf.Variable<tf.Rank.R3>;

  constructor(base: Base2D, config: CompacterConfig) {
    if (config == null || typeof config !== "object" || Array.isArray(config))
      fail("config", "must be an object {r, n?, phmRank?, activation?, ruleInitStd?, seed?, shared?}");
    assertKnownOptions("config", config, KEYS);
    super(base);
    const k = (this.r = checkRank(config.r, this.inDim, this.outDim));
    if (config.shared !== undefined && !(config.shared instanceof CompacterShared))
      fail("config.shared", "must be a CompacterShared (one per model) when given");
    const n = optNumber("config.n", config.n, config.shared?.n ?? 4, (v) =>
      !Number.isInteger(v) || v < 1 ? `must be a positive integer, got ${v}` : null,
    );
    if (config.shared && config.shared.n !== n)
      fail("config.n", `is ${n} but config.shared holds rules of size n = ${config.shared.n}`);
    if (this.outDim % n !== 0 || k % n !== 0)
      fail("config.n", `is ${n}; the PHM layers need n to divide out = ${this.outDim} and the bottleneck r = ${k}`);
    const rho = optNumber("config.phmRank", config.phmRank, 1, (v) =>
      !Number.isInteger(v) || v < 1 ? `must be a positive integer, got ${v}` : null,
    );
    this.n = n;
    this.phmRank = rho;
    this.activation = checkChoice("config.activation", config.activation, ["identity", "gelu"], "identity");
    const seedValue = optNumber("config.seed", config.seed, nextSeed());
    const ruleStd = optNumber("config.ruleInitStd", config.ruleInitStd, 1e-4, (s) =>
      s <= 0 ? `must be positive, got ${s}` : null,
    );
    this.shared = config.shared ?? new CompacterShared({ n, seed: seedValue + 104729, initStd: ruleStd });
    const member = this.shared.register(this);
    // Each member draws from its own stream, so two matrices with the same config differ.
    const rng = new Rng(seedValue + 7 * member);
    const o = this.outDim / n;
    const b = k / n;
    this.downS = variableFrom(glorot(rng, n, o, rho), true);
    this.downT = variableFrom(glorot(rng, n, rho, b), true);
    this.upS = variableFrom(glorot(rng, n, b, rho), true);
    this.upT = variableFrom(glorot(rng, n, rho, o), true);
  }

  /** The fast factors (this matrix's own parameters). */
  fastVariables(): tf.Variable[] {
    return [this.downS, this.downT, this.upS, this.upT];
  }

  /** Fast factors, plus the shared rule when this adapter is its owner (so a model lists it once). */
  trainableVariables(): tf.Variable[] {
    return this.shared.owner() === this ? [...this.fastVariables(), this.shared.rule] : this.fastVariables();
  }

  /** D = Σ A_i ⊗ B_i^down [out, k]. */
  down(): tf.Tensor2D {
    return phmWeight(this.shared.rule, this.downS, this.downT);
  }

  /** U = Σ A_i ⊗ B_i^up [k, out]. */
  up(): tf.Tensor2D {
    return phmWeight(this.shared.rule, this.upS, this.upT);
  }

  parameterCount(): number {
    return this.trainableVariables().reduce((s, v) => s + v.size, 0);
  }

  protected forwardUnmerged(x: tf.Tensor2D): tf.Tensor2D {
    const z = tf.matMul(x, this.w0);
    const h = tf.matMul(z, this.down()) as tf.Tensor2D;
    const a = this.activation === "gelu" ? gelu(h) : h;
    return tf.add(z, tf.matMul(a, this.up())) as tf.Tensor2D;
  }

  /** W0 D U (identity), or its first-order account ½ W0 D U (gelu; see the file comment). */
  deltaW(): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.matMul(this.w0, tf.matMul(this.down(), this.up()));
      return (this.activation === "gelu" ? tf.mul(d, 0.5) : d) as tf.Tensor2D;
    });
  }

  override merge(): void {
    if (this.activation !== "identity")
      fail("merge", `Compacter with activation "${this.activation}" is not a linear map and cannot be merged exactly`);
    super.merge();
  }

  protected disposeOwn(): void {
    for (const v of this.fastVariables()) v.dispose();
    this.shared.unregister(this);
  }
}

/** GeLU, tanh approximation (the reference's "gelu_new"). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const c = Math.sqrt(2 / Math.PI);
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), c);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)) as tf.Tensor2D;
  });
}
