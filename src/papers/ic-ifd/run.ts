// One seed of the IC-IFD analog: train a window-LM scorer on "op:word>answer" pairs (lr chosen on
// validation pairs), score held-out matched, shuffled and over-evolved pairs with IFD and IC-IFD
// from its per-token losses (the untuned char transformer base scores them too, as a control),
// and compare the instruction variants sampled from a small and a large evolver.
import * as tf from "@tensorflow/tfjs";
import { CHAR_BASE_SPEC, loadCharBase } from "../../bases/char-lm";
import { Rng } from "../../core/random";
import { auroc, ranks } from "../../metrics/stats";
import { icIfdScore, ifdScore, IfdScale, meanTokenLoss, PairTokenLosses } from "../../metrics/ifd";
import { selectOnValidation, Selection } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { fortuneWords, makePair, OP_NAMES, overEvolve, Pair, splitWords } from "./data";
import { pairLosses, textTokenLosses, TokenLossFn } from "./score";
import { sampleVariants } from "./variants";
import { trainWindowLM, WindowLM, windowLMLoss, windowTokenLosses } from "./window-lm";

export interface WindowLMGrid {
  window: number;
  steps: number;
  batchSize: number;
  lrGrid: number[];
  /** Grid extensions allowed per side when the winner sits at an edge. */
  extensions: number;
  /** Fraction of training examples drawn inside responses. */
  responseFraction: number;
}

export interface IcIfdConfig extends PaperConfig {
  /** The project's char transformer base: scores pairs untuned, as the no-instruction-tuning control. */
  checkpoint: string;
  /** The instruction scorer: a window LM trained on pairs (lr chosen on validation L(A|Q)). */
  scorer: WindowLMGrid & { hidden: number };
  /** Held-out pairs per operation (validation and test each). */
  pairsPerOp: number;
  /** Constraint characters appended to an over-evolved instruction (min, max). */
  constraintChars: [number, number];
  /** The two evolvers (same window, steps and lr grid; hidden units differ). */
  evolver: WindowLMGrid & { hiddenSmall: number; hiddenLarge: number };
  /** Variants sampled per operation and their maximum length. */
  variantsPerOp: number;
  variantMaxLen: number;
}

/** Scores of one kind of pair set under one model (per pair, both scales). */
export interface ScoredSet {
  lq: number[];
  laq: number[];
  la: number[];
  ifd: number[];
  icIfd: number[];
  ifdPpl: number[];
  icIfdPpl: number[];
}

export interface EvolverRun {
  hidden: number;
  selection: Selection;
  valLoss: number;
  meanTop1: number;
  distinct2: number;
  distinctVariants: number;
  wellFormed: number;
  examples: string[];
}

export interface IcIfdSeedRun {
  seed: number;
  words: { train: number; val: number; test: number };
  selection: Selection;
  /** Mean validation L(A|Q) of the untuned char base and of the chosen scorer. */
  valAnswerLossBase: number;
  valAnswerLossTuned: number;
  matched: ScoredSet;
  shuffled: ScoredSet;
  overEvolved: ScoredSet;
  /** AUC of IFD for shuffled (positive) vs matched, with the tuned model and with the untuned base. */
  aucIfd: number;
  aucIfdPpl: number;
  aucIfdBase: number;
  /** Mean percentile rank (1 = selected first, highest score) of over-evolved pairs pooled with matched ones. */
  overRankIfd: number;
  overRankIcIfd: number;
  overRankIfdPpl: number;
  overRankIcIfdPpl: number;
  small: EvolverRun;
  large: EvolverRun;
}

function scoreSet(l: PairTokenLosses[]): ScoredSet {
  const by = (f: (x: PairTokenLosses, s: IfdScale) => number, s: IfdScale) => l.map((x) => f(x, s));
  return {
    lq: l.map((x) => meanTokenLoss(x.question)),
    laq: l.map((x) => meanTokenLoss(x.answerGivenQuestion)),
    la: l.map((x) => meanTokenLoss(x.answerAlone)),
    ifd: by(ifdScore, "log"),
    icIfd: by(icIfdScore, "log"),
    ifdPpl: by(ifdScore, "ppl"),
    icIfdPpl: by(icIfdScore, "ppl"),
  };
}

/** Mean percentile rank of the `tail` entries among head ++ tail (0 = lowest score, 1 = highest). */
function meanPercentile(head: number[], tail: number[]): number {
  const r = ranks([...head, ...tail]);
  const n = r.length;
  const tr = r.slice(head.length).map((x) => (x - 1) / (n - 1));
  return tr.reduce((a, b) => a + b, 0) / tr.length;
}

const auc = (pos: number[], neg: number[]) =>
  auroc([...pos, ...neg], [...pos.map(() => true), ...neg.map(() => false)]);

/** A derangement of 0…n−1 that never pairs two pairs of the same word (seeded). */
function shuffledPartner(pairs: Pair[], rng: Rng): number[] {
  for (;;) {
    const perm = rng.permutation(pairs.length);
    if (perm.every((j, i) => j !== i && pairs[j].word !== pairs[i].word)) return perm;
  }
}

/** Trains one window LM per lr of the grid; keeps the one with the best validation score. */
async function selectLM(
  grid: WindowLMGrid,
  hidden: number,
  words: string[],
  seedValue: number,
  valLoss: (lm: WindowLM) => number,
  onTry: (lr: number) => void,
): Promise<{ lm: WindowLM; val: number; selection: Selection }> {
  let kept: { lm: WindowLM; val: number } | null = null;
  const selection = await selectOnValidation(
    grid.lrGrid,
    async (lr) => {
      onTry(lr);
      const lm = await trainWindowLM(
        words,
        {
          window: grid.window,
          steps: grid.steps,
          batchSize: grid.batchSize,
          responseFraction: grid.responseFraction,
          hidden,
          lr,
        },
        seedValue,
      );
      const val = valLoss(lm);
      if (!kept || val < kept.val) {
        kept?.lm.model.dispose();
        kept = { lm, val };
      } else lm.model.dispose();
      return -val;
    },
    { maxExtensions: grid.extensions },
  );
  const k = kept as unknown as { lm: WindowLM; val: number };
  return { ...k, selection };
}

export async function runIcIfdSeed(cfg: IcIfdConfig, s: number, ctx: PaperContext): Promise<IcIfdSeedRun> {
  const words = splitWords(fortuneWords(), 0.1, 0.1, 1000 + s);
  const rng = new Rng(7919 * s + 13);
  const valPairs = OP_NAMES.flatMap((op) =>
    rng
      .permutation(words.val.length)
      .slice(0, cfg.pairsPerOp)
      .map((i) => makePair(op, words.val[i])),
  );
  const testPairs = OP_NAMES.flatMap((op) =>
    rng
      .permutation(words.test.length)
      .slice(0, cfg.pairsPerOp)
      .map((i) => makePair(op, words.test[i])),
  );
  const partner = shuffledPartner(testPairs, rng);
  const shuffledPairs = testPairs.map((p, i) => ({ q: p.q, a: testPairs[partner[i]].a }));
  const overRng = new Rng(104729 * s + 1);
  const [kMin, kMax] = cfg.constraintChars;
  const overPairs = testPairs.map((p) => overEvolve(p, kMin + overRng.int(kMax - kMin + 1), overRng));
  let step = 0;
  const total = 3 * Math.max(cfg.scorer.lrGrid.length, cfg.evolver.lrGrid.length) + 1;
  const tick = (what: string) => (lr: number) =>
    ctx.onProgress?.({
      label: `seed ${s}: ${what} lr ${lr.toExponential(0)}`,
      step: Math.min(step++, total - 1),
      total,
    });

  // Control: the char transformer base, never tuned on instructions, scores the same pairs.
  const spec = CHAR_BASE_SPEC;
  const stored = loadCharBase(cfg.checkpoint, spec);
  const base: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(stored)) base[k] = tf.tensor(t.data, t.shape);
  const baseLoss: TokenLossFn = (texts) => textTokenLosses(base, spec, texts);
  const valAnswerLossBase = meanOf(pairLosses(baseLoss, valPairs).map((x) => meanTokenLoss(x.answerGivenQuestion)));
  const aucIfdBase = auc(
    scoreSet(pairLosses(baseLoss, shuffledPairs)).ifd,
    scoreSet(pairLosses(baseLoss, testPairs)).ifd,
  );
  Object.values(base).forEach((t) => t.dispose());

  // The scorer: lr chosen on the validation pairs' mean L(A|Q).
  const valAnswerLoss = (lm: WindowLM) =>
    meanOf(pairLosses((t) => windowTokenLosses(lm, t), valPairs).map((x) => meanTokenLoss(x.answerGivenQuestion)));
  const scorer = await selectLM(cfg.scorer, cfg.scorer.hidden, words.train, 31 * s + 5, valAnswerLoss, tick("scorer"));
  const scorerLoss: TokenLossFn = (texts) => windowTokenLosses(scorer.lm, texts);
  const matched = scoreSet(pairLosses(scorerLoss, testPairs));
  const shuffled = scoreSet(pairLosses(scorerLoss, shuffledPairs));
  const overEvolved = scoreSet(pairLosses(scorerLoss, overPairs));
  scorer.lm.model.dispose();

  // The evolvers: same data, steps and lr grid; each keeps its own best lr (validation next-char loss).
  const evolve = async (hidden: number, what: string): Promise<EvolverRun> => {
    const e = await selectLM(
      cfg.evolver,
      hidden,
      words.train,
      17 * s + 3,
      (lm) => windowLMLoss(lm, words.val, 2048, 555 + s),
      tick(what),
    );
    const v = sampleVariants(e.lm, cfg.variantsPerOp, cfg.variantMaxLen, 99991 * s + 7);
    e.lm.model.dispose();
    return {
      hidden,
      selection: e.selection,
      valLoss: e.val,
      meanTop1: v.meanTop1,
      distinct2: v.distinct2,
      distinctVariants: new Set(v.texts).size / v.texts.length,
      wellFormed: v.wellFormed,
      examples: v.texts.slice(0, 6),
    };
  };
  const small = await evolve(cfg.evolver.hiddenSmall, "small evolver");
  const large = await evolve(cfg.evolver.hiddenLarge, "large evolver");
  ctx.onProgress?.({ label: `seed ${s}: done`, step: total, total });

  return {
    seed: s,
    words: { train: words.train.length, val: words.val.length, test: words.test.length },
    selection: scorer.selection,
    valAnswerLossBase,
    valAnswerLossTuned: scorer.val,
    matched,
    shuffled,
    overEvolved,
    aucIfd: auc(shuffled.ifd, matched.ifd),
    aucIfdPpl: auc(shuffled.ifdPpl, matched.ifdPpl),
    aucIfdBase,
    overRankIfd: meanPercentile(matched.ifd, overEvolved.ifd),
    overRankIcIfd: meanPercentile(matched.icIfd, overEvolved.icIfd),
    overRankIfdPpl: meanPercentile(matched.ifdPpl, overEvolved.ifdPpl),
    overRankIcIfdPpl: meanPercentile(matched.icIfdPpl, overEvolved.icIfdPpl),
    small,
    large,
  };
}

function meanOf(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
