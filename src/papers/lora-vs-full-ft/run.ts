// LoRA vs full fine-tuning: intruder dimensions (Shuttleworth et al. 2024). The shared
// Fashion-MNIST MLP base (task A; src/bases/fashion-mlp.ts, read from its checkpoint) is
// fine-tuned on the images rotated 90° (task B, new head) by full FT and by LoRA on both hidden
// matrices. One protocol seed per call (head-B init, adapter init and batch order): each
// method's learning rate is swept (the grid extended at an edge, validation task-B accuracy
// deciding), every swept model lands on the forgetting–accuracy plane, and full FT and LoRA
// are compared at matched validation task-B accuracy. Higher ranks run at the LoRA r=1 learning
// rate scaled by r^(−1/3), the rule of the official script (3e-4 at r = 1, 1.5e-4 at r = 8).
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP } from "../../adapters/mlp";
import { Dataset } from "../../data/dataset";
import { svd, SVDResult } from "../../linalg/decompose";
import { leastForgettingAt, matchedAccuracy } from "../../metrics/forgetting";
import { maxCosinesFromSvd } from "../../metrics/intruders";
import { effectiveRank, relativeWeightChange } from "../../metrics/spectral";
import { initWeight, MLP } from "../../nn/mlp";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import { seed } from "../../core/random";
import { fail } from "../../core/validate";
import { BASE_CHECKPOINT, BaseSpec, makeNet, makeTasks, obtainBase, rotate90 } from "../../bases/fashion-mlp";
import { PaperConfig, PaperContext } from "../types";
import { selectOnValidation, Selection, validationSplit } from "../protocol";

export interface LoraVsFullFtConfig extends PaperConfig {
  /** Seed of the base and of the task data (the checkpoint was made with it); protocol seeds vary the rest. */
  baseSeed: number;
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  finetuneExamples: number;
  finetuneEpochs: number;
  testExamples: number;
  /** Fraction of the task-B training images held out for validation (their unrotated copies validate task A). */
  valFraction: number;
  batchSize: number;
  /** Adam learning rate of head B, the same for every method. */
  headLr: number;
  /** Learning-rate grids swept for full FT and for LoRA r = ranks[0] (extended at an edge). */
  fullLrs: number[];
  loraLrs: number[];
  /** LoRA ranks, each with α = 2r; ranks after the first run at lr(r₀)·(r/r₀)^(−1/3). */
  ranks: number[];
  /** The fixed-α variant: rank `fixedAlphaRank` with α = `fixedAlpha`, at that rank's scaled learning rate. */
  fixedAlphaRank: number;
  fixedAlpha: number;
  /** Top-k tuned singular vectors examined per matrix (paper: 10). */
  k: number;
  /** ε grid for the intruder curve. */
  epsilons: number[];
  /** ε of the intruder comparisons and of the scaling intervention. */
  scaleEpsilon: number;
  /** Factors applied to the intruders' singular values in the intervention. */
  scaleLambdas: number[];
  /** Base checkpoint (relative to the project root); null always retrains. */
  checkpoint: string | null;
}

export const base: LoraVsFullFtConfig = {
  seeds: [0, 1, 2],
  baseSeed: 0,
  hidden: [256, 256],
  pretrainExamples: 10000,
  pretrainEpochs: 5,
  pretrainLr: 1e-3,
  finetuneExamples: 5000,
  finetuneEpochs: 2,
  testExamples: 2000,
  valFraction: 0.1,
  batchSize: 64,
  headLr: 1e-3,
  fullLrs: [3e-5, 1e-4, 3e-4],
  loraLrs: [3e-4, 1e-3, 3e-3],
  ranks: [1, 8, 64],
  fixedAlphaRank: 64,
  fixedAlpha: 8,
  k: 10,
  epsilons: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  scaleEpsilon: 0.7,
  scaleLambdas: [0, 0.5],
  checkpoint: BASE_CHECKPOINT,
};

export type Row = Record<string, number | string>;

/** One fine-tuned model: its method, learning rate, validation and test accuracies, intruders and update size. */
export interface FtPoint {
  method: string;
  /** "full" or "lora1" for the swept methods; "rank" for the higher ranks and the fixed-α variant. */
  group: "full" | "lora1" | "rank";
  lr: number;
  valAccB: number;
  valForgetting: number;
  accA: number;
  accB: number;
  forgetting: number;
  /** Intruders at each ε of cfg.epsilons (summed over both hidden matrices). */
  intruders: number[];
  relChangeW1: number;
  effRankDeltaW1: number;
}

/** Everything one protocol seed measured (plain JSON). */
export interface LoraSeedRun {
  seed: number;
  baseAccA: number;
  baseValAccA: number;
  cached: boolean;
  points: FtPoint[];
  selections: { full: Selection; lora1: Selection };
  /** Highest validation task-B accuracy both swept methods reach, and the point each method matches it with. */
  matched: { target: number; full: number; lora1: number };
  /** Index in points of LoRA r₀ at its validation-best learning rate (the rank trend's reference). */
  lora1Best: number;
  /** Spectra of the base and of the matched / rank models (top 40 per hidden matrix). */
  spectra: Row[];
  deltaSpectra: Row[];
  scaling: Row[];
}

export interface LoraVsFullFtResult {
  runs: LoraSeedRun[];
}

/** Sets the net's weights: hidden kernels/biases, and the given head. */
function setWeights(net: MLP, kernels: number[][][], biases: number[][]): void {
  tf.tidy(() => {
    kernels.forEach((k, l) => net.weights[l].assign(tf.tensor2d(k)));
    biases.forEach((b, l) => net.biases[l]?.assign(tf.tensor1d(b)));
  });
}

/** Torch-layout ([out, in]) copy of a kernel [in, out]. */
const T = (k: number[][]): number[][] => k[0].map((_, j) => k.map((r) => r[j]));

/** Tuned kernel [in, out] with the intruders' singular values scaled by λ (SVDs in torch layout). */
function scaled(tunedTorch: number[][], st: SVDResult, intruders: number[], lambda: number): number[][] {
  const w = tunedTorch.map((r) => [...r]);
  for (const j of intruders) {
    const f = (lambda - 1) * st.S[j];
    for (let r = 0; r < w.length; r++) for (let c = 0; c < w[0].length; c++) w[r][c] += f * st.U[r][j] * st.V[c][j];
  }
  return T(w);
}

/** Learning rate of rank r from the r₀ rate: the official script's r^(−1/3) rule. */
export function rankScaledLr(lr0: number, r0: number, r: number): number {
  return lr0 * Math.pow(r / r0, -1 / 3);
}

interface Head {
  kernel: number[][];
  bias: number[];
}

export async function runLoraSeed(cfg: LoraVsFullFtConfig, s: number, ctx: PaperContext): Promise<LoraSeedRun> {
  if (!cfg.epsilons.includes(cfg.scaleEpsilon) || !cfg.epsilons.includes(0.5))
    fail("config.epsilons", `must include 0.5 and scaleEpsilon (${cfg.scaleEpsilon})`);
  const on = ctx.onProgress;
  const tasks = makeTasks({ ...cfg, seed: cfg.baseSeed });
  // Validation: held-out task-B training images; their unrotated copies (never seen by the base) validate task A.
  const { train: trainB, val: valB } = validationSplit(tasks.trainB, cfg.valFraction, cfg.baseSeed + 7);
  const valA = rotate90(rotate90(rotate90(valB, "fashion-A:val")));
  const net = makeNet(cfg.hidden);
  const L = net.weights.length;
  const hiddenLayers = Array.from({ length: L - 1 }, (_, l) => l);
  const spec: BaseSpec = {
    hidden: cfg.hidden,
    pretrainExamples: cfg.pretrainExamples,
    pretrainEpochs: cfg.pretrainEpochs,
    pretrainLr: cfg.pretrainLr,
    batchSize: cfg.batchSize,
    seed: cfg.baseSeed,
  };
  try {
    const { base: b0, cached } = await obtainBase(net, tasks.trainA, spec, cfg.checkpoint, on);
    // Head B: one init per protocol seed, shared by every method of that seed.
    seed(s + 1);
    const width = cfg.hidden[cfg.hidden.length - 1];
    const hw = initWeight(width, 10, "torch");
    const headB: Head = {
      kernel: Array.from({ length: width }, (_, i) => Array.from({ length: 10 }, (_, o) => hw[i * 10 + o])),
      bias: new Array(10).fill(0),
    };
    const headA: Head = { kernel: b0.kernels[L - 1], bias: b0.biases[L - 1] };
    const evalWith = (body: number[][][], bodyBiases: number[][], h: Head, ds: Dataset) => {
      setWeights(net, [...body.slice(0, L - 1), h.kernel], [...bodyBiases.slice(0, L - 1), h.bias]);
      return evaluate(net, ds).acc;
    };
    const baseAccA = evalWith(b0.kernels, b0.biases, headA, tasks.testA);
    const baseValAccA = evalWith(b0.kernels, b0.biases, headA, valA);
    const baseSvd = hiddenLayers.map((l) => svd(T(b0.kernels[l])));
    const spectra: Row[] = [];
    const deltaSpectra: Row[] = [];
    const scaling: Row[] = [];
    hiddenLayers.forEach((l) =>
      baseSvd[l].S.slice(0, 40).forEach((v, i) =>
        spectra.push({ method: "base", layer: `W${l + 1}`, index: i + 1, sigma: v }),
      ),
    );
    const points: FtPoint[] = [];
    const detail = new Map<FtPoint, () => void>();
    let runs = 0;

    /** Fine-tunes from the base with head B; records the point; keeps a closure that adds its spectra and intervention. */
    const fineTune = async (label: string, group: FtPoint["group"], lr: number, r?: number, alpha?: number) => {
      setWeights(net, [...b0.kernels.slice(0, L - 1), headB.kernel], [...b0.biases.slice(0, L - 1), headB.bias]);
      const head: tf.Variable[] = [net.weights[L - 1], ...(net.biases[L - 1] ? [net.biases[L - 1]!] : [])];
      let adapted: AdaptedMLP | null = null;
      const body = r
        ? (adapted = new AdaptedMLP(net, {
            method: "lora",
            config: { r, alpha, seed: s + 1000 + r },
            layers: hiddenLayers,
            trainHead: true,
          }))
            .variables()
            .filter((v) => !head.includes(v))
        : hiddenLayers.flatMap((l): tf.Variable[] => [net.weights[l], ...(net.biases[l] ? [net.biases[l]!] : [])]);
      const model = adapted ?? net;
      runs++;
      await train(model, trainB, {
        epochs: cfg.finetuneEpochs,
        batchSize: cfg.batchSize,
        seed: s + 1,
        groups: [
          { variables: body, lr },
          { variables: head, lr: cfg.headLr },
        ],
        hooks: adapted ? adapted.trainHooks() : [],
        onEpoch: (epoch) =>
          on?.({
            label: `fine-tune ${label}, lr ${lr.toPrecision(2)} (run ${runs})`,
            step: epoch,
            total: cfg.finetuneEpochs,
          }),
      });
      adapted?.merge(); // the net now holds W0 + ΔW
      adapted?.dispose();
      const tuned = net.weightArrays();
      const tunedBiases = net.biases.map((x) => (x ? Array.from(x.dataSync()) : []));
      const tunedHeadB: Head = { kernel: tuned[L - 1], bias: tunedBiases[L - 1] };
      const valAccB = evalWith(tuned, tunedBiases, tunedHeadB, valB);
      const valAccA = evalWith(tuned, tunedBiases, headA, valA);
      const accB = evalWith(tuned, tunedBiases, tunedHeadB, tasks.testB);
      const accA = evalWith(tuned, tunedBiases, headA, tasks.testA);
      // Intruders per hidden matrix, in torch layout (output space), summed over matrices.
      const tunedSvd = hiddenLayers.map((l) => svd(T(tuned[l])));
      const cos = hiddenLayers.map((l) => maxCosinesFromSvd(baseSvd[l], tunedSvd[l], cfg.k));
      const count = (eps: number) => cos.reduce((sum, c) => sum + c.filter((v) => v < eps).length, 0);
      const deltaS = hiddenLayers.map(
        (l) =>
          svd(
            tuned[l].map((row, i) => row.map((v, j) => v - b0.kernels[l][i][j])),
            { vectors: false },
          ).S,
      );
      const p: FtPoint = {
        method: label,
        group,
        lr,
        valAccB,
        valForgetting: baseValAccA - valAccA,
        accA,
        accB,
        forgetting: baseAccA - accA,
        intruders: cfg.epsilons.map(count),
        relChangeW1: relativeWeightChange(b0.kernels[0], tuned[0]),
        effRankDeltaW1: effectiveRank(deltaS[0]),
      };
      points.push(p);
      detail.set(p, () => {
        hiddenLayers.forEach((l) => {
          tunedSvd[l].S.slice(0, 40).forEach((v, i) =>
            spectra.push({ method: label, layer: `W${l + 1}`, index: i + 1, sigma: v }),
          );
          // Values under 1e-4·σ₁ are float32 rounding of a low-rank update.
          deltaS[l].slice(0, 40).forEach((v, i) => {
            if (v >= 1e-4 * deltaS[l][0])
              deltaSpectra.push({ method: label, layer: `ΔW${l + 1}`, index: i + 1, sigma: v });
          });
        });
        // Intervention: scale the intruders (at scaleEpsilon) of both hidden matrices by λ.
        const intr = cos.map((c) => c.map((v, j) => (v < cfg.scaleEpsilon ? j : -1)).filter((j) => j >= 0));
        for (const lambda of cfg.scaleLambdas) {
          const bodyK = hiddenLayers.map((l) => scaled(T(tuned[l]), tunedSvd[l], intr[l], lambda));
          scaling.push({
            method: label,
            lambda,
            intruders: count(cfg.scaleEpsilon),
            accA: evalWith(bodyK, tunedBiases, headA, tasks.testA),
            accB: evalWith(bodyK, tunedBiases, tunedHeadB, tasks.testB),
            accAUnscaled: accA,
            accBUnscaled: accB,
          });
        }
      });
      return p;
    };

    const r0 = cfg.ranks[0];
    const loraLabel = (r: number, alpha: number) => `LoRA r=${r} α=${alpha}`;
    const full = await selectOnValidation(cfg.fullLrs, async (lr) => (await fineTune("full FT", "full", lr)).valAccB);
    const lora1 = await selectOnValidation(
      cfg.loraLrs,
      async (lr) => (await fineTune(loraLabel(r0, 2 * r0), "lora1", lr, r0, 2 * r0)).valAccB,
    );
    // Matched comparison on validation: the highest task-B accuracy both reach, least forgetting there.
    const pick = (g: FtPoint["group"]) =>
      points.filter((p) => p.group === g).map((p) => ({ acc: p.valAccB, forgetting: p.valForgetting, p }));
    const target = matchedAccuracy([pick("full"), pick("lora1")]);
    const fullPick = leastForgettingAt(pick("full"), target)!.p;
    const loraPick = leastForgettingAt(pick("lora1"), target)!.p;
    const lr1Best = points.find((p) => p.group === "lora1" && p.lr === lora1.best)!;
    for (const r of cfg.ranks.slice(1))
      await fineTune(loraLabel(r, 2 * r), "rank", rankScaledLr(lora1.best, r0, r), r, 2 * r);
    await fineTune(
      loraLabel(cfg.fixedAlphaRank, cfg.fixedAlpha),
      "rank",
      rankScaledLr(lora1.best, r0, cfg.fixedAlphaRank),
      cfg.fixedAlphaRank,
      cfg.fixedAlpha,
    );
    for (const p of new Set([fullPick, loraPick, ...points.filter((x) => x.group === "rank")])) detail.get(p)!();
    return {
      seed: s,
      baseAccA,
      baseValAccA,
      cached,
      points,
      selections: { full, lora1 },
      matched: { target, full: points.indexOf(fullPick), lora1: points.indexOf(loraPick) },
      lora1Best: points.indexOf(lr1Best),
      spectra,
      deltaSpectra,
      scaling,
    };
  } finally {
    net.dispose();
  }
}
