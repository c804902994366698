// Never Train from Scratch (Amos, Berant, Gupta 2024) at CPU size: on pixel MNIST at reduced
// length, a bidirectional transformer and a (causal) S4D stack, each trained from scratch for
// S steps against self-pretrained by masked denoising for S/2 steps on the training inputs and
// then fine-tuned with a new head for S/2 steps. Fine-tuning (and scratch) learning rates are
// chosen on the first seed's validation split per arm.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random";
import { Dataset } from "../../data/dataset";
import { PixelTransformer, S4DEncoder, SequenceClassifier, SequenceEncoder } from "../../nn/seq-encoder";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import { selfPretrain } from "../../train/masked-denoising";
import { pixelMnist } from "../s4d/task";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";

export type Backbone = "transformer" | "s4d";
export type Arm = "scratch" | "spt";

export interface SptConfig extends PaperConfig {
  side: number;
  trainExamples: number;
  testExamples: number;
  valFraction: number;
  batchSize: number;
  /** Optimizer steps per arm: scratch trains all of them, SPT splits them into pretraining and fine-tuning. */
  steps: number;
  pretrainFraction: number;
  maskRate: number;
  pretrainLr: number;
  lrGrid: number[];
  backbones: Backbone[];
  transformer: { width: number; heads: number; layers: number };
  s4d: { width: number; state: number; layers: number };
}

export interface ArmRun {
  seed: number;
  testAcc: number;
  /** Masked-L1 of the first and last pretraining logs (SPT only). */
  pretrainFirst?: number;
  pretrainLast?: number;
}

export interface SptResult {
  selection: Record<string, Selection>;
  runs: Record<string, ArmRun[]>;
}

export const armKey = (b: Backbone, a: Arm) => `${b} ${a}`;

function makeEncoder(cfg: SptConfig, b: Backbone, seed: number): SequenceEncoder {
  const rng = new Rng(5000 + seed);
  const L = cfg.side * cfg.side;
  return b === "transformer"
    ? new PixelTransformer(rng, { input: 2, context: L, ...cfg.transformer })
    : new S4DEncoder(rng, { input: 2, init: "lin", ...cfg.s4d });
}

const snapshot = (e: SequenceEncoder) => e.variables().map((v) => Float32Array.from(v.dataSync()));
const restore = (e: SequenceEncoder, s: Float32Array[]) =>
  e.variables().forEach((v, i) => v.assign(tf.tensor(s[i], v.shape)));

/** Classification training of encoder + a new head; returns the accuracy on each evaluation set. */
async function finetune(
  enc: SequenceEncoder,
  trainSet: Dataset,
  evalSets: Dataset[],
  steps: number,
  lr: number,
  seed: number,
  cfg: SptConfig,
  label: string,
  ctx: PaperContext,
): Promise<number[]> {
  const model = new SequenceClassifier(new Rng(7000 + seed), enc, trainSet.numClasses, true);
  const slow = new Set(enc.slowVariables());
  try {
    await train(model, trainSet, {
      steps,
      batchSize: cfg.batchSize,
      seed,
      groups: [
        { variables: model.variables().filter((v) => !slow.has(v)), lr },
        ...(slow.size ? [{ variables: [...slow], lr: Math.min(lr, 1e-3) }] : []),
      ],
      logEvery: Math.max(1, Math.floor(steps / 10)),
      label,
      onProgress: ctx.onProgress,
    });
    return evalSets.map((d) => evaluate(model, d, 250).acc);
  } finally {
    model.disposeHead();
  }
}

export async function runSpt(cfg: SptConfig, ctx: PaperContext): Promise<SptResult> {
  const ptSteps = Math.round(cfg.steps * cfg.pretrainFraction);
  const ftSteps = cfg.steps - ptSteps;
  const splitFor = (s: number) => {
    const { train: tr, test } = pixelMnist(cfg.side, cfg.trainExamples, cfg.testExamples, s);
    return { ...validationSplit(tr, cfg.valFraction, s), test };
  };
  // Pretraining sees only the training part's inputs (never validation or test).
  const pretrained = async (b: Backbone, s: number, d: Dataset) => {
    const enc = makeEncoder(cfg, b, s);
    const r = await selfPretrain(enc, d, {
      steps: ptSteps,
      batchSize: cfg.batchSize,
      lr: cfg.pretrainLr,
      rate: cfg.maskRate,
      seed: s,
      label: `${b} SPT seed ${s}`,
      onProgress: ctx.onProgress,
    });
    return { enc, first: r.log[0]?.loss ?? NaN, last: r.log[r.log.length - 1]?.loss ?? NaN };
  };
  const selection: Record<string, Selection> = {};
  const runs: Record<string, ArmRun[]> = {};
  const s0 = cfg.seeds[0];
  const d0 = splitFor(s0);
  for (const b of cfg.backbones) {
    // Scratch: a fresh encoder per learning rate, all steps on classification.
    const scratch0 = new Map<number, number>();
    selection[armKey(b, "scratch")] = await selectOnValidation(cfg.lrGrid, async (lr) => {
      const enc = makeEncoder(cfg, b, s0);
      try {
        const [val, test] = await finetune(
          enc,
          d0.train,
          [d0.val, d0.test],
          cfg.steps,
          lr,
          s0,
          cfg,
          `${b} scratch lr ${lr}`,
          ctx,
        );
        scratch0.set(lr, test);
        return val;
      } finally {
        enc.dispose();
      }
    });
    // SPT: pretrain once, then fine-tune a copy of the pretrained weights per learning rate.
    const pt = await pretrained(b, s0, d0.train);
    const weights = snapshot(pt.enc);
    const spt0 = new Map<number, number>();
    selection[armKey(b, "spt")] = await selectOnValidation(cfg.lrGrid, async (lr) => {
      restore(pt.enc, weights);
      const [val, test] = await finetune(
        pt.enc,
        d0.train,
        [d0.val, d0.test],
        ftSteps,
        lr,
        s0,
        cfg,
        `${b} SPT lr ${lr}`,
        ctx,
      );
      spt0.set(lr, test);
      return val;
    });
    pt.enc.dispose();
    const lrS = selection[armKey(b, "scratch")].best;
    const lrP = selection[armKey(b, "spt")].best;
    runs[armKey(b, "scratch")] = [{ seed: s0, testAcc: scratch0.get(lrS)! }];
    runs[armKey(b, "spt")] = [{ seed: s0, testAcc: spt0.get(lrP)!, pretrainFirst: pt.first, pretrainLast: pt.last }];
    for (const s of cfg.seeds.slice(1)) {
      const d = splitFor(s);
      const enc = makeEncoder(cfg, b, s);
      const [acc] = await finetune(enc, d.train, [d.test], cfg.steps, lrS, s, cfg, `${b} scratch seed ${s}`, ctx);
      enc.dispose();
      runs[armKey(b, "scratch")].push({ seed: s, testAcc: acc });
      const p = await pretrained(b, s, d.train);
      const [accP] = await finetune(p.enc, d.train, [d.test], ftSteps, lrP, s, cfg, `${b} SPT seed ${s}`, ctx);
      p.enc.dispose();
      runs[armKey(b, "spt")].push({ seed: s, testAcc: accP, pretrainFirst: p.first, pretrainLast: p.last });
    }
  }
  return { selection, runs };
}
