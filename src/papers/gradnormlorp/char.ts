// The character-level part: the project's pretrained char transformer (licenses, data/
// char-lm-base.safetensors) fine-tuned in full on the fortunes-min text with one optimizer for a
// fixed number of steps. Fine-tuning, not pre-training, because GradNormLoRP is a fine-tuning
// method (GLUE, commonsense reasoning) and a pretrained start is what its weight-normalised
// magnitudes refer to. The projected optimizers project only the attention and MLP matrices
// (wq, wk, wv, wo, w1, w2 of every block); embeddings, head and the rest use plain Adam.
import * as tf from "@tensorflow/tfjs";
import {
  CHAR_BASE_CHECKPOINT,
  CHAR_BASE_SPEC,
  evalWindows,
  fortuneCorpus,
  lmScores,
  loadCharBase,
  splitCorpus,
  StoredTensor,
  windowSource,
} from "../../bases/char-lm";
import { seed as seedAll } from "../../core/random";
import { ProgressEvent } from "../../core/types";
import { BLOCK_MATRICES, blockParam, transformerLogits } from "../../nn/transformer";
import { warmupCosine } from "../../optim/schedules";
import { train } from "../../train/loop";
import type { CharTaskConfig } from "./experiment";

export interface CharTask {
  params: number;
  projectedShapes: Array<[number, number]>;
  /** Variable names of the projected matrices (the optimizers' `targets`). */
  targets(): string[];
  sizes(seed: number): { train: number; val: number; test: number };
  fit(
    opt: tf.Optimizer,
    lr: number,
    seed: number,
    on: "val" | "test",
    onProgress: (p: ProgressEvent) => void,
  ): Promise<{ loss: number; acc: number; log: Array<{ step: number; loss: number }> }>;
  dispose(): void;
}

interface Windows {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}

export function charTask(t: CharTaskConfig): CharTask {
  const spec = CHAR_BASE_SPEC;
  const base: Record<string, StoredTensor> = loadCharBase(CHAR_BASE_CHECKPOINT, spec);
  const params = Object.fromEntries(
    Object.entries(base).map(([k, v]) => [k, tf.variable(tf.tensor(v.data, v.shape))]),
  ) as Record<string, tf.Variable>;
  const block = 4 * spec.context;
  // The test blocks are fixed; each seed carves its own validation blocks from the rest.
  const fortunes = splitCorpus(fortuneCorpus(), block, { val: 0, test: 0.1 }, 0);
  const test: Windows = evalWindows(fortunes.test, spec.context, t.evalWindows);
  const perSeed = new Map<number, { train: Int32Array; val: Windows }>();
  const split = (s: number) => {
    if (!perSeed.has(s)) {
      const p = splitCorpus(fortunes.train, block, { val: t.valFraction, test: 0 }, s * 7 + 3);
      perSeed.set(s, { train: p.train, val: evalWindows(p.val, spec.context, t.evalWindows) });
    }
    return perSeed.get(s)!;
  };
  const names: string[] = [];
  for (let l = 0; l < spec.layers; l++) for (const m of BLOCK_MATRICES) names.push(blockParam(l, m));
  const reset = () =>
    tf.tidy(() => {
      for (const [k, v] of Object.entries(base)) params[k].assign(tf.tensor(v.data, v.shape));
    });
  return {
    params: Object.values(base).reduce((a, v) => a + v.data.length, 0),
    projectedShapes: names.map((n) => base[n].shape as [number, number]),
    targets: () => names.map((n) => params[n].name),
    sizes: (s) => ({ train: split(s).train.length, val: split(s).val.y.size, test: test.y.size }),
    async fit(opt, lr, s, on, onProgress) {
      reset();
      seedAll(s);
      const d = split(s);
      const model = {
        variables: () => Object.values(params),
        forward: (x: tf.Tensor2D) => transformerLogits(params, x, spec),
      };
      const res = await train(model, windowSource(d.train, spec.context, t.batchSize), {
        steps: t.steps,
        batchSize: t.batchSize,
        seed: s + 1,
        sampler: "stream",
        optimizer: opt,
        lr,
        schedule: warmupCosine(t.warmup),
        logEvery: t.logEvery,
        onProgress,
      });
      const w = on === "val" ? d.val : test;
      const sc = tf.tidy(() => lmScores(transformerLogits(params, w.x, spec), w.y));
      return { ...sc, log: res.log.map((r) => ({ step: r.step, loss: r.loss })) };
    },
    dispose() {
      Object.values(params).forEach((v) => v.dispose());
      for (const v of perSeed.values()) [v.val.x, v.val.y].forEach((x) => x.dispose());
      perSeed.clear();
      test.x.dispose();
      test.y.dispose();
    },
  };
}
