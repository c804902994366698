// LoRA vs full fine-tuning: intruder dimensions (Shuttleworth et al. 2024). Pretrain an
// MLP on Fashion-MNIST (task A; the shared base of src/bases/fashion-mlp.ts, loaded from its
// checkpoint), fine-tune on the images rotated 90° (task B, new head) with full FT and LoRA
// on both hidden matrices; count intruder dimensions of the merged hidden matrices against
// the base, measure forgetting of task A through head A, and try the paper's intervention
// (scale the intruders' singular values down). One seed (the preset's first).
import * as tf from "@tensorflow/tfjs";
import { AdaptedMLP } from "../../adapters/mlp";
import { Dataset } from "../../data/dataset";
import { svd, SVDResult } from "../../linalg/decompose";
import { maxCosinesFromSvd } from "../../metrics/intruders";
import { effectiveRank, relativeWeightChange } from "../../metrics/spectral";
import { initWeight, MLP } from "../../nn/mlp";
import { evaluate, trainClassifier } from "../../train/classifier";
import { seed } from "../../core/random";
import { BASE_CHECKPOINT, BaseSpec, makeNet, makeTasks, obtainBase } from "../../bases/fashion-mlp";
import { PaperConfig, PaperContext } from "../types";

export interface LoraVsFullFtConfig extends PaperConfig {
  hidden: number[];
  pretrainExamples: number;
  pretrainEpochs: number;
  pretrainLr: number;
  finetuneExamples: number;
  finetuneEpochs: number;
  testExamples: number;
  batchSize: number;
  /** Adam learning rate for full fine-tuning (the paper: 1e-4). */
  fullLr: number;
  /** Adam learning rate for every LoRA run (the paper: 1e-3 at r = 1). */
  loraLr: number;
  /** LoRA ranks, each with α = 2r (the paper's rank-stabilising choice). */
  ranks: number[];
  /** The fixed-α variant: rank `fixedAlphaRank` with α = `fixedAlpha`. */
  fixedAlphaRank: number;
  fixedAlpha: number;
  /** Top-k tuned singular vectors examined per matrix (paper: 10). */
  k: number;
  /** ε grid for the intruder curve. */
  epsilons: number[];
  /** ε used for the forgetting-vs-intruders figure and for the scaling intervention. */
  scaleEpsilon: number;
  /** Factors applied to the intruders' singular values in the intervention. */
  scaleLambdas: number[];
  /** Base checkpoint (relative to the project root); null always retrains. */
  checkpoint: string | null;
}

export const base: LoraVsFullFtConfig = {
  seeds: [0],
  hidden: [256, 256],
  pretrainExamples: 10000,
  pretrainEpochs: 5,
  pretrainLr: 1e-3,
  finetuneExamples: 10000,
  finetuneEpochs: 3,
  testExamples: 2000,
  batchSize: 64,
  fullLr: 1e-4,
  loraLr: 1e-3,
  ranks: [1, 8, 64],
  fixedAlphaRank: 64,
  fixedAlpha: 8,
  k: 10,
  epsilons: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  scaleEpsilon: 0.7,
  scaleLambdas: [0, 0.5],
  checkpoint: BASE_CHECKPOINT,
};

interface Method {
  label: string;
  kind: "full" | "lora";
  r?: number;
  alpha?: number;
}

function methods(cfg: LoraVsFullFtConfig): Method[] {
  return [
    { label: "full FT", kind: "full" },
    ...cfg.ranks.map((r): Method => ({ label: `LoRA r=${r} α=${2 * r}`, kind: "lora", r, alpha: 2 * r })),
    {
      label: `LoRA r=${cfg.fixedAlphaRank} α=${cfg.fixedAlpha}`,
      kind: "lora",
      r: cfg.fixedAlphaRank,
      alpha: cfg.fixedAlpha,
    },
  ];
}

export type Row = Record<string, number | string>;

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

export interface LoraVsFullFtResult {
  baseAccA: number;
  /** True when the base came from the checkpoint. */
  cached: boolean;
  curve: Row[];
  results: Row[];
  spectra: Row[];
  deltaSpectra: Row[];
  scaling: Row[];
}

export async function runLoraVsFullFt(cfgIn: LoraVsFullFtConfig, ctx: PaperContext): Promise<LoraVsFullFtResult> {
  const cfg = { ...cfgIn, seed: cfgIn.seeds[0] };
  seed(cfg.seed);
  const on = ctx.onProgress;
  const { trainA, trainB, testA, testB } = makeTasks(cfg);
  const net = makeNet(cfg.hidden);
  const L = net.weights.length;
  const hiddenLayers = Array.from({ length: L - 1 }, (_, l) => l);
  const spec: BaseSpec = {
    hidden: cfg.hidden,
    pretrainExamples: cfg.pretrainExamples,
    pretrainEpochs: cfg.pretrainEpochs,
    pretrainLr: cfg.pretrainLr,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
  };
  try {
    const { base: b0, cached } = await obtainBase(net, trainA, spec, cfg.checkpoint, on);
    // Head B: one seeded init shared by every method.
    seed(cfg.seed + 1);
    const headB = {
      kernel: Array.from({ length: cfg.hidden[cfg.hidden.length - 1] }, () => [] as number[]),
      bias: new Array(10).fill(0),
    };
    const hw = initWeight(cfg.hidden[cfg.hidden.length - 1], 10, "torch");
    headB.kernel.forEach((row, i) => {
      for (let o = 0; o < 10; o++) row.push(hw[i * 10 + o]);
    });
    const headA = { kernel: b0.kernels[L - 1], bias: b0.biases[L - 1] };
    const withHead = (body: number[][][], h: { kernel: number[][]; bias: number[] }) => ({
      kernels: [...body.slice(0, L - 1), h.kernel],
      biases: [...b0.biases.slice(0, L - 1), h.bias],
    });
    const evalWith = (
      body: number[][][],
      bodyBiases: number[][],
      h: { kernel: number[][]; bias: number[] },
      ds: Dataset,
    ) => {
      setWeights(net, [...body.slice(0, L - 1), h.kernel], [...bodyBiases.slice(0, L - 1), h.bias]);
      return evaluate(net, ds).acc;
    };
    const baseAccA = evalWith(b0.kernels, b0.biases, headA, testA);
    const baseSvd = hiddenLayers.map((l) => svd(T(b0.kernels[l])));

    const curve: Row[] = [];
    const results: Row[] = [];
    const spectra: Row[] = [];
    const scaling: Row[] = [];
    const deltaSpectra: Row[] = [];
    hiddenLayers.forEach((l) =>
      baseSvd[l].S.slice(0, 40).forEach((s, i) =>
        spectra.push({ method: "base", layer: `W${l + 1}`, index: i + 1, sigma: s }),
      ),
    );
    const ms = methods(cfg);
    for (const [mi, m] of ms.entries()) {
      const start = withHead(b0.kernels, headB);
      setWeights(net, start.kernels, start.biases);
      seed(cfg.seed + 100 + mi);
      const report = on
        ? (p: { step: number; total: number; values?: Record<string, number> }) =>
            on({
              label: `fine-tune ${m.label} (${mi + 1}/${ms.length})`,
              step: p.step,
              total: p.total,
              values: p.values,
            })
        : undefined;
      let adapted: AdaptedMLP | null = null;
      if (m.kind === "full") {
        await trainClassifier(net, trainB, {
          epochs: cfg.finetuneEpochs,
          batchSize: cfg.batchSize,
          lr: cfg.fullLr,
          seed: cfg.seed + 1,
          onProgress: report,
        });
      } else {
        adapted = new AdaptedMLP(net, {
          method: "lora",
          config: { r: m.r, alpha: m.alpha, seed: cfg.seed + 1000 + mi },
          layers: hiddenLayers,
          trainHead: true,
        });
        await trainClassifier(adapted, trainB, {
          epochs: cfg.finetuneEpochs,
          batchSize: cfg.batchSize,
          lr: cfg.loraLr,
          seed: cfg.seed + 1,
          onProgress: report,
        });
        adapted.merge(); // the net now holds W0 + ΔW
      }
      const tuned = net.weightArrays();
      const tunedBiases = net.biases.map((x) => (x ? Array.from(x.dataSync()) : []));
      adapted?.dispose();
      const tunedHeadB = { kernel: tuned[L - 1], bias: tunedBiases[L - 1] };
      const accB = evalWith(tuned, tunedBiases, tunedHeadB, testB);
      const accA = evalWith(tuned, tunedBiases, headA, testA);
      // Intruders per hidden matrix, in torch layout (output space), summed over matrices.
      const tunedSvd = hiddenLayers.map((l) => svd(T(tuned[l])));
      const cos = hiddenLayers.map((l) => maxCosinesFromSvd(baseSvd[l], tunedSvd[l], cfg.k));
      const count = (eps: number) => cos.reduce((s, c) => s + c.filter((v) => v < eps).length, 0);
      for (const eps of cfg.epsilons) curve.push({ method: m.label, epsilon: eps, intruders: count(eps) });
      hiddenLayers.forEach((l) =>
        tunedSvd[l].S.slice(0, 40).forEach((s, i) =>
          spectra.push({ method: m.label, layer: `W${l + 1}`, index: i + 1, sigma: s }),
        ),
      );
      // ΔW = W_merged − W0 per hidden matrix; values under 1e-4·σ₁ are float32 rounding of a low-rank update.
      const deltaS = hiddenLayers.map(
        (l) =>
          svd(
            tuned[l].map((r, i) => r.map((v, j) => v - b0.kernels[l][i][j])),
            { vectors: false },
          ).S,
      );
      hiddenLayers.forEach((l) =>
        deltaS[l].slice(0, 40).forEach((s, i) => {
          if (s >= 1e-4 * deltaS[l][0])
            deltaSpectra.push({ method: m.label, layer: `ΔW${l + 1}`, index: i + 1, sigma: s });
        }),
      );
      const row: Row = {
        method: m.label,
        accA,
        accB,
        forgetting: baseAccA - accA,
        intrudersAt05: count(0.5),
        intrudersAt06: count(0.6),
        intrudersAt07: count(0.7),
        intrudersAt08: count(0.8),
        intrudersAtScaleEps: count(cfg.scaleEpsilon),
        relChangeW1: relativeWeightChange(b0.kernels[0], tuned[0]),
        effRankDeltaW1: effectiveRank(deltaS[0]),
      };
      results.push(row);
      // Intervention: scale the intruders (at scaleEpsilon) of both hidden matrices by λ.
      const intr = cos.map((c) => c.map((v, j) => (v < cfg.scaleEpsilon ? j : -1)).filter((j) => j >= 0));
      for (const lambda of cfg.scaleLambdas) {
        const body = hiddenLayers.map((l) => scaled(T(tuned[l]), tunedSvd[l], intr[l], lambda));
        scaling.push({
          method: m.label,
          lambda,
          intruders: count(cfg.scaleEpsilon),
          accA: evalWith(body, tunedBiases, headA, testA),
          accB: evalWith(body, tunedBiases, tunedHeadB, testB),
          accAUnscaled: accA,
          accBUnscaled: accB,
        });
      }
    }
    return { baseAccA, cached, curve, results, spectra, deltaSpectra, scaling };
  } finally {
    net.dispose();
  }
}
