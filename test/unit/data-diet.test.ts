// Data Diet: EL2N hand checks, GraNd closed form vs autograd vs float64 finite differences,
// pruning edge cases, forgetting events, label noise, and named input errors.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { seed } from "../../src/core/random";
import { MLP } from "../../src/nn/mlp";
import { InitlabInputError } from "../../src/core/validate";
import {
  averageOverInits,
  averageScores,
  el2nFromLogits,
  el2nScores,
  grandScores,
  grandScoresAutograd,
  inputNorms,
  pruneByScore,
  PruneOptions,
} from "../../src/metrics/data-diet";
import { forgettingScores, ForgettingTracker } from "../../src/metrics/forgetting";
import { addLabelNoise } from "../../src/data/label-noise";

const named = (re: RegExp) => (e: unknown) => e instanceof InitlabInputError && re.test((e as Error).message);

function close(a: number[], b: number[], rtol: number, msg: string): void {
  assert.equal(a.length, b.length, msg);
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= rtol * Math.max(1e-6, Math.abs(b[i])), `${msg}: entry ${i}: ${v} vs ${b[i]}`),
  );
}

// ---------- EL2N ----------

test("EL2N hand checks", async () => {
  await backendReady();
  const uniform = Array(10).fill(0.1);
  const cases: Array<[string, number[][], number[], number[]]> = [
    [
      "perfect prediction",
      [
        [0, 1, 0],
        [1, 0, 0],
      ],
      [1, 0],
      [0, 0],
    ],
    ["uniform over 10 classes = √0.9", [uniform], [3], [Math.sqrt(0.9)]],
    ["3 classes by hand", [[0.7, 0.2, 0.1]], [0], [Math.sqrt(0.09 + 0.04 + 0.01)]],
    ["all mass on a wrong class = √2", [[0, 0, 1]], [0], [Math.SQRT2]],
  ];
  for (const [name, p, y, want] of cases) close(el2nScores(p, y), want, 1e-12, name);
  assert.ok(Math.abs(el2nScores([uniform], [0])[0] - 0.9487) < 1e-4);
  const t = tf.tensor2d([uniform]);
  close(el2nScores(t, [0]), [Math.sqrt(0.9)], 1e-6, "tensor input");
  close(
    el2nFromLogits(tf.zeros([2, 10]) as tf.Tensor2D, [0, 9]),
    [Math.sqrt(0.9), Math.sqrt(0.9)],
    1e-6,
    "from logits",
  );
});

test("EL2N rejects bad input with named errors", () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["labels length", () => el2nScores([[0.5, 0.5]], [0, 1]), /^labels:/],
    ["NaN probs", () => el2nScores([[NaN, 1]], [0]), /^probs:/],
    ["label out of range", () => el2nScores([[0.5, 0.5]], [2]), /^labels:.*\[0, 2\)/],
    ["negative label", () => el2nScores([[0.5, 0.5]], [-1]), /^labels:/],
    ["fractional label", () => el2nScores([[0.5, 0.5]], [0.5]), /^labels:/],
    ["logits instead of probs", () => el2nScores([[2, -1]], [0]), /^probs:/],
    ["rows not summing to 1", () => el2nScores([[0.2, 0.2]], [0]), /^probs:.*sums/],
    ["empty", () => el2nScores([], []), /^probs:/],
  ];
  for (const [name, f, re] of cases) assert.throws(f, named(re), name);
});

// ---------- GraNd ----------

type Build = () => tf.LayersModel | MLP;
function dense(units: number, activation: string, useBias = true, inputShape?: number[]) {
  return tf.layers.dense({
    units,
    activation: activation as "relu",
    useBias,
    ...(inputShape ? { inputShape } : {}),
    kernelInitializer: tf.initializers.randomNormal({ stddev: 0.7, seed: 7 }),
    biasInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 8 }),
  });
}
const DENSE_MODELS: Array<[string, Build, number[]]> = [
  ["relu + bias, linear out", () => tf.sequential({ layers: [dense(6, "relu", true, [5]), dense(4, "linear")] }), [5]],
  ["tanh, no bias", () => tf.sequential({ layers: [dense(6, "tanh", false, [5]), dense(3, "linear", false)] }), [5]],
  [
    "sigmoid, final softmax folded in",
    () => tf.sequential({ layers: [dense(7, "sigmoid", true, [5]), dense(5, "relu"), dense(3, "softmax")] }),
    [5],
  ],
  [
    "flatten input",
    () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 3] }), dense(4, "relu"), dense(3, "linear")] }),
    [2, 3],
  ],
  [
    "frozen first layer",
    () => {
      const m = tf.sequential({ layers: [dense(6, "relu", true, [5]), dense(4, "linear")] });
      m.layers[0].trainable = false;
      return m;
    },
    [5],
  ],
  ["initlab MLP relu", () => new MLP({ sizes: [5, 8, 6, 4], activation: "relu" }), [5]],
  ["initlab MLP tanh, no bias", () => new MLP({ sizes: [5, 8, 4], activation: "tanh", bias: false }), [5]],
];

test("GraNd closed form equals per-example autograd on Dense models", async () => {
  await backendReady();
  seed(1);
  for (const [name, build, inShape] of DENSE_MODELS) {
    const model = build();
    const x = tf.randomNormal([6, ...inShape], 0, 1, "float32", 3);
    const c =
      model instanceof MLP ? model.config.sizes[model.config.sizes.length - 1] : (model.outputs[0].shape[1] as number);
    const y = [0, 1, 2, 0, 1, c - 1];
    const fast = grandScores(model, x, y, { method: "closed-form", batchSize: 4 });
    const slow = grandScoresAutograd(model, x, y);
    assert.ok(
      fast.every((v) => v > 0),
      `${name}: positive`,
    );
    close(fast, slow, 2e-4, name);
    close(grandScores(model, x, y), fast, 0, `${name}: auto picks closed form`);
    tf.dispose(x);
    model.dispose(); // MLP variables have fixed names: dispose before the next one
  }
});

test("GraNd frozen layer contributes nothing", async () => {
  await backendReady();
  const m = tf.sequential({ layers: [dense(6, "relu", true, [5]), dense(4, "linear")] });
  const x = tf.randomNormal([3, 5], 0, 1, "float32", 4);
  const all = grandScores(m, x, [0, 1, 2]);
  m.layers[0].trainable = false;
  const frozen = grandScores(m, x, [0, 1, 2]);
  frozen.forEach((v, i) => assert.ok(v < all[i], "fewer parameters, smaller norm"));
});

// Float64 forward of a tanh MLP from its weights; central differences over every parameter.
function fdGradNorm(ws: number[][][], bs: number[][], x: number[], y: number): number {
  const loss = (): number => {
    let a = x;
    ws.forEach((w, l) => {
      const z = w[0].map((_, j) => a.reduce((s, ai, i) => s + ai * w[i][j], bs[l][j]));
      a = l + 1 < ws.length ? z.map(Math.tanh) : z;
    });
    const m = Math.max(...a);
    return -(a[y] - m - Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0)));
  };
  const h = 1e-6;
  let sq = 0;
  const bump = (arr: number[], k: number) => {
    const v = arr[k];
    arr[k] = v + h;
    const up = loss();
    arr[k] = v - h;
    const dn = loss();
    arr[k] = v;
    sq += ((up - dn) / (2 * h)) ** 2;
  };
  ws.forEach((w) => w.forEach((row) => row.forEach((_, k) => bump(row, k))));
  bs.forEach((b) => b.forEach((_, k) => bump(b, k)));
  return Math.sqrt(sq);
}

test("GraNd closed form matches float64 finite differences on one example", async () => {
  await backendReady();
  seed(2);
  const mlp = new MLP({ sizes: [4, 5, 3], activation: "tanh" });
  mlp.biases.forEach((b, l) => b!.assign(tf.randomNormal([mlp.config.sizes[l + 1]], 0, 0.5, "float32", 9 + l)));
  const xv = [0.3, -1.2, 0.8, 0.5];
  const got = grandScores(mlp, tf.tensor2d([xv]), [2])[0];
  const want = fdGradNorm(
    mlp.weightArrays(),
    mlp.biases.map((b) => Array.from(b!.dataSync())),
    xv,
    2,
  );
  assert.ok(Math.abs(got - want) / want < 1e-4, `${got} vs ${want}`);
  mlp.dispose();
  // Card hand check: one Dense layer → ‖δ‖·√(‖x‖² + 1), δ = softmax − onehot.
  const lin = new MLP({ sizes: [4, 3], activation: "linear" });
  const z = tf.tidy(() => lin.forward(tf.tensor2d([xv])));
  const p = Array.from(tf.softmax(z).dataSync());
  const d = Math.hypot(...p.map((v, k) => v - (k === 1 ? 1 : 0)));
  const want1 = d * Math.sqrt(xv.reduce((s, v) => s + v * v, 0) + 1);
  assert.ok(Math.abs(grandScores(lin, tf.tensor2d([xv]), [1])[0] - want1) / want1 < 1e-5);
  lin.dispose();
});

test("GraNd autograd fallback on a non-Dense model agrees with the equivalent Dense chain", async () => {
  await backendReady();
  const denseModel = tf.sequential({ layers: [dense(6, "relu", true, [5]), dense(3, "linear")] });
  const split = tf.sequential({
    layers: [dense(6, "linear", true, [5]), tf.layers.activation({ activation: "relu" }), dense(3, "linear")],
  });
  split.setWeights(denseModel.getWeights());
  const x = tf.randomNormal([4, 5], 0, 1, "float32", 5);
  const y = [0, 1, 2, 1];
  close(grandScores(split, x, y), grandScores(denseModel, x, y), 2e-4, "fallback");
  assert.throws(() => grandScores(split, x, y, { method: "closed-form" }), named(/^model:.*Dense/));
  // A functional (non-Sequential) model ending in softmax also goes through autograd.
  const inp = tf.input({ shape: [5] });
  const out = dense(3, "softmax").apply(dense(6, "relu").apply(inp)) as tf.SymbolicTensor;
  const functional = tf.model({ inputs: inp, outputs: out });
  functional.setWeights(denseModel.getWeights());
  close(grandScores(functional, x, y), grandScores(denseModel, x, y), 2e-4, "functional softmax");
});

test("GraNd and inputNorms reject bad input with named errors", async () => {
  await backendReady();
  const m = new MLP({ sizes: [3, 4, 2] });
  const x = tf.ones([2, 3]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["labels length", () => grandScores(m, x, [0]), /^labels:/],
    ["label out of range", () => grandScores(m, x, [0, 2]), /^labels:/],
    [
      "NaN input",
      () =>
        grandScores(
          m,
          tf.tensor2d([
            [NaN, 0, 0],
            [0, 0, 0],
          ]),
          [0, 1],
        ),
      /^x:.*NaN/,
    ],
    ["wrong width", () => grandScores(m, tf.ones([2, 4]), [0, 1]), /^x:/],
    ["rank-1 x", () => grandScores(m, tf.ones([3]), [0]), /^x:/],
    ["unknown option", () => grandScores(m, x, [0, 1], { methd: "auto" } as never), /^opts:.*methd/],
    ["unknown method", () => grandScores(m, x, [0, 1], { method: "fast" as never }), /^opts.method:/],
    ["not a model", () => grandScores({} as never, x, [0, 1]), /^model:/],
    ["inputNorms rank", () => inputNorms(tf.ones([3])), /^x:/],
  ];
  for (const [name, f, re] of cases) assert.throws(f, named(re), name);
  m.dispose();
  close(
    inputNorms(
      tf.tensor2d([
        [3, 4],
        [0, 0],
      ]),
    ),
    [5, 0],
    1e-6,
    "input norms",
  );
});

// ---------- averaging ----------

test("averageScores and averageOverInits", async () => {
  close(
    averageScores([
      [1, 2],
      [3, 6],
    ]),
    [2, 4],
    0,
    "mean",
  );
  assert.throws(() => averageScores([[1, 2], [3]]), named(/^runs:/));
  assert.throws(() => averageScores([]), named(/^runs:/));
  assert.throws(() => averageScores([[NaN]]), named(/^runs\[0\]:/));
  const seen: number[] = [];
  const avg = await averageOverInits(3, 5, (r, s) => {
    seen.push(s);
    return [r, 2 * r];
  });
  assert.deepEqual(seen, [5, 1005, 2005]);
  close(avg, [1, 2], 1e-12, "averaged runs");
  await assert.rejects(
    averageOverInits(0, 0, () => [1]),
    named(/^k:/),
  );
});

// ---------- pruning ----------

test("pruneByScore cases", () => {
  const s = [0.5, 0.9, 0.1, 0.9, 0.3, 0.7];
  const cases: Array<[string, PruneOptions, number[]]> = [
    ["keep 0", { keep: 0, order: "hardest" }, []],
    ["keep all (fraction 1)", { keep: 1, order: "easiest" }, [0, 1, 2, 3, 4, 5]],
    ["keep count 1 → tie broken by lower index", { keep: { count: 1 }, order: "hardest" }, [1]],
    ["hardest half", { keep: 0.5, order: "hardest" }, [1, 3, 5]],
    ["easiest half", { keep: 0.5, order: "easiest" }, [0, 2, 4]],
    ["integer count > 1", { keep: 2, order: "easiest" }, [2, 4]],
    ["offset skips the top two (the tie)", { keep: 2, offset: 2, order: "hardest" }, [0, 5]],
    ["offset as fraction", { keep: { count: 1 }, offset: 0.5, order: "hardest" }, [0]],
    ["offset + keep = n", { keep: 4, offset: 2, order: "hardest" }, [0, 2, 4, 5]],
  ];
  for (const [name, opts, want] of cases) assert.deepEqual(pruneByScore(s, opts), want, name);
  const ties = pruneByScore([1, 1, 1, 1], { keep: 2, order: "hardest" });
  assert.deepEqual(ties, [0, 1], "all ties: lowest indices");
  assert.deepEqual(pruneByScore([1, 1, 1, 1], { keep: 2, order: "easiest" }), [0, 1]);
});

test("pruneByScore random is reproducible by seed", () => {
  const s = Array.from({ length: 50 }, (_, i) => i);
  const a = pruneByScore(s, { keep: 0.4, order: "random", seed: 3 });
  assert.deepEqual(pruneByScore(s, { keep: 0.4, order: "random", seed: 3 }), a);
  assert.notDeepEqual(pruneByScore(s, { keep: 0.4, order: "random", seed: 4 }), a);
  assert.equal(a.length, 20);
  assert.equal(new Set(a).size, 20);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    a,
    "ascending",
  );
});

test("pruneByScore rejects bad options with named errors", () => {
  const s = [1, 2, 3];
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["unknown option", () => pruneByScore(s, { keep: 1, order: "hardest", keeep: 1 } as never), /^opts:.*keeep/],
    ["unknown order", () => pruneByScore(s, { keep: 1, order: "middle" as never }), /^opts.order:/],
    ["missing keep", () => pruneByScore(s, { order: "hardest" } as never), /^opts.keep:/],
    ["negative keep", () => pruneByScore(s, { keep: -0.1, order: "hardest" }), /^opts.keep:/],
    ["non-integer count", () => pruneByScore(s, { keep: 1.5, order: "hardest" }), /^opts.keep:.*count/],
    ["offset + keep > n", () => pruneByScore(s, { keep: 2, offset: 2, order: "hardest" }), /^opts:.*exceeds/],
    ["random without seed", () => pruneByScore(s, { keep: 1, order: "random" }), /^opts.seed:/],
    ["NaN score", () => pruneByScore([1, NaN], { keep: 1, order: "hardest" }), /^scores:/],
    ["empty scores", () => pruneByScore([], { keep: 0, order: "hardest" }), /^scores:/],
    ["bad count object", () => pruneByScore(s, { keep: { count: -1 }, order: "hardest" }), /^opts.keep:/],
  ];
  for (const [name, f, re] of cases) assert.throws(f, named(re), name);
});

// ---------- forgetting ----------

test("forgetting events by hand", () => {
  // columns: always right; right→wrong→right→wrong (2 events); never learned; learned late.
  const history = [
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [1, 1, 0, 1],
    [1, 0, 0, 1],
  ];
  assert.deepEqual(forgettingScores(history), [0, 2, 4, 0]);
  const tr = new ForgettingTracker(3);
  tr.record([2, 0], [true, true]);
  tr.record([0], [false]);
  tr.record([0, 2], [true, false]);
  assert.deepEqual(tr.scores(), [1, 3, 1], "unseen example 1 counts as never learned (max presentations 3)");
  assert.deepEqual(tr.everLearned(), [true, false, true]);
  assert.throws(() => tr.record([3], [1]), named(/^indices:/));
  assert.throws(() => tr.record([0, 1], [1]), named(/^correct:/));
  assert.throws(() => new ForgettingTracker(2).scores(), named(/^tracker:/));
  assert.throws(() => forgettingScores([[1, 0], [1]]), named(/^history:/));
});

// ---------- label noise ----------

test("addLabelNoise permutes a seeded subset and flags changed labels", () => {
  const labels = Array.from({ length: 200 }, (_, i) => i % 10);
  const a = addLabelNoise(labels, 0.2, 10, 1);
  assert.deepEqual(addLabelNoise(labels, 0.2, 10, 1), a, "seeded");
  const hist = (ys: ArrayLike<number>) =>
    Array.from({ length: 10 }, (_, c) => Array.from(ys).filter((y) => y === c).length);
  assert.deepEqual(hist(a.labels), hist(labels), "class histogram kept");
  const changed = a.noisy.filter(Boolean).length;
  assert.ok(changed > 20 && changed <= 40, `changed ${changed}`);
  a.noisy.forEach((f, i) => assert.equal(f, a.labels[i] !== labels[i]));
  assert.equal(addLabelNoise(labels, 0, 10, 1).noisy.filter(Boolean).length, 0);
  assert.throws(() => addLabelNoise(labels, 1.2, 10, 1), named(/^fraction:/));
  assert.throws(() => addLabelNoise([0, 10], 0.5, 10, 1), named(/^labels:/));
});
