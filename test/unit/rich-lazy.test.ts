import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { svd } from "../../src/linalg";
import { gaussianRecurrentInit, lowRankInit, taskAlignedLowRankInit } from "../../src/nn/init";
import { kernelAlignment, representationAlignment, tangentKernel } from "../../src/metrics/alignment";
import { relativeWeightChange } from "../../src/metrics/spectral";
import { hiddenAt, ReluRNN, rnnLoss } from "../../src/nn/rnn";
import { trainRNN } from "../../src/train/rnn";
import { delayedMatchToSample, neuroTask, perceptualDecision } from "../../src/data/neuro-tasks";
import { InitlabInputError } from "../../src/core/validate";
import { Rng, seed } from "../../src/core/random";

const fx = JSON.parse(fs.readFileSync(__dirname + "/../fixtures/rich_lazy.json", "utf8"));

const fro = (m: number[][]) => Math.sqrt(m.flat().reduce((s, v) => s + v * v, 0));
function close(a: number[], b: number[], tol: number, msg: string) {
  assert.equal(a.length, b.length, msg + " length");
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${msg}[${i}]: ${v} vs ${b[i]}`),
  );
}
const gauss = (r: number, c: number, s: number) => {
  const g = new Rng(s);
  return Array.from({ length: r }, () => Array.from({ length: c }, () => g.normal()));
};

// ---- lowRankInit -----------------------------------------------------------------------
for (const [r, c, rank] of [
  [8, 8, 1],
  [8, 8, 3],
  [8, 8, 8],
  [7, 5, 2],
  [4, 9, 4],
] as const) {
  test(`lowRankInit(${r}×${c}, rank ${rank}) has rank exactly ${rank} and the same Frobenius norm`, () => {
    const w = gauss(r, c, 10 + rank);
    const lr = lowRankInit(w, rank);
    assert.ok(Array.isArray(lr));
    const s = svd(lr).S;
    assert.ok(s[rank - 1] > 1e-6 * s[0], `σ_${rank} = ${s[rank - 1]} should be non-zero`);
    for (let k = rank; k < s.length; k++) assert.ok(s[k] < 1e-10 * s[0], `σ_${k + 1} = ${s[k]} should vanish`);
    assert.ok(Math.abs(fro(lr) - fro(w)) < 1e-10 * fro(w));
  });
}

test("lowRankInit matches the numpy SVD-truncate-and-rescale fixture", () => {
  const out = lowRankInit(fx.lowrank.w as number[][], fx.lowrank.rank);
  close(out.flat(), (fx.lowrank.expected as number[][]).flat(), 1e-10, "W_r");
});

test("lowRankInit returns a tf.Tensor2D for tensor input (float32, same values)", async () => {
  await backendReady();
  const w = gauss(6, 6, 3);
  const t = tf.tensor2d(w);
  const out = lowRankInit(t, 2);
  assert.ok(out instanceof tf.Tensor);
  assert.deepEqual(out.shape, [6, 6]);
  close(Array.from(out.dataSync()), lowRankInit(t.arraySync(), 2).flat(), 1e-5, "tensor vs array");
  t.dispose();
  out.dispose();
});

test("gaussianRecurrentInit: seeded, entries with std gain/√N", () => {
  seed(4);
  const a = gaussianRecurrentInit(100, { gain: 1.25 });
  seed(4);
  const b = gaussianRecurrentInit(100, { gain: 1.25 });
  assert.deepEqual(a, b);
  const v = a.flat();
  const sd = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  assert.ok(Math.abs(sd - 0.125) < 0.005, `std ${sd}`);
});

test("taskAlignedLowRankInit: rank r, norm, and W maps input direction k onto output direction k", () => {
  const N = 10;
  const inD = gauss(N, 3, 1);
  const outD = gauss(N, 3, 2);
  for (const r of [1, 2, 3]) {
    const w = taskAlignedLowRankInit({ inputDirs: inD, outputDirs: outD, rank: r, norm: 5 });
    const s = svd(w).S;
    assert.ok(Math.abs(fro(w) - 5) < 1e-10);
    for (let k = 0; k < r; k++) assert.ok(Math.abs(s[k] - 5 / Math.sqrt(r)) < 1e-9, "equal singular values");
    for (let k = r; k < N; k++) assert.ok(s[k] < 1e-9);
  }
  // Rank 1: W v = (norm) u with v, u the normalized first columns.
  const w = taskAlignedLowRankInit({ inputDirs: inD, outputDirs: outD, rank: 1, norm: 2 });
  const v = inD.map((row) => row[0]);
  const u = outD.map((row) => row[0]);
  const nv = Math.hypot(...v),
    nu = Math.hypot(...u);
  const wv = w.map((row) => row.reduce((s, x, j) => s + (x * v[j]) / nv, 0));
  close(
    wv,
    u.map((x) => (2 * x) / nu),
    1e-10,
    "W v₁ = 2 u₁",
  );
});

// ---- alignment -------------------------------------------------------------------------
test("kernelAlignment: KA(K, cK) = 1, KA(diag(1,0), diag(0,1)) = 0, matches numpy", () => {
  const k = fx.alignment.k0 as number[][];
  for (const c of [0.5, 3, 1e4])
    assert.ok(
      Math.abs(
        kernelAlignment(
          k,
          k.map((r) => r.map((v) => c * v)),
        ) - 1,
      ) < 1e-12,
    );
  assert.equal(
    kernelAlignment(
      [
        [1, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 1],
      ],
    ),
    0,
  );
  assert.ok(Math.abs(kernelAlignment(fx.alignment.k0, fx.alignment.k1) - fx.alignment.ka) < 1e-12);
});

test("representationAlignment: RA(H, H) = 1, RA(H, 2H) = 1, matches numpy (different widths)", () => {
  const h = fx.alignment.h0 as number[][];
  assert.ok(Math.abs(representationAlignment(h, h) - 1) < 1e-12);
  assert.ok(
    Math.abs(
      representationAlignment(
        h,
        h.map((r) => r.map((v) => 2 * v)),
      ) - 1,
    ) < 1e-12,
  );
  assert.ok(Math.abs(representationAlignment(fx.alignment.h0, fx.alignment.h1) - fx.alignment.ra) < 1e-12);
});

// ---- tangent kernel --------------------------------------------------------------------
const ntk = fx.ntk;
const ntkInputs = {
  x: ntk.x as number[],
  steps: ntk.steps as number,
  batch: ntk.batch as number,
  inputSize: ntk.inputSize as number,
};
for (const [name, c] of Object.entries(ntk.cases) as Array<
  [string, { params: Array<"recurrent" | "input" | "readout">; steps: number[]; K: number[][] }]
>) {
  test(`tangentKernel equals J Jᵀ from numpy float64 finite differences (${name})`, () => {
    const K = tangentKernel({ wIn: ntk.wIn, w: ntk.w, wOut: ntk.wOut }, ntkInputs, {
      params: c.params,
      steps: c.steps,
    });
    close(K.flat(), c.K.flat(), 1e-6, name);
  });
}

test("tangentKernel of a ReluRNN agrees with finite differences of its tfjs forward (float32)", async () => {
  await backendReady();
  const N = 5,
    I = 3,
    O = 3;
  const net = new ReluRNN({
    inputSize: I,
    hiddenSize: N,
    outputSize: O,
    recurrent: gauss(N, N, 27).map((r) => r.map((v) => 0.4 * v)),
    input: gauss(N, I, 28),
    readout: gauss(O, N, 29),
  });
  const batch = perceptualDecision.sample(2, new Rng(3));
  const x = tf.tensor3d(batch.x, [batch.steps, batch.batch, I]);
  const w0 = net.w.arraySync();
  const eps = 1e-3;
  // Finite differences are only valid away from ReLU kinks: every pre-activation must stay
  // on its side under a ±eps change of one weight (|Δa| ≤ eps·max|h| here).
  const win = net.wIn.arraySync();
  let minA = Infinity,
    maxH = 0;
  for (let b = 0; b < 2; b++) {
    let h = new Array(N).fill(0);
    for (let t = 0; t < 8; t++) {
      const a = w0.map(
        (row, i) =>
          row.reduce((s, v, j) => s + v * h[j], 0) +
          win[i].reduce((s, v, j) => s + v * batch.x[(t * 2 + b) * 3 + j], 0),
      );
      minA = Math.min(minA, ...a.map(Math.abs));
      h = a.map((v) => Math.max(0, v));
      maxH = Math.max(maxH, ...h);
    }
  }
  assert.ok(minA > 20 * eps * Math.max(1, maxH), `test setup: pre-activation ${minA} too close to a kink`);
  const rows = (): number[] => tf.tidy(() => Array.from(net.forward(x).logits.dataSync())); // (step, trial, output) order
  const J: number[][] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const set = (d: number) =>
        net.w.assign(tf.tensor2d(w0.map((r, a) => r.map((v, b) => (a === i && b === j ? v + d : v)))));
      set(eps);
      const yp = rows();
      set(-eps);
      const ym = rows();
      J.push(yp.map((v, k) => (v - ym[k]) / (2 * eps)));
    }
  }
  net.w.assign(tf.tensor2d(w0));
  const R = J[0].length;
  const Kfd = Array.from({ length: R }, (_, r) =>
    Array.from({ length: R }, (_, s) => J.reduce((acc, col) => acc + col[r] * col[s], 0)),
  );
  const K = tangentKernel(net, batch);
  const scale = Math.max(...Kfd.flat().map(Math.abs));
  assert.ok(scale > 0.1, "test setup: kernel must not vanish");
  K.flat().forEach((v, q) =>
    assert.ok(Math.abs(v - Kfd.flat()[q]) < 2e-3 * scale, `K[${q}] ${v} vs fd ${Kfd.flat()[q]}`),
  );
  x.dispose();
  net.dispose();
});

// ---- RNN training ----------------------------------------------------------------------
test("hand-written BPTT gradient equals tfjs autograd through the plain-op forward", async () => {
  await backendReady();
  seed(11);
  const net = new ReluRNN({ inputSize: 3, hiddenSize: 6, outputSize: 3 });
  const b = delayedMatchToSample.sample(4, new Rng(2));
  const x = tf.tensor3d(b.x, [b.steps, b.batch, 3]);
  const y = tf.tensor1d(b.y, "int32");
  const vars = net.variables();
  const custom = tf.variableGrads(() => rnnLoss(net, x, y), vars);
  const plain = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const { logits } = net.forward(x);
        const lp = tf.logSoftmax(tf.reshape(logits, [b.steps * b.batch, 3]));
        return tf.neg(tf.mean(tf.sum(tf.mul(lp, tf.oneHot(y, 3)), 1))) as tf.Scalar;
      }),
    vars,
  );
  assert.ok(Math.abs(custom.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-6);
  for (const v of vars)
    close(Array.from(custom.grads[v.name].dataSync()), Array.from(plain.grads[v.name].dataSync()), 1e-5, v.name);
  net.dispose();
});

test("ΔW = 0 at learning rate 0; training is seeded and lowers the loss", async () => {
  await backendReady();
  seed(5);
  const w0 = gaussianRecurrentInit(24);
  const mk = () => {
    seed(6);
    return new ReluRNN({ inputSize: 3, hiddenSize: 24, outputSize: 3, recurrent: w0 });
  };
  const a = mk();
  const before = a.weights(); // float32 values as stored
  const r0 = await trainRNN(a, perceptualDecision, { iterations: 20, batchSize: 8, lr: 0, seed: 1, logEvery: 10 });
  assert.equal(r0.diverged, false);
  const after = a.weights();
  assert.equal(relativeWeightChange(before.w, after.w), 0);
  assert.deepEqual(after, before, "no weight moves at lr 0");
  a.dispose();
  const runs = [mk(), mk()];
  const res = [];
  for (const n of runs)
    res.push(
      await trainRNN(n, perceptualDecision, { iterations: 120, batchSize: 16, lr: 0.01, seed: 2, logEvery: 40 }),
    );
  assert.deepEqual(runs[0].w.arraySync(), runs[1].w.arraySync(), "same seed, same weights");
  assert.ok(res[0].losses[2].loss < res[0].losses[0].loss, `loss ${res[0].losses.map((l) => l.loss)}`);
  assert.ok(relativeWeightChange(w0, runs[0].w.arraySync()) > 0);
  runs.forEach((n) => n.dispose());
});

test("NaN guard: a blown-up run stops and reports divergence instead of throwing", async () => {
  await backendReady();
  seed(9);
  const net = new ReluRNN({ inputSize: 3, hiddenSize: 16, outputSize: 3, gain: 30 });
  const r = await trainRNN(net, perceptualDecision, { iterations: 200, batchSize: 8, lr: 1e6, seed: 1, logEvery: 5 });
  assert.equal(r.diverged, true);
  assert.ok(r.divergedAt !== null && r.divergedAt <= 200 && r.iterationsRun === r.divergedAt);
  net.dispose();
});

// ---- tasks -----------------------------------------------------------------------------
test("tasks: seeded, shaped, labelled as specified", () => {
  for (const task of [perceptualDecision, delayedMatchToSample]) {
    const a = task.sample(50, new Rng(1));
    const b = task.sample(50, new Rng(1));
    assert.deepEqual(a, b);
    assert.equal(a.x.length, 8 * 50 * 3);
    for (let bb = 0; bb < 50; bb++) {
      for (let t = 0; t < 7; t++) {
        assert.equal(a.y[t * 50 + bb], 0);
        assert.equal(a.x[(t * 50 + bb) * 3], 1, "fixation on before the decision");
      }
      assert.equal(a.y[7 * 50 + bb], a.choice[bb]);
      assert.ok([1, 2].includes(a.choice[bb]));
      for (let i = 0; i < 3; i++) assert.equal(a.x[(7 * 50 + bb) * 3 + i], 0, "no input at the decision step");
    }
  }
  // 2AF: averaged over the stimulus period, the correct stimulus is larger on most trials.
  const p = perceptualDecision.sample(400, new Rng(2));
  let agree = 0;
  for (let b = 0; b < 400; b++) {
    let d = 0;
    for (let t = 0; t < 7; t++) d += p.x[(t * 400 + b) * 3 + 1] - p.x[(t * 400 + b) * 3 + 2];
    if ((d > 0 ? 1 : 2) === p.choice[b]) agree++;
  }
  assert.ok(agree / 400 > 0.75 && agree / 400 < 0.98, `agreement ${agree / 400}`);
  // DMS: label 1 exactly when the sample and test stimuli match.
  const m = delayedMatchToSample.sample(200, new Rng(3));
  for (let b = 0; b < 200; b++) {
    const s = m.x[(0 * 200 + b) * 3 + 1] > m.x[(0 * 200 + b) * 3 + 2];
    const t = m.x[(6 * 200 + b) * 3 + 1] > m.x[(6 * 200 + b) * 3 + 2];
    assert.equal(m.choice[b], s === t ? 1 : 2);
  }
});

test("RNN construction, training and probes leave no tensors behind", async () => {
  await backendReady();
  seed(2);
  const before = tf.memory().numTensors;
  const net = new ReluRNN({ inputSize: 3, hiddenSize: 6, outputSize: 3 });
  await trainRNN(net, delayedMatchToSample, { iterations: 6, batchSize: 4, lr: 0.01, seed: 1, logEvery: 3 });
  const b = delayedMatchToSample.sample(3, new Rng(1));
  hiddenAt(net, b, 7);
  tangentKernel(net, b, { steps: [7] });
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("hiddenAt returns trials × N non-negative states", async () => {
  await backendReady();
  seed(1);
  const net = new ReluRNN({ inputSize: 3, hiddenSize: 7, outputSize: 3 });
  const h = hiddenAt(net, perceptualDecision.sample(5, new Rng(1)), 7);
  assert.equal(h.length, 5);
  assert.equal(h[0].length, 7);
  assert.ok(h.flat().every((v) => v >= 0));
  net.dispose();
});

// ---- bad inputs ------------------------------------------------------------------------
const tiny = {
  wIn: [
    [1, 0],
    [0, 1],
  ],
  w: [
    [0.1, 0],
    [0, 0.1],
  ],
  wOut: [[1, 1]],
};
const tinyIn = { x: [1, 1, 1, 1], steps: 2, batch: 1, inputSize: 2 };
const bad: Array<[string, () => unknown, RegExp]> = [
  [
    "lowRankInit rank 0",
    () =>
      lowRankInit(
        [
          [1, 2],
          [3, 4],
        ],
        0,
      ),
    /rank: must be a positive integer/,
  ],
  [
    "lowRankInit rank too large",
    () =>
      lowRankInit(
        [
          [1, 2],
          [3, 4],
        ],
        3,
      ),
    /rank: is 3 but w is 2×2/,
  ],
  [
    "lowRankInit rank above numerical rank",
    () =>
      lowRankInit(
        [
          [1, 2],
          [2, 4],
        ],
        2,
      ),
    /rank: .*numerical rank/,
  ],
  [
    "lowRankInit NaN",
    () =>
      lowRankInit(
        [
          [1, NaN],
          [3, 4],
        ],
        1,
      ),
    /w: entry \[0\]\[1\] is NaN/,
  ],
  [
    "lowRankInit zeros",
    () =>
      lowRankInit(
        [
          [0, 0],
          [0, 0],
        ],
        1,
      ),
    /w: is all zeros/,
  ],
  ["lowRankInit empty", () => lowRankInit([], 1), /w: is empty/],
  [
    "taskAligned dependent columns",
    () =>
      taskAlignedLowRankInit({
        inputDirs: [
          [1, 2],
          [1, 2],
          [0, 0],
        ],
        outputDirs: [
          [1, 0],
          [0, 1],
          [0, 0],
        ],
        rank: 2,
        norm: 1,
      }),
    /opts.inputDirs: column 1/,
  ],
  [
    "taskAligned row mismatch",
    () => taskAlignedLowRankInit({ inputDirs: [[1], [0]], outputDirs: [[1], [0], [0]], rank: 1, norm: 1 }),
    /opts.outputDirs: has 3 rows/,
  ],
  [
    "taskAligned unknown option",
    () => taskAlignedLowRankInit({ inputDirs: [[1]], outputDirs: [[1]], rank: 1, norm: 1, gain: 2 } as never),
    /opts: unknown option "gain"/,
  ],
  [
    "KA shape mismatch",
    () =>
      kernelAlignment(
        [
          [1, 0],
          [0, 1],
        ],
        [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      ),
    /k1: shape 3×3 does not match k0's 2×2/,
  ],
  [
    "KA non-square",
    () =>
      kernelAlignment(
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    /k0: must be a square kernel/,
  ],
  [
    "KA zero kernel",
    () =>
      kernelAlignment(
        [
          [0, 0],
          [0, 0],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    /k0: is all zeros/,
  ],
  [
    "KA Inf",
    () =>
      kernelAlignment(
        [
          [Infinity, 0],
          [0, 1],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    /k0: entry \[0\]\[0\] is Infinity/,
  ],
  [
    "RA row mismatch",
    () =>
      representationAlignment(
        [[1, 2]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    /h1: has 2 rows \(trials\) but h0 has 1/,
  ],
  [
    "NTK unknown param",
    () => tangentKernel(tiny, tinyIn, { params: ["bias" as never] }),
    /opts.params: unknown parameter "bias"/,
  ],
  [
    "NTK step out of range",
    () => tangentKernel(tiny, tinyIn, { steps: [2] }),
    /opts.steps: entry 2 is outside \[0, 2\)/,
  ],
  [
    "NTK x length",
    () => tangentKernel(tiny, { ...tinyIn, x: [1, 1] }),
    /inputs.x: must have steps·batch·inputSize = 4 entries/,
  ],
  ["NTK x NaN", () => tangentKernel(tiny, { ...tinyIn, x: [1, NaN, 1, 1] }), /inputs.x: entry 1 is NaN/],
  [
    "NTK inputSize",
    () => tangentKernel(tiny, { ...tinyIn, inputSize: 3, x: [1, 1, 1, 1, 1, 1] }),
    /inputs.inputSize: is 3; net.wIn expects 2/,
  ],
  ["NTK unknown option", () => tangentKernel(tiny, tinyIn, { step: [1] } as never), /opts: unknown option "step"/],
  [
    "RNN bad size",
    () => new ReluRNN({ inputSize: 0, hiddenSize: 4, outputSize: 2 }),
    /config.inputSize: must be a positive integer/,
  ],
  [
    "RNN wrong recurrent shape",
    () =>
      new ReluRNN({
        inputSize: 1,
        hiddenSize: 3,
        outputSize: 2,
        recurrent: [
          [1, 0],
          [0, 1],
        ],
      }),
    /config.recurrent: must be 3×3, got 2×2/,
  ],
  [
    "RNN unknown option",
    () => new ReluRNN({ inputSize: 1, hiddenSize: 3, outputSize: 2, bias: true } as never),
    /config: unknown option "bias"/,
  ],
  [
    "task sample unseeded",
    () => perceptualDecision.sample(4, { next: () => 0.5 } as never),
    /rng: must be an initlab Rng/,
  ],
  ["task sample batch 0", () => delayedMatchToSample.sample(0, new Rng(1)), /batch: must be a positive integer/],
  ["unknown task", () => neuroTask("CXT"), /name: unknown task "CXT" \(known: 2AF, DMS\)/],
];
for (const [name, fn, re] of bad) {
  test(`rejects bad input with a named error: ${name}`, () => {
    assert.throws(fn, (e: unknown) => e instanceof InitlabInputError && re.test((e as Error).message));
  });
}

test("trainRNN rejects unknown options and negative learning rates with named errors", async () => {
  await backendReady();
  seed(1);
  const net = new ReluRNN({ inputSize: 3, hiddenSize: 4, outputSize: 3 });
  await assert.rejects(
    trainRNN(net, perceptualDecision, { iterations: 1, batchSize: 2, lr: 0.1, seed: 1, clip: 1 } as never),
    /opts: unknown option "clip"/,
  );
  await assert.rejects(
    trainRNN(net, perceptualDecision, { iterations: 1, batchSize: 2, lr: -1, seed: 1 }),
    /opts.lr: must be a finite number >= 0/,
  );
  await assert.rejects(
    trainRNN(net, delayedMatchToSample, { iterations: 0, batchSize: 2, lr: 0.1, seed: 1 }),
    /opts.iterations: must be a positive integer/,
  );
  net.dispose();
});
