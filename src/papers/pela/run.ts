// PELA at toy scale: a trained MNIST MLP (teacher) is replaced by truncated-SVD factor pairs at
// compression ratio c (student), then briefly trained with cross-entropy alone, with block-wise
// feature distillation (FD), and with FD plus the weight-perturbation term (WP). Each variant
// gets its own learning rate from the same grid, chosen on a validation split of the training set.
import * as tf from "@tensorflow/tfjs";
import { pelaRank, svdFactors } from "../../compress";
import { seed } from "../../core/random";
import { sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { Classifier, evaluate, trainClassifier } from "../../train/classifier";
import { ClassBatch, train } from "../../train/loop";
import { validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { PelaCharConfig, PelaCharRun, runPelaChar } from "./char";

export type PelaVariant = "svd" | "ce" | "fd" | "fdwp";
export const VARIANTS: PelaVariant[] = ["svd", "ce", "fd", "fdwp"];

export interface PelaConfig extends PaperConfig {
  examples: number;
  hidden: number[];
  teacherEpochs: number;
  /** Student training epochs (the same for every trained variant). */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Learning-rate grid for the student variants. */
  lrGrid: number[];
  /** Compression ratio c: rank ⌊mn / (c(m+n))⌋ for every hidden layer (the head stays dense). */
  c: number;
  alpha: number;
  lambda: number;
  epsilon: number;
  valFraction: number;
  /** The same study on the pretrained char transformer (for the seeds it lists). */
  char: PelaCharConfig;
}

export interface PelaSeedRun {
  seed: number;
  trainExamples: number;
  testExamples: number;
  ranks: number[];
  teacherParams: number;
  studentParams: number;
  teacherAcc: number;
  teacherLoss: number;
  /** Per variant: chosen lr, validation accuracy per lr, test accuracy and loss. */
  variants: Record<PelaVariant, { lr: number; valAcc: number[]; acc: number; loss: number }>;
  /** Null for seeds the char part does not list. */
  char: PelaCharRun | null;
}

/** Factored student: hidden layers as A·B pairs, dense head; features are the hidden activations. */
class Student implements Classifier {
  readonly A: tf.Variable[];
  readonly B: tf.Variable[];
  readonly b: tf.Variable[];
  readonly head: tf.Variable;
  readonly headB: tf.Variable;
  constructor(Ws: number[][][], bs: number[][], ranks: number[]) {
    const L = Ws.length - 1;
    this.A = [];
    this.B = [];
    for (let l = 0; l < L; l++) {
      const f = svdFactors(Ws[l], ranks[l]);
      this.A.push(tf.variable(tf.tensor2d(f.A)));
      this.B.push(tf.variable(tf.tensor2d(f.B)));
    }
    this.b = bs.slice(0, L).map((v) => tf.variable(tf.tensor1d(v)));
    this.head = tf.variable(tf.tensor2d(Ws[L]));
    this.headB = tf.variable(tf.tensor1d(bs[L]));
  }
  features(x: tf.Tensor2D): { feats: tf.Tensor2D[]; logits: tf.Tensor2D } {
    const feats: tf.Tensor2D[] = [];
    let h = x;
    for (let l = 0; l < this.A.length; l++) {
      h = tf.relu(tf.add(tf.matMul(tf.matMul(h, this.A[l]), this.B[l]), this.b[l])) as tf.Tensor2D;
      feats.push(h);
    }
    return { feats, logits: tf.add(tf.matMul(h, this.head), this.headB) as tf.Tensor2D };
  }
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.features(x).logits;
  }
  variables(): tf.Variable[] {
    return [...this.A, ...this.B, ...this.b, this.head, this.headB];
  }
  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

function teacherFeatures(Wt: tf.Tensor2D[], bt: tf.Tensor1D[], x: tf.Tensor2D): tf.Tensor2D[] {
  const out: tf.Tensor2D[] = [];
  let h = x;
  for (let l = 0; l + 1 < Wt.length; l++) {
    h = tf.relu(tf.add(tf.matMul(h, Wt[l]), bt[l])) as tf.Tensor2D;
    out.push(h);
  }
  return out;
}

/** One seed: teacher, then every variant at every lr of the grid; the lr is chosen on validation. */
export async function runPelaSeed(cfg: PelaConfig, s: number, ctx: PaperContext): Promise<PelaSeedRun> {
  seed(s);
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train: trainAll, test } = trainTestSplit(data, { testFraction: 0.25, seed: s });
  const { train: tr, val } = validationSplit(trainAll, cfg.valFraction, s);
  const teacher = new MLP({ sizes: [784, ...cfg.hidden, 10], activation: "relu", init: "he" });
  await trainClassifier(teacher, tr, {
    epochs: cfg.teacherEpochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    seed: s,
    onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}: teacher` }),
  });
  const t = evaluate(teacher, test);
  const Ws = teacher.weightArrays();
  const bs = teacher.biases.map((b) => Array.from(b!.dataSync()));
  teacher.dispose();
  const Wt = Ws.map((w) => tf.tensor2d(w));
  const bt = bs.map((b) => tf.tensor1d(b));
  const ranks = Ws.slice(0, -1).map((W) => pelaRank(W.length, W[0].length, cfg.c));

  const fit = async (variant: PelaVariant, lr: number, evalOn: typeof val) => {
    const st = new Student(Ws, bs, ranks);
    if (variant !== "svd") {
      await train(st, tr, {
        epochs: cfg.epochs,
        batchSize: cfg.batchSize,
        lr,
        seed: s,
        objective: (batch: ClassBatch) => {
          const { feats, logits } = st.features(batch.x);
          let loss = crossEntropy(logits, batch.y);
          if (variant === "fd" || variant === "fdwp") {
            const tf_ = teacherFeatures(Wt, bt, batch.x);
            const fd = feats.map((f, l) => tf.mean(tf.square(tf.sub(f, tf_[l]))));
            loss = tf.add(loss, tf.mul(cfg.alpha, tf.addN(fd))) as tf.Scalar;
          }
          if (variant === "fdwp") {
            // λ·mean_l (‖A_l B_l − W_l‖_max − ε)²: keeps every entry of the product near the teacher's.
            const wp = st.A.map((A, l) =>
              tf.square(tf.sub(tf.max(tf.abs(tf.sub(tf.matMul(A, st.B[l]), Wt[l]))), cfg.epsilon)),
            );
            loss = tf.add(loss, tf.mul(cfg.lambda, tf.div(tf.addN(wp), wp.length))) as tf.Scalar;
          }
          return loss;
        },
      });
    }
    const r = evaluate(st, evalOn);
    st.dispose();
    return r;
  };

  const variants = {} as PelaSeedRun["variants"];
  const total = 1 + (VARIANTS.length - 1) * (cfg.lrGrid.length + 1);
  let step = 0;
  for (const v of VARIANTS) {
    const grid = v === "svd" ? [0] : cfg.lrGrid;
    const valAcc: number[] = [];
    for (const lr of grid) {
      valAcc.push((await fit(v, lr, val)).acc);
      ctx.onProgress?.({ label: `seed ${s}: students`, step: ++step, total });
    }
    const best = grid[valAcc.indexOf(Math.max(...valAcc))];
    const r = v === "svd" ? await fit(v, 0, test) : await fit(v, best, test);
    if (v !== "svd") ctx.onProgress?.({ label: `seed ${s}: students`, step: ++step, total });
    variants[v] = { lr: best, valAcc, acc: r.acc, loss: r.loss };
  }
  [...Wt, ...bt].forEach((x) => x.dispose());
  const teacherParams = Ws.reduce((a, W) => a + W.length * W[0].length, 0) + bs.reduce((a, b) => a + b.length, 0);
  const studentParams =
    ranks.reduce((a, r, l) => a + r * (Ws[l].length + Ws[l][0].length), 0) +
    Ws[Ws.length - 1].length * 10 +
    bs.reduce((a, b) => a + b.length, 0);
  const char = cfg.char.seeds.includes(s) ? await runPelaChar(cfg.char, s, ctx) : null;
  return {
    char,
    seed: s,
    trainExamples: tr.n,
    testExamples: test.n,
    ranks,
    teacherParams,
    studentParams,
    teacherAcc: t.acc,
    teacherLoss: t.loss,
    variants,
  };
}
