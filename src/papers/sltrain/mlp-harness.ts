// What the SLTrain and SST reproductions share: the MLP's layer interface, its dense layers
// (the full-rank baseline and the head), the hidden-layer shapes, and each seed's data split.
import * as tf from "@tensorflow/tfjs";
import { sample, trainTestSplit, Dataset } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { Rng } from "../../core/random";
import { selectOnValidation, Selection, validationSplit } from "../protocol";

export interface Layer {
  forward(x: tf.Tensor2D): tf.Tensor2D;
  variables(): tf.Variable[];
  dispose(): void;
}

/** A dense layer with PyTorch's default U(±1/√in) init, the full-rank baseline. */
export class DenseLayer implements Layer {
  readonly w: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R1>;
  constructor(inDim: number, outDim: number, rng: Rng) {
    const bound = 1 / Math.sqrt(inDim);
    const w = new Float32Array(inDim * outDim);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * bound;
    this.w = tf.variable(tf.tensor2d(w, [inDim, outDim]), true);
    this.b = tf.variable(tf.zeros([outDim]), true) as tf.Variable<tf.Rank.R1>;
  }
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.w), this.b) as tf.Tensor2D;
  }
  variables(): tf.Variable[] {
    return [this.w, this.b];
  }
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

/** The two hidden matrices of the MLP 784 → hidden → hidden → 10. */
export function hiddenDims(hidden: number): Array<[number, number]> {
  return [
    [784, hidden],
    [hidden, hidden],
  ];
}

export interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** Seed s's sample of the digits, split into train, validation and test. */
export function splitFor(cfg: { examples: number; testFraction: number; valFraction: number }, s: number): Split {
  const data = sample(loadMnistDigits(), cfg.examples, s);
  const { train: full, test } = trainTestSplit(data, { testFraction: cfg.testFraction, seed: s });
  const { train: tr, val } = validationSplit(full, cfg.valFraction, s + 17);
  return { train: tr, val, test };
}

/**
 * The two papers' protocol: each method's lr selected on the first seed's validation split
 * (trained on its training part), then every method trained on every seed's training part at
 * its selected lr and scored on that seed's test set, with progress over the rough run count.
 */
export async function selectThenRunSeeds<M extends string, R extends { testLoss: number }>(
  methods: readonly M[],
  cfg: { seeds: number[]; lrGrid: number[]; examples: number; testFraction: number; valFraction: number },
  trainOne: (
    method: M,
    lr: number,
    s: number,
    tr: Dataset,
    evalSet: Dataset,
    onFrac: (f: number) => void,
  ) => Promise<R>,
  onProgress?: (p: { step: number; total: number; label: string }) => void,
): Promise<{ selection: Record<M, Selection>; seeds: Array<{ seed: number; runs: R[] }>; sel: Split }> {
  const s0 = cfg.seeds[0];
  const sel = splitFor(cfg, s0);
  // Progress: a rough count of runs (grid per method, possible extensions, then every seed).
  const totalRuns = methods.length * (cfg.lrGrid.length + 1) + methods.length * cfg.seeds.length;
  let done = 0;
  const tick = (label: string) => (frac: number) =>
    onProgress?.({ step: Math.min(done + frac, totalRuns), total: totalRuns, label });
  const selection = {} as Record<M, Selection>;
  for (const method of methods) {
    selection[method] = await selectOnValidation(cfg.lrGrid, async (lr) => {
      const r = await trainOne(method, lr, s0, sel.train, sel.val, tick(`select ${method} lr=${lr}`));
      done++;
      return -r.testLoss; // validation loss here (evalSet = val); higher score is better
    });
  }
  const seeds: Array<{ seed: number; runs: R[] }> = [];
  for (const s of cfg.seeds) {
    const sp = s === s0 ? sel : splitFor(cfg, s);
    const runs: R[] = [];
    for (const method of methods) {
      runs.push(await trainOne(method, selection[method].best, s, sp.train, sp.test, tick(`seed ${s} ${method}`)));
      done++;
    }
    seeds.push({ seed: s, runs });
  }
  return { selection, seeds, sel };
}
