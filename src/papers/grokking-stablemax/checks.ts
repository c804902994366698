// The pass rules: ⊥AdamW generalises, plain softmax memorises and drifts along θ (evidence,
// one seed); over every seed, collapse grows in a longer plain run, the samples whose gradient
// the backward pass zeroes are exactly the collapsed ones, and the log-softmax run stalls where
// the absorption-free float64 run from the same θ₀ keeps lowering the loss (evidence).
import { tInterval } from "../../metrics/intervals";
import { above, evidence } from "../checks";
import { pairedCheck } from "../protocol";
import { Check } from "../types";
import { GrokkingConfig, GrokkingResult, Row } from "./run";

export const at = (rows: Row[], epoch: number): Row =>
  rows.reduce((best, r) =>
    Math.abs((r.epoch as number) - epoch) < Math.abs((best.epoch as number) - epoch) ? r : best,
  );
export const num = (r: Row, k: string) => r[k] as number;
export const fmt = (v: number) => Number(v.toPrecision(3));

/** Mean NLM cosine of the plain softmax run over epochs lo..hi, and its value at init. */
export function nlmWindow(
  r: GrokkingResult,
  cfg: GrokkingConfig,
): { lo: number; hi: number; mean: number; init: number } {
  const s = r.runs.softmax;
  const lo = 200;
  const hi = Math.min(1000, cfg.softmax.epochs);
  const win = s.filter((x) => num(x, "epoch") >= lo && num(x, "epoch") <= hi);
  return {
    lo,
    hi,
    mean: win.length ? win.reduce((a, x) => a + num(x, "cosine"), 0) / win.length : NaN,
    init: num(s[0], "cosine"),
  };
}

export function grokkingChecks(r: GrokkingResult, cfg: GrokkingConfig): Check[] {
  const out: Check[] = [];
  const o = at(r.runs["⊥AdamW"], 500);
  out.push(
    evidence(
      `⊥AdamW generalises with little delay: at epoch ${o.epoch} test ≥ 0.75 and |train − test| ≤ 0.15 (1 seed)`,
      `test ${fmt(num(o, "testAcc"))}, train ${fmt(num(o, "trainAcc"))}`,
      "test ≥ 0.75, gap ≤ 0.15",
      num(o, "testAcc") >= 0.75 && Math.abs(num(o, "trainAcc") - num(o, "testAcc")) <= 0.15,
      { figure: "grokking-accuracy" },
    ),
  );
  const s500 = at(r.runs.softmax, 500);
  out.push(
    evidence(
      `Plain softmax memorises without generalising: at epoch ${s500.epoch} train = 1, test ≤ 0.05 (1 seed)`,
      `train ${fmt(num(s500, "trainAcc"))}, test ${fmt(num(s500, "testAcc"))}`,
      "train = 1, test ≤ 0.05",
      num(s500, "trainAcc") === 1 && num(s500, "testAcc") <= 0.05,
      { figure: "grokking-accuracy" },
    ),
  );
  const w = nlmWindow(r, cfg);
  out.push(
    evidence(
      `Plain softmax drifts along θ (NLM): mean cos(−∇L, θ) over epochs ${w.lo}–${w.hi} ≥ 0.6, |cos| < 0.1 at init (1 seed)`,
      `mean ${fmt(w.mean)}, init ${fmt(w.init)}`,
      "≥ 0.6 and |init| < 0.1",
      w.mean >= 0.6 && Math.abs(w.init) < 0.1,
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
