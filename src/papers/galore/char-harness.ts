// The second base of the low-rank training papers (GaLore, Fira, Q-GaLore, SLTrain, SST):
// the tiny character-level transformer of bases/char-lm (width 32, context 32, 2 blocks,
// 2 heads) pre-trained FROM SCRATCH on the Debian license texts, with one optimizer or
// parameterisation per method on the attention and MLP matrices (wq, wk, wv, wo, w1, w2 of
// every block); the token and position embeddings and the LM head always stay full-rank
// with plain Adam, as the papers keep them. Every method trains the same number of steps on
// the same stream of windows; its learning rate is chosen by validation loss on held-out
// license blocks, and the chosen rate is then scored on other held-out blocks (test).
import * as tf from "@tensorflow/tfjs";
import { Rng, seed as seedAll } from "../../core/random";
import { fail } from "../../core/validate";
import { evalWindows, licenseCorpus, lmScores, splitCorpus, windowSource } from "../../bases/char-lm";
import { BLOCK_MATRICES, blockParam, transformerLogits, transformerParams } from "../../nn/transformer";
import { svd } from "../../linalg/decompose";
import { matchedLowRank, sltrainParamCount, SLTrainLinear } from "../../nn/sltrain";
import { SSTLinear, sstTrainableParams } from "../../nn/sst";
import { FastAdam, FiraAdam, GaLoreAdam, galoreStateFloats, QGaLoreAdam } from "../../optim";
import { ParamGroup, train, TrainHook } from "../../train/loop";
import { selectOnValidation } from "../protocol";
import { PaperContext } from "../types";
import { LoRALinear, reloraHook, ResettableAdam } from "./char-lora";
import { CHAR_SHAPE, CharConfig, CharKind, CharMethod, CharResult, CharRun } from "./char-config";

export * from "./char-config";

/** The block matrix names of CHAR_SHAPE ("l0.wq", …). */
export const charBlockNames = (): string[] =>
  Array.from({ length: CHAR_SHAPE.layers }, (_, l) => BLOCK_MATRICES.map((m) => blockParam(l, m))).flat();

/** A fixed split of the license texts into 128-character blocks: 80% train, 10% validation, 10% test. */
export function licenseSplit(): { train: Int32Array; val: Int32Array; test: Int32Array } {
  return splitCorpus(licenseCorpus(), 4 * CHAR_SHAPE.context, { val: 0.1, test: 0.1 }, 0);
}

const OPTIMIZERS: CharKind[] = ["adam", "galore", "fira", "qgalore"];

/** A reparameterised block matrix: its forward and its trainable variables. */
export interface BlockLayer {
  forward(x: tf.Tensor2D): tf.Tensor2D;
  variables(): tf.Variable[];
  dispose(): void;
}

export interface Built {
  forward(x: tf.Tensor2D): tf.Tensor2D;
  dense: tf.Variable[];
  layers: BlockLayer[];
  hooks: TrainHook[];
  /** Engine names of the block-matrix variables (the projection targets of the optimizers). */
  targets: string[];
  blockParams: number;
  dispose(): void;
}

/** Rank of a parameter-matched low-rank baseline for an m×n matrix. */
export function matchedRank(m: number, n: number, to: NonNullable<CharMethod["matchTo"]>): number {
  const budget =
    to.kind === "sltrain"
      ? sltrainParamCount(m, n, to.rank, to.delta, false)
      : sstTrainableParams(m, n, to.rank, false);
  return matchedLowRank(m, n, budget);
}

/** The transformer of one method and seed: its forward, dense variables, reparameterised block matrices and hooks. */
export function buildCharModel(m: CharMethod, s: number): Built {
  const p = transformerParams(new Rng(1000 + s), CHAR_SHAPE);
  const names = charBlockNames();
  if (OPTIMIZERS.includes(m.kind)) {
    const vars = Object.values(p);
    return {
      forward: (x) => transformerLogits(p, x, CHAR_SHAPE),
      dense: vars,
      layers: [],
      hooks: [],
      targets: names.map((n) => p[n].name),
      blockParams: names.reduce((a, n) => a + p[n].size, 0),
      dispose: () => vars.forEach((v) => v.dispose()),
    };
  }
  const hooks: TrainHook[] = [];
  const byName = new Map<string, BlockLayer>();
  names.forEach((name, i) => {
    const w = p[name] as tf.Variable<tf.Rank.R2>;
    const [din, dout] = w.shape;
    const sd = 97 * s + i;
    let layer: BlockLayer;
    if (m.kind === "sltrain") {
      if (m.rank === undefined || m.delta === undefined) fail(`methods["${m.name}"]`, "SLTrain needs rank and delta");
      const alpha = m.alpha ?? m.rank;
      layer = new SLTrainLinear({
        inDim: din,
        outDim: dout,
        rank: m.rank,
        delta: m.delta,
        alpha,
        seed: sd,
        bias: false,
      });
    } else if (m.kind === "sst") {
      if (m.rank === undefined) fail(`methods["${m.name}"].rank`, "is required for SST");
      const l = new SSTLinear({
        inDim: din,
        outDim: dout,
        rank: m.rank,
        seed: sd,
        resampleEvery: m.resampleEvery,
        reorthEvery: m.reorthEvery,
        bias: false,
      });
      // Zero distortion: SST starts from the SVD of the same matrix the full-rank model starts from.
      sstFromDense(l, w);
      hooks.push(l.hook());
      layer = l;
    } else {
      if (!m.matchTo) fail(`methods["${m.name}"].matchTo`, "is required for the low-rank baselines");
      const r = matchedRank(din, dout, m.matchTo);
      if (m.kind === "lowrank")
        layer = new SLTrainLinear({
          inDim: din,
          outDim: dout,
          rank: r,
          delta: 0,
          seed: sd,
          bias: false,
          bInit: "uniform",
        });
      else {
        layer = new LoRALinear(w, r, sd);
      }
    }
    byName.set(name, layer);
  });
  for (const n of names) p[n].dispose();
  const dense = ["tok", "pos", "out"].map((k) => p[k]);
  const layers = [...byName.values()];
  const blockParams = layers.reduce((a, l) => a + trainableOf(l), 0);
  const params: Record<string, tf.Variable> = { tok: p.tok, pos: p.pos, out: p.out };
  return {
    forward: (x) => transformerLogits(params, x, CHAR_SHAPE, (name, h) => byName.get(name)!.forward(h)),
    dense,
    layers,
    hooks,
    targets: [],
    blockParams,
    dispose: () => {
      dense.forEach((v) => v.dispose());
      layers.forEach((l) => l.dispose());
    },
  };
}

/** Sets U, s, V of an SST layer to the SVD of a dense [in, out] matrix and redraws its sample. */
function sstFromDense(l: SSTLinear, w: tf.Variable<tf.Rank.R2>): void {
  const d = svd(w.arraySync());
  tf.tidy(() => {
    l.u.assign(tf.tensor2d(d.U));
    l.s.assign(tf.tensor1d(d.S));
    l.v.assign(tf.tensor2d(d.V));
  });
  l.resample();
}

function trainableOf(l: BlockLayer): number {
  if (l instanceof SLTrainLinear) return l.parameterCount();
  if (l instanceof SSTLinear) return l.trainableParams();
  return (l as LoRALinear).trainableParams();
}

/** The dense model's optimizer for a method (projections only on the block matrices). */
function makeOptimizer(m: CharMethod, lr: number, cfg: CharConfig, targets: string[]): tf.Optimizer {
  if (m.kind === "adam") return new FastAdam(lr);
  if (m.rank === undefined) fail(`methods["${m.name}"].rank`, "is required for GaLore, Fira and Q-GaLore");
  const opts = { rank: m.rank, updateGap: cfg.updateGap, scale: cfg.scale, targets };
  if (m.kind === "qgalore") return new QGaLoreAdam(lr, { ...opts, ...m.qgalore, seed: 17 });
  return m.kind === "galore" ? new GaLoreAdam(lr, opts) : new FiraAdam(lr, { ...opts, residual: m.residual });
}

/** Exact optimizer state of the dense transformer with GaLore at `rank` on the block matrices, Adam elsewhere. */
export function charGaloreState(rank: number): number {
  const p = transformerParams(new Rng(0), CHAR_SHAPE);
  const blocks = new Set(charBlockNames());
  let s = 0;
  for (const [k, v] of Object.entries(p)) {
    const [a, b] = v.shape as [number, number];
    s += blocks.has(k) ? galoreStateFloats(a, b, rank) : 2 * v.size;
    v.dispose();
  }
  return s;
}

function scores(forward: (x: tf.Tensor2D) => tf.Tensor2D, ids: Int32Array, windows: number) {
  const { x, y } = evalWindows(ids, CHAR_SHAPE.context, windows);
  const out = tf.tidy(() => lmScores(forward(x), y));
  x.dispose();
  y.dispose();
  return out;
}

type Split = ReturnType<typeof licenseSplit>;

async function fit(
  m: CharMethod,
  lr: number,
  cfg: CharConfig,
  data: Split,
  evalOn: Int32Array,
  s: number,
  ctx: PaperContext,
  label: string,
): Promise<CharRun> {
  seedAll(s);
  const b = buildCharModel(m, s);
  const hooks = [...b.hooks];
  let groups: ParamGroup[];
  let opt: tf.Optimizer;
  const extra: tf.Optimizer[] = [];
  if (OPTIMIZERS.includes(m.kind)) {
    opt = makeOptimizer(m, lr, cfg, b.targets);
    groups = [{ variables: b.dense, optimizer: opt, lr }];
  } else {
    const layerVars = b.layers.flatMap((l) => l.variables());
    const lopt = m.kind === "relora" ? new ResettableAdam(lr) : new FastAdam(lr);
    const dopt = new FastAdam(lr);
    opt = lopt;
    extra.push(dopt);
    groups = [
      { variables: b.dense, optimizer: dopt, lr },
      { variables: layerVars, optimizer: lopt, lr },
    ];
    if (m.kind === "relora")
      hooks.push(reloraHook(b.layers as LoRALinear[], lopt as ResettableAdam, m.mergeEvery ?? 100, cfg.steps));
  }
  const res = await train(
    { variables: () => groups.flatMap((g) => g.variables), forward: b.forward },
    windowSource(data.train, CHAR_SHAPE.context, cfg.batchSize),
    {
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      seed: s,
      sampler: "stream",
      groups,
      hooks,
      logEvery: cfg.logEvery,
      onProgress: (p) => ctx.onProgress?.({ ...p, label }),
    },
  );
  const ev = scores(b.forward, evalOn, cfg.evalWindows);
  const trained = groups.reduce((a, g) => a + g.variables.reduce((c, v) => c + v.size, 0), 0);
  const projected = OPTIMIZERS.includes(m.kind) && m.kind !== "adam" ? (opt as GaLoreAdam) : null;
  const run: CharRun = {
    method: m.name,
    seed: s,
    lr,
    testLoss: ev.loss,
    testAcc: ev.acc,
    // Adam (FastAdam) keeps m and v for every float it trains; the projected optimizers count their own.
    stateFloats: projected ? projected.stateFloats() : 2 * trained,
    blockParams: b.blockParams,
    refreshes: projected ? projected.refreshCount() : 0,
    curve: res.log.map((r) => ({ step: r.step, loss: r.loss })),
  };
  if (m.kind === "relora") run.merges = (b.layers[0] as LoRALinear).merges;
  if (m.kind === "qgalore") {
    run.stateBytes = (opt as QGaLoreAdam).stateBytes();
    run.weightBytes = (opt as QGaLoreAdam).weightBytes();
  }
  opt.dispose();
  extra.forEach((o) => o.dispose());
  b.dispose();
  return run;
}

/** Selection of each method's learning rate on the validation blocks (first seed), then every method on every seed. */
export async function runChar(cfg: CharConfig, ctx: PaperContext): Promise<CharResult> {
  if (cfg.seeds.length === 0) fail("char.seeds", "must list at least one seed");
  const data = licenseSplit();
  const s0 = cfg.seeds[0];
  const selection: CharResult["selection"] = [];
  for (const m of cfg.methods) {
    const chosen = await selectOnValidation(
      m.grid,
      async (lr) => -(await fit(m, lr, cfg, data, data.val, s0, ctx, `char: select ${m.name} lr=${lr}`)).testLoss,
      { maxExtensions: cfg.maxExtensions },
    );
    selection.push({ method: m.name, ...chosen });
  }
  const runs: CharRun[] = [];
  for (const s of cfg.seeds)
    for (const m of cfg.methods) {
      const lr = selection.find((x) => x.method === m.name)!.best;
      runs.push(await fit(m, lr, cfg, data, data.test, s, ctx, `char: seed ${s} ${m.name}`));
    }
  const probe = transformerParams(new Rng(0), CHAR_SHAPE);
  const blocks = new Set(charBlockNames());
  let params = 0;
  let blockParams = 0;
  for (const [k, v] of Object.entries(probe)) {
    params += v.size;
    if (blocks.has(k)) blockParams += v.size;
    v.dispose();
  }
  return {
    params,
    blockParams,
    trainChars: data.train.length,
    valChars: data.val.length,
    testChars: data.test.length,
    selection,
    runs,
  };
}
