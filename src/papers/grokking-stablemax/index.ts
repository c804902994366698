// Prieto et al. (ICLR 2025), registered: for every seed, plain softmax, ⊥AdamW and StableMax on
// modular addition from one θ₀, and a longer plain run with tf's log-softmax cross-entropy beside
// the same run with an absorption-free float64 loss.
import { definePaper } from "../registry";
import { at, comparisonValues, fmt, grokkingChecks, mechanism, nlmWindow, num, stall } from "./checks";
import { grokkingFigures } from "./figures";
import {
  combineGrokking,
  COMPARISON,
  GrokkingConfig,
  GrokkingResult,
  GrokkingSeedRun,
  Method,
  Row,
  runGrokkingSeed,
} from "./run";

export type { GrokkingConfig, GrokkingResult } from "./run";

const base: GrokkingConfig = {
  seeds: [42, 43, 44],
  p: 59,
  trainFraction: 0.4,
  hidden: [128, 128],
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-25,
  weightDecay: 0,
  softmax: { lr: 0.005, epochs: 1000 },
  ortho: { lr: 0.005, epochs: 500 },
  stablemax: { lr: 0.01, beta2: 0.999, epochs: 500 },
  collapse: { lr: 0.01, epochs: 2000 },
  logEvery: 10,
  precisions: ["bfloat16", "float16", "float32", "float64"],
  onsetFraction: 0.1,
};

export const grokking = definePaper<GrokkingConfig, GrokkingResult, GrokkingSeedRun>({
  id: "grokking-stablemax",
  citation: {
    authors: ["Lucas Prieto", "Melih Barsbey", "Pedro A. M. Mediano", "Tolga Birdal"],
    title: "Grokking at the Edge of Numerical Stability",
    venue: "ICLR",
    year: 2025,
    arxiv: "2501.04697",
    code: "https://github.com/LucasPrietoAl/grokking-at-the-edge-of-numerical-stability",
  },
  claim:
    "Without regularisation, softmax cross-entropy drives the logits along θ until float rounding zeroes the gradient (softmax collapse); ⊥Grad removes that direction and generalises early, and StableMax never collapses.",
  presets: {
    smoke: {
      ...base,
      seeds: [42],
      p: 23,
      hidden: [64, 64],
      softmax: { lr: 0.005, epochs: 200 },
      ortho: { lr: 0.005, epochs: 200 },
      stablemax: { lr: 0.01, beta2: 0.999, epochs: 100 },
      collapse: null,
      logEvery: 20,
    },
    default: base,
    // Paper scale (p = 113, [200, 200]; StableMax lr 0.01, β₂ 0.999, 80k epochs). Hours on wasm.
    full: {
      ...base,
      p: 113,
      hidden: [200, 200],
      softmax: { lr: 0.005, epochs: 2000 },
      ortho: { lr: 0.005, epochs: 500 },
      stablemax: { lr: 0.01, beta2: 0.999, epochs: 80000 },
      collapse: { lr: 0.005, epochs: 5000 },
      logEvery: 50,
    },
  },
  // Seeds are independent jobs (the first also feeds the precision study).
  runSeed: runGrokkingSeed,
  combine: combineGrokking,
  checks: grokkingChecks,
  figures: grokkingFigures,
  summary(r, cfg) {
    const out: Record<string, number | string> = {
      p: cfg.p,
      trainExamples: Math.round(cfg.p * cfg.p * cfg.trainFraction),
      hidden: cfg.hidden.join("×"),
      "seeds of the method comparison": r.comparison.length,
      "seed of the single-seed figures": cfg.seeds[0],
      "seeds of the long runs": r.long.length,
      precisionRun: r.precisionRun,
    };
    const detail = (prefix: string, m: string, rows: Row[]) => {
      const l = rows[rows.length - 1];
      out[`${prefix}${m}: epochs`] = num(l, "epoch");
      out[`${prefix}${m}: final train acc`] = fmt(num(l, "trainAcc"));
      out[`${prefix}${m}: final test acc`] = fmt(num(l, "testAcc"));
      out[`${prefix}${m}: final SC (own normaliser)`] = fmt(num(l, "collapse"));
      out[`${prefix}${m}: peak SC (own normaliser)`] = fmt(Math.max(...rows.map((x) => num(x, "collapse"))));
      out[`${prefix}${m}: final loss`] = fmt(num(l, "loss"));
      out[`${prefix}${m}: final median logit gap`] = fmt(num(l, "medianGap"));
      out[`${prefix}${m}: final NLM cosine`] = fmt(num(l, "cosine"));
      out[`${prefix}${m}: final ‖θ‖`] = fmt(num(l, "weightNorm"));
      const fit = rows.find((x) => num(x, "trainAcc") === 1);
      out[`${prefix}${m}: first logged epoch with train acc 1`] = fit ? num(fit, "epoch") : "never";
    };
    // The method comparison, every seed: the values the checks' intervals are built from.
    const values = comparisonValues(r, cfg);
    for (const [i, c] of r.comparison.entries()) {
      const k = `seed ${c.seed}, `;
      const v = values[i];
      for (const m of Object.keys(c.runs)) detail(k, m, c.runs[m]);
      out[`${k}⊥AdamW: test acc at epoch ${v.orthoEpoch}`] = fmt(v.orthoTest);
      out[`${k}⊥AdamW: train acc at epoch ${v.orthoEpoch}`] = fmt(v.orthoTrain);
      out[`${k}⊥AdamW: |train − test| at epoch ${v.orthoEpoch}`] = fmt(v.orthoGap);
      out[`${k}softmax: train acc at epoch ${v.softmaxEpoch}`] = fmt(v.softmaxTrain);
      out[`${k}softmax: test acc at epoch ${v.softmaxEpoch}`] = fmt(v.softmaxTest);
      const w = nlmWindow(c.runs.softmax, cfg);
      out[`${k}softmax: mean NLM cosine, epochs ${w.lo}–${w.hi}`] = fmt(v.nlmMean);
      out[`${k}softmax: NLM cosine at init`] = fmt(v.nlmInit);
      const sm = c.runs.StableMax;
      out[`${k}StableMax: final softmax SC of its logits`] = fmt(num(sm[sm.length - 1], "softmaxCollapse"));
      const smFirst = sm.find((x) => num(x, "softmaxCollapse") === 1);
      out[`${k}StableMax: first logged epoch with softmax SC of its logits = 1`] = smFirst
        ? num(smFirst, "epoch")
        : "never";
    }
    // The first seed's long runs in detail (the single-seed figures show them).
    for (const m of Object.keys(r.runs).filter((m) => !COMPARISON.includes(m as Method)))
      detail(`seed ${cfg.seeds[0]}, `, m, r.runs[m]);
    if (r.long.length > 0) {
      const m = mechanism(r);
      out["mechanism: max |zero-gradient fraction − SC| (all seeds, epochs)"] = fmt(m.maxDiff);
      out["mechanism: lowest peak SC over seeds"] = fmt(m.minPeak);
      const st = stall(r);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      out["stall: mean decades gained after first collapse, log-softmax"] = fmt(mean(st.map((x) => x.softmax)));
      out["stall: mean decades gained after first collapse, log1p"] = fmt(mean(st.map((x) => x.log1p)));
      for (const [i, x] of r.long.entries()) {
        const k = `seed ${x.seed}`;
        const lastS = x.softmax[x.softmax.length - 1];
        const lastL = x.log1p[x.log1p.length - 1];
        out[`${k}: long log-softmax peak SC`] = fmt(Math.max(...x.softmax.map((y) => num(y, "softmaxCollapse"))));
        out[`${k}: long log-softmax final zero-gradient fraction`] = fmt(num(lastS, "zeroGradTarget"));
        out[`${k}: long log-softmax final SC`] = fmt(num(lastS, "softmaxCollapse"));
        out[`${k}: first logged epoch with SC > 0`] = st[i].start;
        out[`${k}: decades gained after it, log-softmax`] = fmt(st[i].softmax);
        out[`${k}: decades gained after it, log1p`] = fmt(st[i].log1p);
        out[`${k}: final float64 loss, log-softmax`] = fmt(num(lastS, "loss64"));
        out[`${k}: final float64 loss, log1p`] = fmt(num(lastL, "loss64"));
        out[`${k}: final ‖θ‖, log-softmax`] = fmt(num(lastS, "weightNorm"));
        out[`${k}: final ‖θ‖, log1p`] = fmt(num(lastL, "weightNorm"));
        out[`${k}: final median gap, log-softmax`] = fmt(num(lastS, "medianGap"));
        out[`${k}: final median gap, log1p`] = fmt(num(lastL, "medianGap"));
        // Where the log-softmax run's float64 loss bottoms out, and how far it jumps afterwards.
        const low = x.softmax.reduce((b, y) => (num(y, "loss64") < num(b, "loss64") ? y : b));
        const after = x.softmax.filter((y) => num(y, "epoch") > num(low, "epoch"));
        out[`${k}: lowest float64 loss, log-softmax`] = fmt(num(low, "loss64"));
        out[`${k}: epoch of the lowest float64 loss, log-softmax`] = num(low, "epoch");
        out[`${k}: log1p float64 loss at that epoch`] = fmt(num(at(x.log1p, num(low, "epoch")), "loss64"));
        out[`${k}: highest float64 loss after it, log-softmax`] = after.length
          ? fmt(Math.max(...after.map((y) => num(y, "loss64"))))
          : "none";
        out[`${k}: log1p run peak softmax SC of its logits`] = fmt(
          Math.max(...x.log1p.map((y) => num(y, "softmaxCollapse"))),
        );
      }
    }
    const long = r.runs["long softmax"];
    if (long) {
      const peak = long.reduce((b, x) => (num(x, "collapse") > num(b, "collapse") ? x : b));
      out[`seed ${cfg.seeds[0]}, long softmax: peak SC epoch`] = num(peak, "epoch");
      const first = long.find((x) => num(x, "collapse") > 0);
      out[`seed ${cfg.seeds[0]}, long softmax: first logged epoch with SC > 0`] = first ? num(first, "epoch") : "never";
    }
    for (const on of r.onsets) {
      out[`onset epoch ${on.precision}`] = Number.isFinite(num(on, "onsetEpoch")) ? num(on, "onsetEpoch") : "none";
      out[`collapse gap ${on.precision} (ln 2 × bits)`] = fmt(num(on, "gapThreshold"));
    }
    const pr = r.precision.filter((x) => x.precision === "float64");
    if (pr.length)
      out[`float64 SC at the last epoch (${r.precisionRun} run)`] = fmt(num(pr[pr.length - 1], "collapse"));
    return out;
  },
});
