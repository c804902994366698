// Grokking at the edge of numerical stability (Prieto et al., ICLR 2025): modular addition,
// bias-free ReLU MLP, full batch, Adam(W) with wd 0. Plain softmax memorises and drifts
// along θ (NLM) into softmax collapse; ⊥AdamW generalises early; StableMax never collapses.
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../nn/backend";
import { modularArithmetic } from "../../data/modular";
import { toMl } from "../../linalg/convert";
import { collapseGap, FloatPrecision, nlmCosine, significandBits, softmaxCollapse, stablemaxCollapse, stablemaxLoss } from "../../metrics/stablemax";
import { crossEntropy } from "../../nn/losses";
import { MLP } from "../../nn/mlp";
import { AdamW } from "../../optim/orthograd";
import { seed } from "../../core/random";
import { check, Check, Experiment, ExperimentResult, RunOptions } from "../../core/types";

export interface GrokkingConfig {
  /** Modulus (prime); inputs are the concatenated one-hots of a and b (2p features). */
  p: number;
  trainFraction: number;
  hidden: number[];
  /** Adam(W) settings shared by every run (card: β=(0.9, 0.99), eps 1e-25, wd 0). */
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Plain softmax run (rules 2–3): lr and epochs. */
  softmax: { lr: number; epochs: number };
  /** ⊥AdamW run (rule 1). */
  ortho: { lr: number; epochs: number };
  /** StableMax run (rule 5); grokking itself needs ~1e5 epochs (size full only). */
  stablemax: { lr: number; beta2: number; epochs: number };
  /** Longer plain run at a larger lr where softmax collapse grows (rule 4); null skips it. */
  collapse: { lr: number; epochs: number } | null;
  /** Log (read back, measure) every this many epochs. */
  logEvery: number;
  /** Formats the softmax-collapse measurement is emulated in (precision study). */
  precisions: FloatPrecision[];
  /** Collapse onset = first logged epoch with collapsed fraction ≥ this. */
  onsetFraction: number;
  seed: number;
}

type Method = "softmax" | "⊥AdamW" | "StableMax" | "long softmax";
type Row = Record<string, number | string>;

interface RunSpec {
  method: Method;
  loss: "softmax" | "stablemax";
  orthogonal: boolean;
  lr: number;
  beta2: number;
  epochs: number;
}

const base: GrokkingConfig = {
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
  seed: 42,
};

// tfjs-wasm runs matMul with transpose flags (what the default matMul gradient uses) ~10×
// slower than an explicit transpose followed by a plain matMul, so the backward pass
// here transposes explicitly; the input layer's dX is never needed and is skipped.
type MatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
const matMulT: MatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as MatMul;
const matMulInput: MatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa]: tf.Tensor[]) => [tf.zerosLike(sa), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as MatMul;

/** Bias-free ReLU MLP forward over the MLP's weights ([in, out]), wasm-friendly backward. */
function forward(model: MLP, x: tf.Tensor2D): tf.Tensor2D {
  const W = model.weights;
  let h = matMulInput(x, W[0]);
  for (let l = 1; l < W.length; l++) h = matMulT(tf.relu(h), W[l]);
  return h;
}

/** One full-batch training run; returns one row per logged epoch (epoch 0 = init). */
async function trainRun(cfg: GrokkingConfig, spec: RunSpec, precisionRows: Row[] | null, onProgress?: RunOptions["onProgress"]): Promise<{ rows: Row[]; seconds: number }> {
  const { train, test } = modularArithmetic({ p: cfg.p, op: "add", trainFraction: cfg.trainFraction, seed: cfg.seed });
  seed(cfg.seed); // same θ₀ for every method
  const model = new MLP({ sizes: [2 * cfg.p, ...cfg.hidden, cfg.p], activation: "relu", bias: false, init: "torch" });
  const opt = new AdamW({ lr: spec.lr, beta1: cfg.beta1, beta2: spec.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay, orthogonal: spec.orthogonal });
  const x = tf.tensor2d(train.x, [train.n, train.dim]);
  const y = tf.tensor1d(train.y, "int32");
  const xt = tf.tensor2d(test.x, [test.n, test.dim]);
  const yt = tf.tensor1d(test.y, "int32");
  const vars = model.variables();
  const named: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, v]));
  const lossFn = spec.loss === "stablemax" ? stablemaxLoss : crossEntropy;
  const rows: Row[] = [];
  const t0 = Date.now();
  try {
    for (let epoch = 0; epoch <= spec.epochs; epoch++) {
      const log = epoch % cfg.logEvery === 0 || epoch === spec.epochs;
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => lossFn(forward(model, x), y), vars);
        if (log) rows.push(measure(cfg, spec, epoch, model, x, train.y, xt, yt, value, grads, named, precisionRows));
        if (epoch < spec.epochs) opt.applyGradients(grads);
      });
      if (log) {
        const r = rows[rows.length - 1];
        onProgress?.({ label: spec.method, step: epoch, total: spec.epochs, values: { trainAcc: r.trainAcc as number, testAcc: r.testAcc as number, collapse: r.collapse as number } });
        await new Promise((res) => setImmediate(res)); // let a notebook redraw progress
      }
    }
  } finally {
    model.dispose();
    opt.dispose();
    tf.dispose([x, y, xt, yt]);
  }
  return { rows, seconds: (Date.now() - t0) / 1000 };
}

/** The logger: accuracies, loss, softmax collapse (float32 + emulated formats), NLM cosine. */
function measure(
  cfg: GrokkingConfig, spec: RunSpec, epoch: number, model: MLP, x: tf.Tensor2D, yTrain: Int32Array,
  xt: tf.Tensor2D, yt: tf.Tensor1D, value: tf.Scalar, grads: tf.NamedTensorMap, named: tf.NamedTensorMap, precisionRows: Row[] | null,
): Row {
  const logits = forward(model, x);
  const z = toMl(logits, "logits");
  const trainAcc = tf.mean(tf.equal(tf.argMax(logits, 1), tf.tensor1d(yTrain, "int32")).toFloat()).dataSync()[0];
  const testAcc = tf.mean(tf.equal(tf.argMax(forward(model, xt), 1), yt).toFloat()).dataSync()[0];
  const sc = softmaxCollapse(z, yTrain);
  // Collapse in the run's own normaliser (what stops the gradient); for softmax runs the same.
  const own = spec.loss === "stablemax" ? stablemaxCollapse(z, yTrain) : sc;
  // Median logit gap (correct − best other) on the train set: collapse needs gap ≳ ln2·bits.
  const gaps: number[] = [];
  for (let i = 0; i < z.rows; i++) {
    let other = -Infinity;
    for (let j = 0; j < z.columns; j++) if (j !== yTrain[i] && z.get(i, j) > other) other = z.get(i, j);
    gaps.push(z.get(i, yTrain[i]) - other);
  }
  gaps.sort((a, b) => a - b);
  if (precisionRows) {
    for (const precision of cfg.precisions) {
      const f = precision === "float32" ? sc : softmaxCollapse(z, yTrain, { precision });
      precisionRows.push({ precision, bits: significandBits(precision), epoch, collapse: f.collapsedFraction });
    }
  }
  return {
    method: spec.method, epoch, trainAcc, testAcc, loss: value.dataSync()[0],
    collapse: own.collapsedFraction, zeroLoss: own.zeroLossFraction, softmaxCollapse: sc.collapsedFraction, cosine: nlmCosine(grads, named),
    medianGap: gaps[Math.floor(gaps.length / 2)],
    weightNorm: Math.sqrt(model.variables().reduce((a, v) => a + tf.sum(tf.square(v)).dataSync()[0], 0)),
  };
}

const at = (rows: Row[], epoch: number): Row => rows.reduce((best, r) => (Math.abs((r.epoch as number) - epoch) < Math.abs((best.epoch as number) - epoch) ? r : best));
const num = (r: Row, k: string) => r[k] as number;
const fmt = (v: number) => Number(v.toPrecision(3));

function checks(cfg: GrokkingConfig, runs: Record<string, Row[]>, onsets: Row[]): Check[] {
  const out: Check[] = [];
  const o = at(runs["⊥AdamW"], 500);
  out.push(check(
    `⊥AdamW generalises with little delay: at epoch ${o.epoch} test ≥ 0.75 and |train − test| ≤ 0.15`,
    `test ${fmt(num(o, "testAcc"))}, train ${fmt(num(o, "trainAcc"))}`, "test ≥ 0.75, gap ≤ 0.15",
    num(o, "testAcc") >= 0.75 && Math.abs(num(o, "trainAcc") - num(o, "testAcc")) <= 0.15,
  ));
  const s = runs.softmax;
  const s500 = at(s, 500);
  out.push(check(
    `Plain softmax memorises without generalising: at epoch ${s500.epoch} train = 1, test ≤ 0.05`,
    `train ${fmt(num(s500, "trainAcc"))}, test ${fmt(num(s500, "testAcc"))}`, "train = 1, test ≤ 0.05",
    num(s500, "trainAcc") === 1 && num(s500, "testAcc") <= 0.05,
  ));
  const lo = 200;
  const hi = Math.min(1000, cfg.softmax.epochs);
  const win = s.filter((r) => num(r, "epoch") >= lo && num(r, "epoch") <= hi);
  const meanCos = win.length ? win.reduce((a, r) => a + num(r, "cosine"), 0) / win.length : NaN;
  const cos0 = num(s[0], "cosine");
  out.push(check(
    `Plain softmax drifts along θ (NLM): mean cos(−∇L, θ) over epochs ${lo}–${hi} ≥ 0.6, |cos| < 0.1 at init`,
    `mean ${fmt(meanCos)}, init ${fmt(cos0)}`, "≥ 0.6 and |init| < 0.1",
    meanCos >= 0.6 && Math.abs(cos0) < 0.1,
  ));
  const c = runs["long softmax"];
  if (c && cfg.collapse) {
    const peak = Math.max(...c.map((r) => num(r, "collapse")));
    out.push(check(
      `Softmax collapse grows in a longer plain run (lr ${cfg.collapse.lr}, ${cfg.collapse.epochs} epochs): peak float32 SC fraction ≥ 0.3`,
      fmt(peak), "≥ 0.3", peak >= 0.3,
    ));
  }
  const sm = runs.StableMax;
  const smMax = Math.max(...sm.map((r) => num(r, "collapse")));
  out.push(check(
    `StableMax: softmax collapse stays 0 throughout (${cfg.stablemax.epochs} epochs)`,
    smMax, "= 0 at every logged epoch", smMax === 0,
  ));
  // Consistency of the precision study: fewer significand bits never collapse later.
  const ord = [...onsets].sort((a, b) => num(a, "bits") - num(b, "bits")).map((r) => (Number.isFinite(num(r, "onsetEpoch")) ? num(r, "onsetEpoch") : Infinity));
  out.push(check(
    `Precision study: lower precision collapses no later (onset = first epoch with SC ≥ ${cfg.onsetFraction})`,
    onsets.map((r) => `${r.precision} ${Number.isFinite(num(r, "onsetEpoch")) ? r.onsetEpoch : "none"}`).join(", "),
    "onset non-decreasing in significand bits", ord.every((v, i) => i === 0 || v >= ord[i - 1]),
  ));
  return out;
}

export const grokking: Experiment<GrokkingConfig> = {
  name: "grokking-stablemax",
  paper: "Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. ICLR 2025 (arXiv 2501.04697)",
  claim: "Without regularisation, softmax cross-entropy drives the logits along θ until float rounding zeroes the gradient (softmax collapse); ⊥Grad removes that direction and generalises early, and StableMax never collapses.",
  presets: {
    smoke: { ...base, p: 23, hidden: [64, 64], softmax: { lr: 0.005, epochs: 200 }, ortho: { lr: 0.005, epochs: 200 }, stablemax: { lr: 0.01, beta2: 0.999, epochs: 100 }, collapse: null, logEvery: 20 },
    default: base,
    // Paper scale (Fig. 1: p = 113, [200, 200]; StableMax lr 0.01, β₂ 0.999, 80k epochs;
    // card: SC ≈ .5 near epoch 3750 at lr 0.005). Hours on wasm: not run in CI.
    full: { ...base, p: 113, hidden: [200, 200], softmax: { lr: 0.005, epochs: 2000 }, ortho: { lr: 0.005, epochs: 500 }, stablemax: { lr: 0.01, beta2: 0.999, epochs: 80000 }, collapse: { lr: 0.005, epochs: 5000 }, logEvery: 50 },
  },
  async run(cfg: GrokkingConfig, opts: RunOptions = {}): Promise<ExperimentResult> {
    await backendReady();
    seed(cfg.seed);
    const common = { beta2: cfg.beta2 };
    const specs: RunSpec[] = [
      { method: "softmax", loss: "softmax", orthogonal: false, ...cfg.softmax, ...common },
      { method: "⊥AdamW", loss: "softmax", orthogonal: true, ...cfg.ortho, ...common },
      { method: "StableMax", loss: "stablemax", orthogonal: false, ...cfg.stablemax },
    ];
    if (cfg.collapse) specs.push({ method: "long softmax", loss: "softmax", orthogonal: false, ...cfg.collapse, ...common });
    // The precision study reads the run where collapse goes furthest: the long run if any.
    const precisionMethod: Method = cfg.collapse ? "long softmax" : "softmax";
    const precisionRows: Row[] = [];
    const runs: Record<string, Row[]> = {};
    const timing: Row[] = [];
    for (const spec of specs) {
      const r = await trainRun(cfg, spec, spec.method === precisionMethod ? precisionRows : null, opts.onProgress);
      runs[spec.method] = r.rows;
      timing.push({ method: spec.method, epochs: spec.epochs, seconds: r.seconds, epochsPerSecond: spec.epochs / r.seconds });
    }
    const onsets: Row[] = cfg.precisions.map((precision) => {
      const hit = precisionRows.find((r) => r.precision === precision && num(r, "collapse") >= cfg.onsetFraction);
      return { precision, bits: significandBits(precision), gapThreshold: collapseGap(precision), onsetEpoch: hit ? num(hit, "epoch") : NaN };
    });
    const history = Object.values(runs).flat();
    const last = (m: string) => runs[m][runs[m].length - 1];
    const summary: Record<string, number | string> = { p: cfg.p, trainExamples: Math.round(cfg.p * cfg.p * cfg.trainFraction), hidden: cfg.hidden.join("×"), precisionRun: precisionMethod };
    for (const m of Object.keys(runs)) {
      summary[`${m}: final train/test`] = `${fmt(num(last(m), "trainAcc"))} / ${fmt(num(last(m), "testAcc"))}`;
      summary[`${m}: final SC`] = fmt(num(last(m), "collapse"));
    }
    // Timing lives in series (not summary) so the summary stays reproducible run to run.
    return { series: { history, precision: precisionRows, onsets, timing }, checks: checks(cfg, runs, onsets), summary };
  },
};
