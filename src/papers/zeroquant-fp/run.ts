// ZeroQuant-FP at toy scale: one MLP trained per seed on MNIST digits, then its weights (and,
// separately, its layer inputs) snapped to simulated INT8/FP8/INT4/FP4 grids, with and without
// LoRC. Everything is post-training: no hyperparameter is tuned, so no validation split is used.
import * as tf from "@tensorflow/tfjs";
import { formatMax, lorc, quantizeMatrix, quantizeValue, QuantFormatName, ScaleMode } from "../../compress";
import { seed } from "../../core/random";
import { sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { Classifier, evaluate, trainClassifier } from "../../train/classifier";
import { PaperConfig, PaperContext } from "../types";
import { runZeroQuantChar, ZeroQuantCharConfig, ZeroQuantCharRun } from "./char";

export interface ZeroQuantConfig extends PaperConfig {
  examples: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Inputs per scale group (per output unit). */
  groupSize: number;
  /** LoRC rank k. */
  lorcRank: number;
  weightFormats: QuantFormatName[];
  scaleModes: ScaleMode[];
  actFormats: QuantFormatName[];
  /** The weight formats on the pretrained char transformer's block matrices. */
  char: ZeroQuantCharConfig;
}

export interface QuantRow {
  /** Weight format ("float" = unquantized). */
  weights: QuantFormatName | "float";
  scale: ScaleMode | "none";
  lorc: boolean;
  /** Layer-input (activation) format ("float" = unquantized). */
  act: QuantFormatName | "float";
  /** Relative Frobenius error of all weight matrices together. */
  weightRelErr: number;
  /** Test cross-entropy and accuracy of the quantized model. */
  loss: number;
  acc: number;
  /** loss − float model's loss (nats). */
  lossIncrease: number;
}

export interface ZeroQuantSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  floatLoss: number;
  floatAcc: number;
  trainLoss: number[];
  rows: QuantRow[];
  char: ZeroQuantCharRun;
}

/** Per-tensor dynamic quantization of a batch of layer inputs (absmax over the batch). */
function quantizeActs(h: tf.Tensor2D, format: QuantFormatName): tf.Tensor2D {
  const a = h.dataSync();
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  const s = m / formatMax(format);
  const q = new Float32Array(a.length);
  if (s > 0) for (let i = 0; i < a.length; i++) q[i] = quantizeValue(a[i] / s, format) * s;
  return tf.tensor2d(q, h.shape as [number, number]);
}

/** A plain MLP forward with fixed weights and optional quantized layer inputs. */
function fixedModel(Ws: number[][][], bs: number[][], act: QuantFormatName | "float"): Classifier & { free(): void } {
  const wt = Ws.map((w) => tf.tensor2d(w));
  const bt = bs.map((b) => tf.tensor1d(b));
  return {
    forward(x: tf.Tensor2D): tf.Tensor2D {
      let h = x;
      for (let l = 0; l < wt.length; l++) {
        if (act !== "float") h = quantizeActs(h, act);
        h = tf.add(tf.matMul(h, wt[l]), bt[l]) as tf.Tensor2D;
        if (l + 1 < wt.length) h = tf.relu(h);
      }
      return h;
    },
    variables: () => [],
    free: () => [...wt, ...bt].forEach((t) => t.dispose()),
  };
}

function relErrAll(A: number[][][], B: number[][][]): number {
  let num = 0;
  let den = 0;
  A.forEach((W, l) =>
    W.forEach((r, i) =>
      r.forEach((v, j) => {
        num += (v - B[l][i][j]) ** 2;
        den += v * v;
      }),
    ),
  );
  return Math.sqrt(num / den);
}

/** One seed: train the base MLP, then measure every (weight format, scale, LoRC) and activation format. */
export async function runZeroQuantSeed(cfg: ZeroQuantConfig, s: number, ctx: PaperContext): Promise<ZeroQuantSeedRun> {
  seed(s);
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train, test } = trainTestSplit(data, { testFraction: 0.25, seed: s });
  const model = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  const hist = await trainClassifier(model, train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    seed: s,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}: train` }),
  });
  const Ws = model.weightArrays();
  const bs = model.biases.map((b) => Array.from(b!.dataSync()));
  model.dispose();

  const measure = (Q: number[][][], act: QuantFormatName | "float") => {
    const m = fixedModel(Q, bs, act);
    const r = evaluate(m, test);
    m.free();
    return r;
  };
  const base = measure(Ws, "float");
  const rows: QuantRow[] = [];
  const push = (
    weights: QuantRow["weights"],
    scale: QuantRow["scale"],
    withLorc: boolean,
    act: QuantRow["act"],
    Q: number[][][],
  ) => {
    const r = measure(Q, act);
    rows.push({
      weights,
      scale,
      lorc: withLorc,
      act,
      weightRelErr: relErrAll(Ws, Q),
      loss: r.loss,
      acc: r.acc,
      lossIncrease: r.loss - base.loss,
    });
  };
  const compensated = new Map<string, number[][][]>();
  const total = cfg.weightFormats.length * cfg.scaleModes.length + 1;
  let step = 0;
  for (const f of cfg.weightFormats) {
    for (const mode of cfg.scaleModes) {
      const Q = Ws.map((W) => quantizeMatrix(W, { format: f, groupSize: cfg.groupSize, scale: mode }).W);
      push(f, mode, false, "float", Q);
      // The paper stores LoRC's factors in 8 bits; so do we.
      const QL = Ws.map((W, l) => lorc(W, Q[l], { rank: cfg.lorcRank, int8Factors: true }).W);
      compensated.set(`${f}/${mode}`, QL);
      push(f, mode, true, "float", QL);
      ctx.onProgress?.({ label: `seed ${s}: quantize`, step: ++step, total });
    }
  }
  for (const a of cfg.actFormats) push("float", "none", false, a, Ws);
  // W4A8 as the paper deploys it: FP4 weights (M2 scales, LoRC) with FP8 inputs vs the INT pair.
  const fp = compensated.get("e2m1/rowpow2");
  const int = compensated.get("int4/real");
  if (fp && cfg.actFormats.includes("e4m3")) push("e2m1", "rowpow2", true, "e4m3", fp);
  if (int && cfg.actFormats.includes("int8")) push("int4", "real", true, "int8", int);
  ctx.onProgress?.({ label: `seed ${s}: quantize`, step: total, total });
  const char = runZeroQuantChar(cfg.char, s);
  return {
    char,
    seed: s,
    trainExamples: train.n,
    testExamples: test.n,
    floatLoss: base.loss,
    floatAcc: base.acc,
    trainLoss: hist.map((h) => h.loss),
    rows,
  };
}

/** The row for one configuration (throws when the preset did not run it). */
export function findRow(
  run: ZeroQuantSeedRun,
  weights: QuantRow["weights"],
  scale: QuantRow["scale"],
  withLorc: boolean,
  act: QuantRow["act"] = "float",
): QuantRow {
  const r = run.rows.find((x) => x.weights === weights && x.scale === scale && x.lorc === withLorc && x.act === act);
  if (!r) throw new Error(`zeroquant-fp: no row for ${weights}/${scale}/lorc=${withLorc}/act=${act}`);
  return r;
}
