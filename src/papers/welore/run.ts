// WeLore at toy scale: per seed, train a deep MNIST MLP while logging each weight's gradient
// stable rank, then cut ranks with one global normalised-spectrum threshold (bisected to a
// target reduction) and compare with a uniform cut of the same factored budget.
import * as tf from "@tensorflow/tfjs";
import { truncateRank } from "../../compress";
import { seed } from "../../core/random";
import { sample, subset, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { stableRank } from "../../metrics/spectral";
import { spearman } from "../../metrics/stats";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { Classifier, evaluate, trainClassifier } from "../../train/classifier";
import { PaperConfig, PaperContext } from "../types";
import { runWeloreChar, WeloreCharConfig, WeloreCharRun } from "./char";
import { planCuts } from "./plan";

export interface WeloreConfig extends PaperConfig {
  examples: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Fraction of the factored parameters Σ rank·(m+n) to remove. */
  target: number;
  /** LRC when pruned/rank > minRatio. */
  minRatio: number;
  /** Examples in the fixed batch whose gradient is logged at every epoch end. */
  gradBatch: number;
  /** The same cuts on the pretrained char transformer's block matrices. */
  char: WeloreCharConfig;
}

export interface WeloreLayerResult {
  layer: string;
  shape: [number, number];
  rank: number;
  weloreKeep: number;
  uniformKeep: number;
  lrc: boolean;
  /** Gradient stable rank ‖G‖²_F/‖G‖²₂ averaged over the second half of training's epoch ends. */
  gradStableRank: number;
  /** Normalised singular values of the trained weight (descending). */
  normSpectrum: number[];
}

export interface WeloreSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  /** The target reduction the threshold was bisected for. */
  target: number;
  tau: number;
  reduction: number;
  uniformReduction: number;
  floatLoss: number;
  floatAcc: number;
  weloreLoss: number;
  weloreAcc: number;
  uniformLoss: number;
  uniformAcc: number;
  /** Spearman(gradient stable rank, pruned fraction) over the layers. */
  spearmanGradSR: number;
  layers: WeloreLayerResult[];
  char: WeloreCharRun;
}

function fixedModel(Ws: number[][][], bs: number[][]): Classifier & { free(): void } {
  const wt = Ws.map((w) => tf.tensor2d(w));
  const bt = bs.map((b) => tf.tensor1d(b));
  return {
    forward(x: tf.Tensor2D): tf.Tensor2D {
      let h = x;
      for (let l = 0; l < wt.length; l++) {
        h = tf.add(tf.matMul(h, wt[l]), bt[l]) as tf.Tensor2D;
        if (l + 1 < wt.length) h = tf.relu(h);
      }
      return h;
    },
    variables: () => [],
    free: () => [...wt, ...bt].forEach((t) => t.dispose()),
  };
}

/** One seed: train, log gradient stable ranks, plan WeLore and uniform cuts, evaluate both. */
export async function runWeloreSeed(cfg: WeloreConfig, s: number, ctx: PaperContext): Promise<WeloreSeedRun> {
  seed(s);
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train, test } = trainTestSplit(data, { testFraction: 0.25, seed: s });
  const model = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const probe = subset(
    train,
    Array.from({ length: Math.min(cfg.gradBatch, train.n) }, (_, i) => i),
  );
  const srLog: number[][] = model.weights.map(() => []);
  await trainClassifier(model, train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    seed: s,
    onProgress: (p) => {
      ctx.onProgress?.({ ...p, label: `seed ${s}: train` });
      // Gradient of the mean loss on a fixed batch, after each epoch in the second half.
      if (p.step <= cfg.epochs / 2) return;
      const grads = tf.tidy(() => {
        const x = tf.tensor2d(probe.x, [probe.n, probe.dim]);
        const y = tf.tensor1d(probe.y, "int32");
        const { grads: g } = tf.variableGrads(() => crossEntropy(model.forward(x), y), model.weights);
        return model.weights.map((w) => g[w.name].arraySync() as number[][]);
      });
      grads.forEach((G, l) => srLog[l].push(stableRank(G)));
    },
  });
  const Ws = model.weightArrays();
  const bs = model.biases.map((b) => Array.from(b!.dataSync()));
  model.dispose();

  const { specs, plan, uniform, uniformReduction } = planCuts(Ws, cfg);

  const measure = (Q: number[][][]) => {
    const m = fixedModel(Q, bs);
    const r = evaluate(m, test);
    m.free();
    return r;
  };
  const base = measure(Ws);
  const wel = measure(Ws.map((W, l) => truncateRank(W, plan.layers[l].keep)));
  const uni = measure(Ws.map((W, l) => truncateRank(W, uniform[l])));
  const gradSR = srLog.map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const prunedFrac = plan.layers.map((l) => l.pruned / l.rank);
  ctx.onProgress?.({ label: `seed ${s}: char transformer cuts`, step: 0, total: 1 });
  const char = runWeloreChar(cfg.char, s);
  return {
    char,
    seed: s,
    trainExamples: train.n,
    testExamples: test.n,
    target: cfg.target,
    tau: plan.tau,
    reduction: plan.reduction,
    uniformReduction,
    floatLoss: base.loss,
    floatAcc: base.acc,
    weloreLoss: wel.loss,
    weloreAcc: wel.acc,
    uniformLoss: uni.loss,
    uniformAcc: uni.acc,
    spearmanGradSR: spearman(gradSR, prunedFrac),
    layers: specs.map((sp, l) => ({
      layer: `W${l}`,
      shape: sp.shape,
      rank: sp.spectrum.length,
      weloreKeep: plan.layers[l].keep,
      uniformKeep: uniform[l],
      lrc: plan.layers[l].lrc,
      gradStableRank: gradSR[l],
      normSpectrum: sp.spectrum.map(
        (v) => (v - sp.spectrum[sp.spectrum.length - 1]) / (sp.spectrum[0] - sp.spectrum[sp.spectrum.length - 1]),
      ),
    })),
  };
}
