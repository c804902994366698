// The pass rules: ⊥AdamW generalises, plain softmax memorises and drifts along θ, collapse
// grows in a longer plain run (evidence, one seed); StableMax's own-normaliser collapse stays
// 0 and the precision study's onsets are ordered by significand bits (sanity: by construction).
import { evidence, sanity } from "../checks";
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
  const c = r.runs["long softmax"];
  if (c && cfg.collapse) {
    const peak = Math.max(...c.map((x) => num(x, "collapse")));
    out.push(
      evidence(
        `Softmax collapse grows in a longer plain run (lr ${cfg.collapse.lr}, ${cfg.collapse.epochs} epochs): peak float32 SC fraction ≥ 0.3 (1 seed)`,
        fmt(peak),
        "≥ 0.3",
        peak >= 0.3,
        { figure: "grokking-collapse" },
      ),
    );
  }
  const smMax = Math.max(...r.runs.StableMax.map((x) => num(x, "collapse")));
  out.push(
    sanity(
      `StableMax: collapse in its own normaliser (Σ s_j / s_max = 1 in float32) stays 0 throughout (${cfg.stablemax.epochs} epochs); StableMax grows linearly, so this holds far beyond these logits`,
      smMax,
      "= 0 at every logged epoch",
      smMax === 0,
      { figure: "grokking-collapse" },
    ),
  );
  // Consistency of the precision study: fewer significand bits never collapse later.
  const ord = [...r.onsets]
    .sort((a, b) => num(a, "bits") - num(b, "bits"))
    .map((x) => (Number.isFinite(num(x, "onsetEpoch")) ? num(x, "onsetEpoch") : Infinity));
  out.push(
    sanity(
      `Precision study: lower precision collapses no later (onset = first epoch with SC ≥ ${cfg.onsetFraction}; the same logits re-measured in each format, so the order follows from the rounding thresholds)`,
      r.onsets.map((x) => `${x.precision} ${Number.isFinite(num(x, "onsetEpoch")) ? x.onsetEpoch : "none"}`).join(", "),
      "onset non-decreasing in significand bits",
      ord.every((v, i) => i === 0 || v >= ord[i - 1]),
      { figure: "grokking-precision" },
    ),
  );
  return out;
}
