// One fine-tuning run of the shared adapter benchmark (adapters-compare): a pretrained
// base, a new task-B head, one adapter method (or full FT) on the hidden matrices, Adam
// with linear warmup then cosine decay, and the measurements every method gets: test
// loss/accuracy curves on task B, task-A accuracy through the frozen head A (forgetting),
// init time, and ΔW spectra and intruder counts per adapted matrix.
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP, CalibrationBatch } from "../../adapters/mlp";
import { EvaAdapter, evaPca, evaRankAllocation } from "../../adapters/eva";
import { DenseAdapter } from "../../adapters/types";
import { Dataset } from "../../data/dataset";
import { svd, SVDResult } from "../../linalg/decompose";
import { maxCosinesFromSvd } from "../../metrics/intruders";
import { effectiveRank } from "../../metrics/spectral";
import { MLP } from "../../nn/mlp";
import { crossEntropy } from "../../nn/losses";
import { evaluate } from "../../train/classifier";
import { FastAdam } from "../../optim/fast-adam";
import { Rng } from "../../core/random";

/** One method setting of the benchmark ("full" = full fine-tuning). */
export interface VariantSpec {
  /** Label, e.g. "LoRA r=4" (unique). */
  id: string;
  /** Registered adapter name, or "full". */
  method: string;
  /** Parameter-budget tier: "mid" ≈ LoRA r=4, "tiny" ≈ a few hundred, "ref" = full FT, "ablation" = a method variant outside the comparison. */
  tier: "mid" | "tiny" | "ref" | "ablation";
  /** Adapter config (without seed); EVA's r is the average rank before redistribution. */
  config: Record<string, unknown>;
  /** LR family name (one fixed learning rate per family). */
  family: string;
}

export interface RunSetup {
  net: MLP;
  /** Base hidden kernels/biases and head A (last layer) as arrays, head B init. */
  baseKernels: number[][][];
  baseBiases: number[][];
  headB: { kernel: number[][]; bias: number[] };
  baseSvd: SVDResult[];
  trainB: Dataset;
  testA: Dataset;
  testB: Dataset;
  calibration: CalibrationBatch[];
}

export interface TrainSettings {
  steps: number;
  batchSize: number;
  warmup: number;
  lr: number;
  headLr: number;
  evalSteps: number[];
  k: number;
  epsilons: number[];
  spectrumTop: number;
  /** EVA's ρ (rank cap factor). */
  evaRho: number;
}

export interface CurvePoint { step: number; trainLoss: number; testLossB: number; testAccB: number; testAccA: number }
export interface LayerStats { layer: string; sigma: number[]; frob: number; stableRank: number; effRank: number; intruders: Record<string, number> }
export interface RunRecord {
  id: string; method: string; tier: string; family: string; seed: number; lr: number;
  params: number; initMs: number; trainMs: number;
  curve: CurvePoint[];
  accA: number; accB: number; lossB: number;
  layers: LayerStats[];
  /** Extra per-method diagnostics (SORSA orthogonality error, EVA ranks, ...). */
  extra: Record<string, number | string>;
}

/** lr at 1-based step t: linear warmup over `warmup` steps, then cosine to 0 at `steps`. */
export function lrAt(t: number, lr: number, warmup: number, steps: number): number {
  if (t <= warmup) return (lr * t) / Math.max(1, warmup);
  const p = (t - warmup) / Math.max(1, steps - warmup);
  return 0.5 * lr * (1 + Math.cos(Math.PI * Math.min(1, p)));
}

function setWeights(net: MLP, kernels: number[][][], biases: number[][]): void {
  tf.tidy(() => {
    kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
    biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
  });
}

const T = (k: number[][]): number[][] => k[0].map((_, j) => k.map((r) => r[j]));

/** Replaces a uniform-rank EVA model's adapters by EVA's redistributed ranks (r_l, α_l = α·r_l/r). */
function evaRedistribute(model: AdaptedMLP, layers: number[], calib: CalibrationBatch[], cfg: Record<string, unknown>, rho: number): Record<string, number | string> {
  const net = model.mlp;
  const inputs: tf.Tensor2D[][] = layers.map(() => []);
  for (const b of calib) {
    tf.tidy(() => {
      let h: tf.Tensor2D = b.x;
      for (let l = 0; l <= Math.max(...layers); l++) {
        const k = layers.indexOf(l);
        if (k >= 0) inputs[k].push(tf.keep(h.clone()));
        h = tf.relu(tf.add(tf.matMul(h, net.weights[l]), net.biases[l] ?? 0)) as tf.Tensor2D;
      }
    });
  }
  const r = cfg.r as number;
  const alpha = (cfg.alpha as number | undefined) ?? r;
  const cap = Math.round(rho * r);
  const pcas = layers.map((l, k) => evaPca(inputs[k], Math.min(cap, net.weights[l].shape[0], net.weights[l].shape[1]), { tau: 0.99 }));
  inputs.flat().forEach((t) => t.dispose());
  const alloc = evaRankAllocation(pcas.map((p) => p.explainedVarianceRatio), { r, rho, alpha });
  layers.forEach((l, k) => {
    model.adapters[l]?.dispose();
    const rl = alloc.ranks[k];
    if (rl === 0) { model.adapters[l] = null; return; }
    const ad = new EvaAdapter(net.weights[l], { ...(cfg as { r: number }), r: rl, alpha: alloc.alphas[k] });
    ad.initFromPca(pcas[k]);
    model.adapters[l] = ad;
  });
  const extra: Record<string, number | string> = { evaRanks: alloc.ranks.join("/"), evaBatchesUsed: pcas.map((p) => p.batchesUsed).join("/") };
  // Input variance the initial A captures (per layer): EVA's claim vs LoRA's random A.
  pcas.forEach((p, k) => { extra[`evaExplainedW${layers[k] + 1}`] = p.explainedVarianceRatio.slice(0, alloc.ranks[k]).reduce((s, v) => s + v, 0); });
  return extra;
}

/** Fraction of the calibration inputs' (centred) variance captured by the column space of A [in, r]. */
export function capturedVariance(inputs: number[][], A: number[][]): number {
  const n = inputs.length;
  const d = inputs[0].length;
  const mean = new Array<number>(d).fill(0);
  for (const x of inputs) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const q = svd(A).U; // orthonormal basis of span(A)
  let total = 0;
  let kept = 0;
  for (const x of inputs) {
    const c = x.map((v, j) => v - mean[j]);
    total += c.reduce((s, v) => s + v * v, 0);
    for (let j = 0; j < q[0].length; j++) { const p = c.reduce((s, v, i) => s + v * q[i][j], 0); kept += p * p; }
  }
  return total > 0 ? kept / total : 0;
}

/** Trains one variant with one seed; returns its record. */
export async function runVariant(setup: RunSetup, v: VariantSpec, seedValue: number, s: TrainSettings, onStep?: (step: number) => void): Promise<RunRecord> {
  const { net } = setup;
  const L = net.weights.length;
  const hidden = Array.from({ length: L - 1 }, (_, l) => l);
  setWeights(net, [...setup.baseKernels.slice(0, L - 1), setup.headB.kernel], [...setup.baseBiases.slice(0, L - 1), setup.headB.bias]);
  const extra: Record<string, number | string> = {};
  const t0 = Date.now();
  let model: AdaptedMLP | null = null;
  let adapterVars: tf.Variable[];
  const head = [net.weights[L - 1], ...(net.biases[L - 1] ? [net.biases[L - 1] as tf.Variable] : [])];
  if (v.method === "full") {
    adapterVars = hidden.flatMap((l) => [net.weights[l], ...(net.biases[l] ? [net.biases[l] as tf.Variable] : [])]);
  } else {
    const cfg: Record<string, unknown> = { ...v.config };
    if (v.method === "lora-sb" && cfg.eta1 === undefined) cfg.eta1 = s.lr / Math.max(1, s.warmup); // lr at warmup step 1
    if (["lora", "rslora", "pissa", "lora-ga", "eva", "dora", "lora-xs"].includes(v.method)) cfg.seed = seedValue * 7919 + 17;
    if (v.method === "sorsa" && cfg.lr === undefined) cfg.lr = s.lr;
    model = new AdaptedMLP(net, { method: v.method, config: cfg, layers: hidden, trainHead: true });
    if (v.method === "eva") Object.assign(extra, evaRedistribute(model, hidden, setup.calibration, cfg, s.evaRho));
    else if (model.adapters.some((a) => a?.init)) await model.calibrate(setup.calibration);
    adapterVars = model.adapters.flatMap((a) => (a ? a.trainableVariables() : []));
    // LoRA's and EVA's A vs the calibration inputs of the first layer (EVA's claim: more input variance).
    const a0 = model.adapters[0] as (DenseAdapter & { A?: tf.Variable }) | null;
    if (a0 && (v.method === "lora" || v.method === "eva") && a0.A) {
      const xs = setup.calibration.flatMap((b) => b.x.arraySync());
      extra.capturedVarianceW1 = capturedVariance(xs, a0.A.arraySync() as number[][]);
    }
  }
  const initMs = Date.now() - t0;
  const params = model ? model.adapters.reduce((acc, a) => acc + (a ? a.parameterCount() : 0), 0) : adapterVars.reduce((acc, x) => acc + x.size, 0);
  const forward = (x: tf.Tensor2D) => (model ? model.forward(x) : net.forward(x));
  const opt = new FastAdam(s.lr);
  const headOpt = new FastAdam(s.headLr);
  const setLr = (o: FastAdam, lr: number) => { (o as unknown as { learningRate: number }).learningRate = lr; }; // schedule: FastAdam reads learningRate at each step
  const regs = model ? model.adapters.filter((a): a is DenseAdapter => !!a && !!a.regLoss) : [];
  const rng = new Rng(seedValue * 1013 + 5);
  const { trainB } = setup;
  const xAll = tf.tensor2d(trainB.x, [trainB.n, trainB.dim]);
  const yAll = tf.tensor1d(trainB.y, "int32");
  const curve: CurvePoint[] = [];
  const evalSet = new Set(s.evalSteps);
  let pending: tf.Scalar[] = [];
  let perm = rng.permutation(trainB.n);
  let pos = 0;
  const headNames = new Set(head.map((h) => h.name));
  const evalNow = (step: number) => {
    const losses = pending.length ? Array.from(tf.stack(pending).dataSync()) : [NaN];
    pending.forEach((p) => p.dispose());
    pending = [];
    const b = evaluate({ forward, variables: () => [] }, setup.testB);
    const saved = head.map((h) => h.clone());
    tf.tidy(() => { net.weights[L - 1].assign(tf.tensor2d(setup.baseKernels[L - 1])); net.biases[L - 1]?.assign(tf.tensor1d(setup.baseBiases[L - 1])); });
    const a = evaluate({ forward, variables: () => [] }, setup.testA);
    head.forEach((h, i) => h.assign(saved[i]));
    saved.forEach((t) => t.dispose());
    curve.push({ step, trainLoss: losses.reduce((x, y) => x + y, 0) / losses.length, testLossB: b.loss, testAccB: b.acc, testAccA: a.acc });
  };
  const t1 = Date.now();
  try {
    if (evalSet.has(0)) evalNow(0);
    for (let step = 1; step <= s.steps; step++) {
      if (pos + s.batchSize > trainB.n) { perm = rng.permutation(trainB.n); pos = 0; }
      const idx = perm.slice(pos, pos + s.batchSize);
      pos += s.batchSize;
      const lr = lrAt(step, 1, s.warmup, s.steps);
      setLr(opt, s.lr * lr);
      setLr(headOpt, s.headLr * lr);
      const loss = tf.tidy(() => {
        const ids = tf.tensor1d(idx, "int32");
        const xb = tf.gather(xAll, ids) as tf.Tensor2D;
        const yb = tf.gather(yAll, ids) as tf.Tensor1D;
        const { value, grads } = tf.variableGrads(() => {
          const ce = crossEntropy(forward(xb), yb);
          if (!regs.length) return ce;
          // Regularisers averaged over the adapters that have one (SORSA: "averaged over adapters").
          return tf.add(ce, tf.div(tf.addN(regs.map((a) => a.regLoss!())), regs.length)) as tf.Scalar;
        }, [...adapterVars, ...head]);
        let g: Record<string, tf.Tensor> = grads;
        for (const a of model ? model.adapters : []) {
          if (!a?.transformGrads) continue;
          const own: Record<string, tf.Tensor> = {};
          for (const x of a.trainableVariables()) own[x.name] = g[x.name];
          g = { ...g, ...a.transformGrads(own) };
        }
        const gAd: tf.NamedTensorMap = {};
        const gHead: tf.NamedTensorMap = {};
        for (const [k, t] of Object.entries(g)) (headNames.has(k) ? gHead : gAd)[k] = t;
        opt.applyGradients(gAd);
        headOpt.applyGradients(gHead);
        return value;
      });
      for (const a of model ? model.adapters : []) a?.postStep?.(step);
      pending.push(loss);
      if (evalSet.has(step)) evalNow(step);
      onStep?.(step);
    }
  } finally {
    xAll.dispose();
    yAll.dispose();
    pending.forEach((p) => p.dispose());
    opt.dispose();
    headOpt.dispose();
  }
  const trainMs = Date.now() - t1;
  // SORSA: how far its singular frame drifted from orthonormal (unweighted L_o, mean over adapters).
  const ortho = model ? model.adapters.filter((a) => a && (a as unknown as { orthoLoss?: unknown }).orthoLoss) : [];
  if (ortho.length) extra.orthoLoss = ortho.reduce((acc, a) => acc + (a as unknown as { orthoLoss(): tf.Scalar }).orthoLoss().arraySync(), 0) / ortho.length;
  model?.merge();
  const tuned = net.weightArrays();
  model?.dispose();
  const finalB = curve.length && curve[curve.length - 1].step === s.steps ? curve[curve.length - 1] : null;
  const bEval = finalB ?? (() => { const e = evaluate(net, setup.testB); return { testLossB: e.loss, testAccB: e.acc }; })();
  tf.tidy(() => { net.weights[L - 1].assign(tf.tensor2d(setup.baseKernels[L - 1])); net.biases[L - 1]?.assign(tf.tensor1d(setup.baseBiases[L - 1])); });
  const accA = evaluate(net, setup.testA).acc;
  const layers: LayerStats[] = hidden.map((l) => {
    const d = tuned[l].map((row, i) => row.map((x, j) => x - setup.baseKernels[l][i][j]));
    const S = svd(d, { vectors: false }).S;
    const frob2 = S.reduce((acc, x) => acc + x * x, 0);
    const cos = maxCosinesFromSvd(setup.baseSvd[l], svd(T(tuned[l])), s.k);
    const intruders: Record<string, number> = {};
    for (const e of s.epsilons) intruders[String(e)] = cos.filter((c) => c < e).length;
    return { layer: `W${l + 1}`, sigma: S.slice(0, s.spectrumTop), frob: Math.sqrt(frob2), stableRank: S[0] > 0 ? frob2 / (S[0] * S[0]) : 0, effRank: S[0] > 0 ? effectiveRank(S) : 0, intruders };
  });
  return {
    id: v.id, method: v.method, tier: v.tier, family: v.family, seed: seedValue, lr: s.lr, params, initMs, trainMs, curve,
    accA, accB: bEval.testAccB, lossB: bEval.testLossB, layers, extra,
  };
}
