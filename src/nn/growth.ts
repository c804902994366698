// Model growth operators: depthwise stacking of a transformer's block list (G_stack),
// width growth of an MLP by recombining learned templates (MixtureGrowth), and the
// expansion of stage-wise shared residual blocks to any depth (Learngene SWS).
// Every operator returns fresh variables; the source model is left untouched.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { MLP } from "./mlp";
import { StagedResidualMLP } from "./staged-residual-mlp";
import { TemplateMLP } from "./template-mlp";
import { BLOCK_MATRICES, blockParam, TransformerShape } from "./transformer";

const copy = (t: tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(t.clone(), true));

export interface StackOptions {
  /**
   * Zero the residual output kernels (wo, w2) of every block beyond the original L, so the
   * stacked pre-norm model computes exactly the source model's function (G_stack itself
   * copies them unchanged; this is the function-preserving variant).
   */
  zeroNewOutputs?: boolean;
}

/**
 * G_stack: the L-block transformer's whole block list repeated `factor` times (block l of the
 * result is a copy of block l mod L), embeddings, positions and head copied.
 */
export function stackTransformer(
  params: Record<string, tf.Variable | tf.Tensor>,
  shape: TransformerShape,
  factor: number,
  opts: StackOptions = {},
): { params: Record<string, tf.Variable>; shape: TransformerShape } {
  if (!Number.isInteger(factor) || factor < 1) fail("factor", `must be a positive integer, got ${factor}`);
  for (const k of ["tok", "pos", "out"]) if (!params?.[k]) fail("params", `lacks "${k}"`);
  const L = shape.layers;
  for (let l = 0; l < L; l++)
    for (const m of BLOCK_MATRICES) if (!params[blockParam(l, m)]) fail("params", `lacks "${blockParam(l, m)}"`);
  const out: Record<string, tf.Variable> = { tok: copy(params.tok), pos: copy(params.pos) };
  for (let l = 0; l < L * factor; l++) {
    for (const m of BLOCK_MATRICES) {
      const src = params[blockParam(l % L, m)];
      const zero = opts.zeroNewOutputs && l >= L && (m === "wo" || m === "w2");
      out[blockParam(l, m)] = zero ? tf.variable(tf.zerosLike(src), true) : copy(src);
    }
  }
  out.out = copy(params.out);
  return { params: out, shape: { ...shape, layers: L * factor } };
}

/** Matmul FLOPs (forward + backward ≈ 3 × forward, 2 per multiply-add) of one transformer step on B×T tokens. */
export function transformerStepFlops(shape: TransformerShape, batch: number, context = shape.context): number {
  const { width: d, vocab: V, layers: L } = shape;
  const tokens = batch * context;
  const perToken = L * (12 * d * d) + d * V; // qkvo 4d², MLP 8d², head dV (the embedding is a lookup)
  const attention = L * 2 * context * d; // QKᵀ and att·V per token
  return 3 * 2 * tokens * (perToken + attention);
}

/**
 * Orthonormal directions in R^n orthogonal to the given vectors (Gram–Schmidt against them,
 * then against each other), `count` of them, started from seeded Gaussian draws.
 */
export function orthogonalComplement(vectors: number[][], count: number, rng: Rng): number[][] {
  const n = vectors[0]?.length ?? fail("vectors", "must hold at least one vector");
  if (vectors.some((v) => v.length !== n)) fail("vectors", "must all have the same length");
  if (!Number.isInteger(count) || count < 0) fail("count", `must be an integer ≥ 0, got ${count}`);
  const basis: number[][] = [];
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const project = (v: number[]) => {
    for (const b of basis) {
      const c = dot(v, b);
      for (let i = 0; i < n; i++) v[i] -= c * b[i];
    }
    return Math.sqrt(dot(v, v));
  };
  for (const v0 of vectors) {
    const v = [...v0];
    const norm = project(v);
    if (norm > 1e-9) basis.push(v.map((x) => x / norm));
  }
  if (basis.length + count > n) fail("count", `${count} directions do not fit beside rank ${basis.length} in R^${n}`);
  const outDirs: number[][] = [];
  while (outDirs.length < count) {
    const v = Array.from({ length: n }, () => rng.normal());
    const norm = project(v);
    if (norm < 1e-6) continue;
    const u = v.map((x) => x / norm);
    basis.push(u);
    outDirs.push(u);
  }
  return outDirs;
}

/**
 * Stage repeat counts for a descendant of `depth` blocks from stages whose auxiliary counts
 * are `stages` (e.g. [3, 3, 2]): proportional to them (largest remainders, earlier stages
 * first on ties), at least one block per stage.
 */
export function stageCounts(stages: number[], depth: number): number[] {
  if (!Array.isArray(stages) || stages.length === 0 || stages.some((s) => !Number.isInteger(s) || s < 1))
    fail("stages", "must be a non-empty list of positive integers");
  if (!Number.isInteger(depth) || depth < stages.length)
    fail("depth", `must be an integer ≥ the number of stages (${stages.length}), got ${depth}`);
  const total = stages.reduce((a, b) => a + b, 0);
  const extra = depth - stages.length;
  const ideal = stages.map((s) => (s / total) * extra);
  const counts = ideal.map((x) => 1 + Math.floor(x));
  let left = depth - counts.reduce((a, b) => a + b, 0);
  const order = ideal.map((x, i) => ({ r: x - Math.floor(x), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

/** The block each layer of a descendant uses: stage s repeated counts[s] times ([2,1] → [0,0,1]). */
export function expansionSchedule(counts: number[]): number[] {
  if (!Array.isArray(counts) || counts.some((c) => !Number.isInteger(c) || c < 0))
    fail("counts", "must be a list of integers ≥ 0");
  return counts.flatMap((c, s) => Array<number>(c).fill(s));
}

/** How MixtureGrowth fills the new (off-diagonal) blocks of a hidden layer. */
export type NewBlockInit = "orthogonal" | "random" | "zero";

export interface MixtureGrowOptions {
  /**
   * orthogonal: new coefficients over both networks' learned templates, orthogonal to the
   * old coefficient vectors and as long as them on average (MixtureGrowth); random: fresh
   * He-style N(0, 2/h) weights (random growth); zero: zeros (the grown net is then exactly
   * the average of the two networks' logits, with outputScale 0.5).
   */
  init: NewBlockInit;
  rng: Rng;
  /** Multiplies the stacked classifier, which sums the two networks' logits (default 0.5). */
  outputScale?: number;
}

const arr2 = (t: tf.Tensor): number[][] => t.arraySync() as number[][];

/**
 * MixtureGrowth: two template MLPs of equal sizes [in, h…, out] grown into one plain MLP of
 * sizes [in, 2h…, out]. The first layer concatenates columns [W_A | W_B]; each hidden layer is
 * the block matrix [[W_A, N_AB], [N_BA, W_B]] (rows = inputs, tfjs [in, out] layout) with new
 * blocks N per `init`; the classifier stacks [W_A; W_B]·outputScale; biases concatenate (the
 * classifier's add and scale). Returns the weights and biases per layer as nested arrays.
 */
export function mixtureGrow(
  a: TemplateMLP,
  b: TemplateMLP,
  opts: MixtureGrowOptions,
): { sizes: number[]; weights: number[][][]; biases: number[][] } {
  assertKnownOptions("opts", opts, ["init", "rng", "outputScale"]);
  if (!["orthogonal", "random", "zero"].includes(opts.init))
    fail("opts.init", `unknown init "${opts.init}" (known: orthogonal, random, zero)`);
  const sa = a.config.sizes;
  if (sa.length < 3) fail("a", "needs at least one hidden layer to grow");
  if (sa.join() !== b.config.sizes.join()) fail("b", `sizes [${b.config.sizes}] differ from a's [${sa}]`);
  if (a.config.templates !== b.config.templates) fail("b", "has a different number of templates per layer");
  const scale = opts.outputScale ?? 0.5;
  if (!Number.isFinite(scale)) fail("opts.outputScale", `must be finite, got ${scale}`);
  const L = sa.length - 1;
  const K = a.config.templates;
  const sizes = sa.map((s, i) => (i === 0 || i === L ? s : 2 * s));
  const weights: number[][][] = [];
  const biases: number[][] = [];
  for (let l = 0; l < L; l++) {
    const wa = tf.tidy(() => arr2(a.weight(l)));
    const wb = tf.tidy(() => arr2(b.weight(l)));
    const ba = Array.from(a.biases[l].dataSync());
    const bb = Array.from(b.biases[l].dataSync());
    if (l === 0) {
      weights.push(wa.map((row, i) => [...row, ...wb[i]]));
      biases.push([...ba, ...bb]);
    } else if (l === L - 1) {
      weights.push([...wa, ...wb].map((row) => row.map((x) => x * scale)));
      biases.push(ba.map((x, i) => (x + bb[i]) * scale));
    } else {
      const [nAB, nBA] = newBlocks(a, b, l, K, sa[l], sa[l + 1], opts);
      weights.push([...wa.map((row, i) => [...row, ...nAB[i]]), ...wb.map((row, i) => [...nBA[i], ...row])]);
      biases.push([...ba, ...bb]);
    }
  }
  return { sizes, weights, biases };
}

/** The two off-diagonal blocks (A-inputs → B-outputs, B-inputs → A-outputs) of hidden layer l. */
function newBlocks(
  a: TemplateMLP,
  b: TemplateMLP,
  l: number,
  K: number,
  fin: number,
  fout: number,
  opts: MixtureGrowOptions,
): number[][][] {
  if (opts.init === "zero") return [0, 1].map(() => Array.from({ length: fin }, () => new Array<number>(fout).fill(0)));
  if (opts.init === "random")
    return [0, 1].map(() =>
      Array.from({ length: fin }, () => Array.from({ length: fout }, () => opts.rng.normal() * Math.sqrt(2 / fin))),
    );
  // Coefficients over the 2K templates [T_A1..T_AK, T_B1..T_BK]: the old ones are [c_A, 0] and [0, c_B].
  const ca = Array.from(a.coefficients[l].dataSync());
  const cb = Array.from(b.coefficients[l].dataSync());
  const zeros = new Array<number>(K).fill(0);
  const length = (Math.hypot(...ca) + Math.hypot(...cb)) / 2;
  const dirs = orthogonalComplement(
    [
      [...ca, ...zeros],
      [...zeros, ...cb],
    ],
    2,
    opts.rng,
  );
  const templates = [...a.templates[l], ...b.templates[l]];
  return dirs.map((u) =>
    tf.tidy(() => {
      const c = tf.reshape(tf.tensor1d(u.map((x) => x * length)), [-1, 1, 1]);
      return arr2(tf.sum(tf.mul(tf.stack(templates), c), 0));
    }),
  );
}

/** A plain ReLU MLP holding the given weights ([in, out] per layer) and biases, e.g. mixtureGrow's output. */
export function mlpFromWeights(sizes: number[], weights: number[][][], biases: number[][]): MLP {
  if (!Array.isArray(weights) || weights.length !== sizes.length - 1)
    fail("weights", `needs ${sizes.length - 1} matrices for sizes [${sizes}], got ${weights?.length}`);
  const mlp = new MLP({ sizes, activation: "relu", init: "he" });
  weights.forEach((w, l) => {
    if (w.length !== sizes[l] || w.some((r) => r.length !== sizes[l + 1]))
      fail(`weights[${l}]`, `must be ${sizes[l]}×${sizes[l + 1]}`);
    if (biases[l]?.length !== sizes[l + 1]) fail(`biases[${l}]`, `must have ${sizes[l + 1]} entries`);
    tf.tidy(() => {
      mlp.weights[l].assign(tf.tensor2d(w));
      mlp.biases[l]!.assign(tf.tensor1d(biases[l]));
    });
  });
  return mlp;
}

/**
 * Learngene SWS: a descendant of depth Σ counts from a stage-shared residual MLP (one stored
 * block per stage): stage s's block copied into counts[s] consecutive, now independent,
 * layers; input and output layers copied. With the auxiliary model's own counts the
 * descendant computes exactly the auxiliary model's function.
 */
export function expandStages(aux: StagedResidualMLP, counts: number[]): StagedResidualMLP {
  if (!(aux instanceof StagedResidualMLP)) fail("aux", "must be a StagedResidualMLP");
  if (!Array.isArray(counts) || counts.length !== aux.blocks.length)
    fail("counts", `needs one count per stored block (${aux.blocks.length}), got ${counts?.length}`);
  const schedule = expansionSchedule(counts);
  if (schedule.length === 0) fail("counts", "give a depth of at least 1");
  const { input, width, classes } = aux.config;
  const child = new StagedResidualMLP({ input, width, classes, schedule: schedule.map((_, l) => l) }, new Rng(0));
  tf.tidy(() => {
    child.inW.assign(aux.inW);
    child.inB.assign(aux.inB);
    child.outW.assign(aux.outW);
    child.outB.assign(aux.outB);
    schedule.forEach((s, l) => {
      for (const k of ["w1", "b1", "w2", "b2"] as const) (child.blocks[l][k] as tf.Variable).assign(aux.blocks[s][k]);
    });
  });
  return child;
}
