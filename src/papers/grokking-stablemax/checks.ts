// The pass rules, on 95% intervals over seeds: ⊥AdamW generalises, plain softmax memorises and
// drifts along θ (evidence; the init cosine is a sanity control); collapse grows in a longer
// plain run, the samples whose gradient the backward pass zeroes are exactly the collapsed ones,
// and the log-softmax run stalls where the absorption-free float64 run from the same θ₀ keeps
// lowering the loss (evidence).
import { Interval, tInterval } from "../../metrics/intervals";
import { above, below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { Check } from "../types";
import { GrokkingConfig, GrokkingResult, Row } from "./run";

export const at = (rows: Row[], epoch: number): Row =>
  rows.reduce((best, r) =>
    Math.abs((r.epoch as number) - epoch) < Math.abs((best.epoch as number) - epoch) ? r : best,
  );
export const num = (r: Row, k: string) => r[k] as number;
export const fmt = (v: number) => Number(v.toPrecision(3));

/** Mean NLM cosine of one plain softmax run over epochs lo..hi, and its value at init. */
export function nlmWindow(rows: Row[], cfg: GrokkingConfig): { lo: number; hi: number; mean: number; init: number } {
  const lo = 200;
  const hi = Math.min(1000, cfg.softmax.epochs);
  const win = rows.filter((x) => num(x, "epoch") >= lo && num(x, "epoch") <= hi);
  return {
    lo,
    hi,
    mean: win.length ? win.reduce((a, x) => a + num(x, "cosine"), 0) / win.length : NaN,
    init: num(rows[0], "cosine"),
  };
}

/** The epoch the method comparison is read at (the logged epoch nearest 500). */
export const READ_EPOCH = 500;

/** Per seed of the method comparison: the values its checks read. */
export interface ComparisonValues {
  seed: number;
  /** Logged epochs nearest READ_EPOCH in the ⊥AdamW and plain softmax runs. */
  orthoEpoch: number;
  softmaxEpoch: number;
  orthoTest: number;
  orthoTrain: number;
  /** |train − test| of ⊥AdamW at orthoEpoch. */
  orthoGap: number;
  softmaxTrain: number;
  softmaxTest: number;
  nlmMean: number;
  nlmInit: number;
}

export function comparisonValues(r: GrokkingResult, cfg: GrokkingConfig): ComparisonValues[] {
  return r.comparison.map(({ seed, runs }) => {
    const o = at(runs["⊥AdamW"], READ_EPOCH);
    const s = at(runs.softmax, READ_EPOCH);
    const w = nlmWindow(runs.softmax, cfg);
    return {
      seed,
      orthoEpoch: num(o, "epoch"),
      softmaxEpoch: num(s, "epoch"),
      orthoTest: num(o, "testAcc"),
      orthoTrain: num(o, "trainAcc"),
      orthoGap: Math.abs(num(o, "trainAcc") - num(o, "testAcc")),
      softmaxTrain: num(s, "trainAcc"),
      softmaxTest: num(s, "testAcc"),
      nlmMean: w.mean,
      nlmInit: w.init,
    };
  });
}

/** Every seed fits the training set: the interval is [1, 1] (a single seed: its value is 1). */
export const allOne = (iv: Interval): boolean => (iv.n < 2 ? iv.mean === 1 : iv.lo >= 1);

export function grokkingChecks(r: GrokkingResult, cfg: GrokkingConfig): Check[] {
  const out: Check[] = [];
  const v = comparisonValues(r, cfg);
  const iv = (k: keyof ComparisonValues) => tInterval(v.map((x) => x[k]));
  const eO = v[0].orthoEpoch;
  const eS = v[0].softmaxEpoch;
  const orthoTest = iv("orthoTest");
  out.push(
    evidence(
      `⊥AdamW generalises with little delay: test accuracy at epoch ${eO}`,
      orthoTest,
      "95% interval above 0.75",
      above(orthoTest, 0.75),
      { figure: "grokking-accuracy" },
    ),
  );
  const orthoGap = iv("orthoGap");
  out.push(
    evidence(
      `⊥AdamW: train and test accuracy rise together, |train − test| at epoch ${eO}`,
      orthoGap,
      "95% interval below 0.15",
      below(orthoGap, 0.15),
      { figure: "grokking-accuracy" },
    ),
  );
  const smTrain = iv("softmaxTrain");
  out.push(
    evidence(
      `Plain softmax memorises: train accuracy at epoch ${eS}`,
      smTrain,
      "95% interval = [1, 1] (train accuracy 1 in every seed)",
      allOne(smTrain),
      { figure: "grokking-accuracy" },
    ),
  );
  const smTest = iv("softmaxTest");
  out.push(
    evidence(
      `Plain softmax does not generalise: test accuracy at epoch ${eS}`,
      smTest,
      "95% interval below 0.05",
      below(smTest, 0.05),
      { figure: "grokking-accuracy" },
    ),
  );
  const w = nlmWindow(r.comparison[0].runs.softmax, cfg);
  const nlm = iv("nlmMean");
  out.push(
    evidence(
      `Plain softmax drifts along θ (NLM): mean cos(−∇L, θ) over epochs ${w.lo}–${w.hi}`,
      nlm,
      "95% interval above 0.6",
      above(nlm, 0.6),
      { figure: "grokking-nlm-cosine" },
    ),
  );
  const init = iv("nlmInit");
  out.push(
    sanity(
      "Control for the NLM check: cos(−∇L, θ) of the plain softmax run at initialisation",
      init,
      "95% interval inside (−0.1, 0.1)",
      above(init, -0.1) && below(init, 0.1),
      { figure: "grokking-nlm-cosine" },
    ),
  );
  if (r.long.length > 0 && cfg.collapse) {
    const peaks = r.long.map((x) => Math.max(...x.softmax.map((y) => num(y, "collapse"))));
    const peak = tInterval(peaks);
    out.push(
      evidence(
        `Softmax collapse grows in a longer plain run (lr ${cfg.collapse.lr}, ${cfg.collapse.epochs} epochs): peak float32 SC fraction`,
        peak,
        "95% interval above 0.3",
        above(peak, 0.3),
        { figure: "grokking-collapse" },
      ),
    );
    const m = mechanism(r);
    out.push(
      evidence(
        `Mechanism: in the same long log-softmax runs, the fraction of samples whose correct-class gradient is exactly 0 in tf's backward pass equals the float32 SC fraction at every logged epoch (max |difference| over epochs and seeds), while SC reaches ≥ ${cfg.onsetFraction}`,
        `max |zero-gradient − SC| ${fmt(m.maxDiff)}; peak SC ${fmt(m.minPeak)} (lowest seed)`,
        `max |difference| ≤ ${MECH_TOL} and peak SC ≥ ${cfg.onsetFraction} in every seed`,
        m.maxDiff <= MECH_TOL && m.minPeak >= cfg.onsetFraction,
        { seeds: r.long.length, figure: "grokking-mechanism" },
      ),
    );
    const st = stall(r);
    out.push(
      pairedCheck(
        "Training stalls under collapse for log-softmax cross-entropy but not for the absorption-free float64 log1p form (same θ₀, lr and steps): decades of float64 train loss gained from the log-softmax run's first collapse to the end, log1p minus log-softmax",
        st.map((x) => x.log1p),
        st.map((x) => x.softmax),
        "greater",
        { figure: "grokking-stall", what: "log1p − log-softmax, decades" },
      ),
    );
  }
  return out;
}

/** Tolerance of the mechanism check: 1% of the training pairs (≈ 14 of 1,392 at default). */
export const MECH_TOL = 0.01;

/** Largest |zero-gradient fraction − SC fraction| over the long log-softmax runs, and the lowest peak SC. */
export function mechanism(r: GrokkingResult): { maxDiff: number; minPeak: number } {
  let maxDiff = 0;
  let minPeak = Infinity;
  for (const x of r.long) {
    for (const y of x.softmax)
      maxDiff = Math.max(maxDiff, Math.abs(num(y, "zeroGradTarget") - num(y, "softmaxCollapse")));
    minPeak = Math.min(minPeak, Math.max(...x.softmax.map((y) => num(y, "softmaxCollapse"))));
  }
  return { maxDiff, minPeak };
}

/**
 * Per seed: the epoch the log-softmax run first shows SC > 0, and the decades of float64 train
 * loss each run gains from there to the end (log10 loss at start − log10 loss at the end).
 * Both runs follow the same trajectory until absorption begins, so the window starts there.
 */
export function stall(r: GrokkingResult): Array<{ seed: number; start: number; softmax: number; log1p: number }> {
  return r.long.map((x) => {
    const first = x.softmax.find((y) => num(y, "softmaxCollapse") > 0) ?? x.softmax[x.softmax.length - 1];
    const start = num(first, "epoch");
    const gain = (rows: Row[]) =>
      Math.log10(num(at(rows, start), "loss64")) - Math.log10(num(rows[rows.length - 1], "loss64"));
    return { seed: x.seed, start, softmax: gain(x.softmax), log1p: gain(x.log1p) };
  });
}
