// "Smaller language models are better instruction evolvers" (Hui et al., 2024), as a
// character-level analog: IFD and IC-IFD from a char LM's per-token losses on synthetic
// instruction pairs, and the breadth of instruction variants from a small vs a large evolver.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { CHAR_BASE_CHECKPOINT } from "../../bases/char-lm";
import { above, below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { icIfdFigures } from "./figures";
import { IcIfdConfig, IcIfdSeedRun, runIcIfdSeed } from "./run";

export interface IcIfdResult {
  runs: IcIfdSeedRun[];
}

const base: IcIfdConfig = {
  seeds: [0, 1, 2],
  checkpoint: CHAR_BASE_CHECKPOINT,
  scorer: {
    window: 16,
    hidden: 256,
    steps: 4000,
    batchSize: 128,
    lrGrid: [2e-3, 4e-3],
    extensions: 0,
    responseFraction: 0.8,
  },
  pairsPerOp: 50,
  constraintChars: [3, 6],
  evolver: {
    window: 8,
    hiddenSmall: 32,
    hiddenLarge: 256,
    steps: 3000,
    batchSize: 128,
    lrGrid: [1e-3, 3e-3],
    extensions: 0,
    responseFraction: 0,
  },
  variantsPerOp: 64,
  variantMaxLen: 10,
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const per = (r: IcIfdResult, f: (x: IcIfdSeedRun) => number) => r.runs.map(f);

export const icIfd = definePaper<IcIfdConfig, IcIfdResult, IcIfdSeedRun>({
  id: "ic-ifd",
  citation: {
    authors: ["Tingfeng Hui", "Lulu Zhao", "Guanting Dong", "Yaqi Zhang", "Hua Zhou", "Sen Su"],
    title: "Smaller Language Models Are Better Instruction Evolvers",
    venue: "arXiv preprint",
    year: 2024,
    arxiv: "2412.11231",
    code: "https://github.com/HypherX/Evolution-Analysis",
  },
  claim:
    "IFD separates matched from mismatched instruction–response pairs, IC-IFD (IFD discounted by the instruction's own perplexity) ranks over-complex instructions lower than IFD does, and a smaller evolver samples instruction variants with lower top-1 probability and more diversity than a larger one (character-level analog).",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      scorer: { ...base.scorer, steps: 30, lrGrid: [3e-3] },
      pairsPerOp: 8,
      evolver: { ...base.evolver, steps: 30, lrGrid: [3e-3] },
      variantsPerOp: 8,
    },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4],
      scorer: { ...base.scorer, steps: 10000, extensions: 1 },
      pairsPerOp: 60,
      evolver: { ...base.evolver, steps: 8000, extensions: 1 },
    },
  },
  runSeed: runIcIfdSeed,
  combine: (runs) => ({ runs }),
  checks(r) {
    const aucIv = tInterval(per(r, (x) => x.aucIfd));
    const ifdMatched = tInterval(per(r, (x) => mean(x.matched.ifd)));
    const lossDown = r.runs.every((x) => x.valAnswerLossTuned < x.valAnswerLossBase);
    const wf = r.runs.flatMap((x) => [x.small.wellFormed, x.large.wellFormed]);
    return [
      evidence(
        "IFD (log scale) separates shuffled from matched held-out pairs: AUC with shuffled as positives",
        aucIv,
        "95% interval above 0.9",
        above(aucIv, 0.9),
        { figure: "ic-ifd-losses" },
      ),
      evidence(
        "IFD < 1 on matched pairs: the instruction makes its response easier to predict (mean IFD, log scale)",
        ifdMatched,
        "95% interval below 1",
        below(ifdMatched, 1),
        { figure: "ic-ifd-losses" },
      ),
      pairedCheck(
        "IC-IFD ranks over-evolved instructions (random constraint characters appended) lower than IFD does: mean percentile rank among matched + over-evolved pairs",
        per(r, (x) => x.overRankIcIfd),
        per(r, (x) => x.overRankIfd),
        "less",
        { figure: "ic-ifd-over-evolved", what: "IC-IFD − IFD" },
      ),
      pairedCheck(
        "The small evolver is less confident: mean top-1 probability along its sampled variants",
        per(r, (x) => x.small.meanTop1),
        per(r, (x) => x.large.meanTop1),
        "less",
        { figure: "ic-ifd-evolvers", what: "small − large" },
      ),
      pairedCheck(
        "The small evolver's variants are more diverse: distinct-2 over sampled instruction variants",
        per(r, (x) => x.small.distinct2),
        per(r, (x) => x.large.distinct2),
        "greater",
        { figure: "ic-ifd-evolvers", what: "small − large" },
      ),
      sanity(
        "The scorer learned the pairs: its validation response loss L(A|Q) is below the untuned char base's (every seed)",
        r.runs.map((x) => `${x.valAnswerLossBase.toFixed(3)} → ${x.valAnswerLossTuned.toFixed(3)}`).join("; "),
        "scorer < base for every seed",
        lossDown,
        { seeds: r.runs.length },
      ),
      sanity(
        'Both evolvers learned the instruction format: fraction of well-formed variants ("op:" + five letters + ">")',
        Math.min(...wf),
        "lowest over evolvers and seeds above 0.2",
        Math.min(...wf) > 0.2,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures: (r) => icIfdFigures(r.runs),
  summary(r) {
    const m = (f: (x: IcIfdSeedRun) => number) => mean(per(r, f));
    const top1 = pairedDifference(
      per(r, (x) => x.small.meanTop1),
      per(r, (x) => x.large.meanTop1),
    );
    return {
      seeds: r.runs.length,
      "held-out test pairs per seed": r.runs[0].matched.ifd.length,
      "scorer lr chosen (per seed)": r.runs.map((x) => x.selection.best).join(", "),
      "validation L(A|Q) untuned char base (mean)": m((x) => x.valAnswerLossBase),
      "validation L(A|Q) scorer (mean)": m((x) => x.valAnswerLossTuned),
      "AUC IFD scorer (mean)": m((x) => x.aucIfd),
      "AUC IFD ppl scale (mean)": m((x) => x.aucIfdPpl),
      "AUC IFD untuned char base (mean)": m((x) => x.aucIfdBase),
      "IFD matched (mean)": m((x) => mean(x.matched.ifd)),
      "IFD shuffled (mean)": m((x) => mean(x.shuffled.ifd)),
      "IFD over-evolved (mean)": m((x) => mean(x.overEvolved.ifd)),
      "L(Q) matched (mean)": m((x) => mean(x.matched.lq)),
      "L(Q) over-evolved (mean)": m((x) => mean(x.overEvolved.lq)),
      "L(A|Q) matched (mean)": m((x) => mean(x.matched.laq)),
      "L(A|Q) over-evolved (mean)": m((x) => mean(x.overEvolved.laq)),
      "L(A|Q) shuffled (mean)": m((x) => mean(x.shuffled.laq)),
      "L(A) matched (mean)": m((x) => mean(x.matched.la)),
      "over-evolved percentile by IFD (mean)": m((x) => x.overRankIfd),
      "over-evolved percentile by IC-IFD (mean)": m((x) => x.overRankIcIfd),
      "over-evolved percentile by IFD, ppl scale (mean)": m((x) => x.overRankIfdPpl),
      "over-evolved percentile by IC-IFD, ppl scale (mean)": m((x) => x.overRankIcIfdPpl),
      "evolver hidden units small / large": `${r.runs[0].small.hidden} / ${r.runs[0].large.hidden}`,
      "evolver validation loss small (mean)": m((x) => x.small.valLoss),
      "evolver validation loss large (mean)": m((x) => x.large.valLoss),
      "top-1 probability small (mean)": m((x) => x.small.meanTop1),
      "top-1 probability large (mean)": m((x) => x.large.meanTop1),
      "top-1 probability small − large (mean)": top1.mean,
      "distinct-2 small (mean)": m((x) => x.small.distinct2),
      "distinct-2 large (mean)": m((x) => x.large.distinct2),
      "distinct variants small (mean)": m((x) => x.small.distinctVariants),
      "distinct variants large (mean)": m((x) => x.large.distinctVariants),
      "well-formed variants small (mean)": m((x) => x.small.wellFormed),
      "well-formed variants large (mean)": m((x) => x.large.wellFormed),
      "variants small (first seed)": r.runs[0].small.examples.join(" | "),
      "variants large (first seed)": r.runs[0].large.examples.join(" | "),
    };
  },
});
