// The benchmark's second base and its protocol pieces: the L-block transformer (one block
// = the tiny transformer), the char corpus helpers, the adapted transformer (identity at
// init, merge, calibration), the checkpoint refusals, the lr selection with lrFrom, and the
// rank-sweep checks on synthetic records.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { Rng } from "../../src/core/random";
import {
  tinyTransformerLogits,
  tinyTransformerParams,
  transformerLogits,
  transformerParams,
} from "../../src/nn/transformer";
import {
  CHAR_BASE_SPEC,
  CHAR_VOCAB,
  decodeIds,
  encodeText,
  loadCharBase,
  saveCharBase,
  splitCorpus,
  windowSource,
} from "../../src/bases/char-lm";
import { AdaptedTransformer, blockMatrixNames } from "../../src/adapters/transformer";
import { benchVariants } from "../../src/adapters";
import { ADAPTERS_COMPARE_PRESETS } from "../../src/papers/adapters-compare";
import { runWithSelection } from "../../src/papers/adapters-compare/select";
import { sweepChecks } from "../../src/papers/adapters-compare/sweep";
import { RunRecord, VariantSpec } from "../../src/papers/adapters-compare/bench";

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).arraySync() as number);

test("transformerLogits with one block reproduces tinyTransformerLogits (same draws, same function)", async () => {
  await backendReady();
  const s = { vocab: 11, width: 8, context: 5, layers: 1, heads: 2 };
  const p1 = tinyTransformerParams(new Rng(3), 11, 8, 5);
  const p2 = transformerParams(new Rng(3), s);
  const ids = tf.tensor2d(
    [
      [1, 2, 3, 4, 5],
      [0, 10, 9, 8, 7],
    ],
    [2, 5],
    "int32",
  );
  const a = tinyTransformerLogits(p1, ids, 2);
  const b = transformerLogits(p2, ids, s);
  assert.deepEqual(b.shape, [10, 11]);
  assert.ok(maxAbsDiff(a, b) < 1e-5);
  // Causality: changing the last token leaves the earlier positions' logits unchanged.
  const ids2 = tf.tensor2d(
    [
      [1, 2, 3, 4, 0],
      [0, 10, 9, 8, 7],
    ],
    [2, 5],
    "int32",
  );
  const c = transformerLogits(p2, ids2, s);
  assert.ok(maxAbsDiff(a.slice([0, 0], [4, 11]), c.slice([0, 0], [4, 11])) < 1e-6);
  assert.ok(maxAbsDiff(a.slice([4, 0], [1, 11]), c.slice([4, 0], [1, 11])) > 1e-4);
  assert.throws(() => transformerParams(new Rng(0), { ...s, heads: 3 }), /heads/);
  [a, b, c, ids, ids2].forEach((t) => t.dispose());
});

test("char corpus helpers: folding, unknown characters, disjoint block splits", () => {
  const ids = encodeText("Hi\tthere  é!");
  assert.equal(decodeIds(ids), "hi there ~!");
  assert.equal(ids[ids.length - 2], 0);
  assert.equal(CHAR_VOCAB[0], "~");
  const text = Int32Array.from({ length: 100 }, (_, i) => i);
  const sp = splitCorpus(text, 10, { val: 0.2, test: 0.1 }, 5);
  assert.deepEqual([sp.train.length, sp.val.length, sp.test.length], [70, 20, 10]);
  const all = [...sp.train, ...sp.val, ...sp.test].sort((x, y) => x - y);
  assert.deepEqual(all, [...text]);
  // Blocks stay contiguous.
  for (let b = 0; b < sp.val.length; b += 10) assert.equal(sp.val[b] % 10, 0);
  assert.throws(() => splitCorpus(text, 10, { val: 0.5, test: 0.5 }, 0), /fractions/);
});

test("AdaptedTransformer: LoRA is the base at init, merge gives the same logits, calibration feeds LoRA-GA", async () => {
  await backendReady();
  const s = { vocab: 9, width: 8, context: 4, layers: 2, heads: 2 };
  const p = transformerParams(new Rng(1), s);
  const ids = tf.tensor2d(
    [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ],
    [2, 4],
    "int32",
  );
  const y = tf.tensor1d([2, 3, 4, 5, 6, 7, 8, 0], "int32");
  const base = transformerLogits(p, ids, s);
  const m = new AdaptedTransformer(p, s, { method: "lora", config: { r: 2, alpha: 4, seed: 3 } });
  assert.equal(m.adapters.length, 12);
  assert.deepEqual(m.names.slice(0, 6), ["l0.wq", "l0.wk", "l0.wv", "l0.wo", "l0.w1", "l0.w2"]);
  assert.ok(maxAbsDiff(m.forward(ids), base) < 1e-6);
  // Move B off zero: the adapted logits change, and merging reproduces them through the base path.
  const lora = m.adapters[4] as unknown as { B: tf.Variable };
  lora.B.assign(tf.randomNormal(lora.B.shape, 0, 0.5, "float32", 7));
  const adapted = m.forward(ids);
  assert.ok(maxAbsDiff(adapted, base) > 1e-4);
  m.merge();
  assert.ok(maxAbsDiff(transformerLogits(p, ids, s), adapted) < 1e-5);
  m.unmerge();
  assert.ok(maxAbsDiff(transformerLogits(p, ids, s), base) < 1e-6);
  assert.equal(m.adapterParameterCount(), 2 * (2 * (8 + 8) * 4 + 2 * (8 + 32) * 2));
  const ins = m.layerInputs([{ x: ids, y }], [0, 4, 5]);
  assert.deepEqual(
    ins.map((t) => t[0].shape),
    [
      [8, 8],
      [8, 8],
      [8, 32],
    ],
  );
  ins.flat().forEach((t) => t.dispose());
  m.dispose();
  const ga = new AdaptedTransformer(p, s, {
    method: "lora-ga",
    config: { r: 2, alpha: 4, seed: 3 },
    matrices: ["l1.w1"],
  });
  const ms = await ga.calibrate([{ x: ids, y }]);
  assert.equal(ms.length, 1);
  assert.ok(maxAbsDiff(ga.forward(ids), base) < 1e-5); // residual init: still the base model
  ga.dispose();
  assert.throws(
    () => new AdaptedTransformer(p, s, { method: "lora", config: { r: 2 }, matrices: ["l2.wq"] }),
    /matrices/,
  );
  assert.deepEqual(blockMatrixNames({ ...s, layers: 1 }), ["l0.wq", "l0.wk", "l0.wv", "l0.wo", "l0.w1", "l0.w2"]);
  [ids, y, base, adapted].forEach((t) => t.dispose());
});

test("the char checkpoint is refused when missing or made with another spec, read back when it matches", async () => {
  await backendReady();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-char-"));
  const file = path.join(dir, "base.safetensors");
  assert.throws(() => loadCharBase(file, CHAR_BASE_SPEC), /missing.*make-char-base/);
  const spec = { ...CHAR_BASE_SPEC, width: 4, heads: 2, layers: 1, context: 3 };
  const p = transformerParams(new Rng(0), spec);
  saveCharBase(file, p, spec);
  const back = loadCharBase(file, spec);
  assert.deepEqual(back["l0.w1"].shape, [4, 16]);
  assert.deepEqual(Array.from(back["l0.w1"].data), Array.from(p["l0.w1"].dataSync()));
  assert.throws(() => loadCharBase(file, { ...spec, steps: spec.steps + 1 }), /spec/);
  fs.rmSync(dir, { recursive: true });
});

test("lr selection: the grid winner on validation, extended past an edge; lrFrom borrows the source's choice", async () => {
  const v = (id: string, lrFrom?: string): VariantSpec => ({
    id,
    method: "lora",
    tier: "mid",
    config: {},
    family: "lora",
    ...(lrFrom ? { lrFrom } : {}),
  });
  const tried: Array<[string, number]> = [];
  // Validation loss (log10 lr + 1.5)²: minimum at lr = 10^-1.5 ≈ 0.0316, outside the first grid's top edge (0.03 is closest tried).
  const out = await runWithSelection(
    [v("borrower", "a"), v("a")],
    { grid: [1 / 3, 1, 3], factor: 3, extensions: 2, lrs: { lora: 1e-3 } },
    async (x, lr) => {
      tried.push([x.id, lr]);
      return { valLoss: (Math.log10(lr) + 1.5) ** 2, payload: lr };
    },
    (lr, chosen) => ({ id: String(lr), lr: chosen }) as unknown as RunRecord,
  );
  const sel = out.selections.a;
  assert.equal(sel.extended, true);
  assert.ok(Math.abs(sel.best - 2.7e-2) < 1e-12);
  assert.deepEqual(
    out.records.map((r) => r.lr),
    [sel.best, sel.best],
  );
  assert.deepEqual(tried[tried.length - 1], ["borrower", sel.best]);
  assert.equal(out.selections.borrower, undefined);
  // Fixed lrs (another seed's choices): one run per variant at its lr, nothing selected.
  tried.length = 0;
  const fixed = await runWithSelection(
    [v("borrower", "a"), v("a")],
    { grid: [1 / 3, 1, 3], factor: 3, extensions: 2, lrs: { lora: 1e-3 } },
    async (x, lr) => {
      tried.push([x.id, lr]);
      return { valLoss: 0, payload: lr };
    },
    (lr, chosen) => ({ id: String(lr), lr: chosen }) as unknown as RunRecord,
    { a: 0.02, borrower: 0.05 },
  );
  assert.deepEqual(tried, [
    ["a", 0.02],
    ["borrower", 0.05],
  ]);
  assert.deepEqual(fixed.selections, {});
  await assert.rejects(
    runWithSelection(
      [v("a")],
      { grid: [1], factor: 3, extensions: 0, lrs: { lora: 1e-3 } },
      async () => ({ valLoss: 0, payload: 0 }),
      () => ({}) as RunRecord,
      { b: 0.1 },
    ),
    /fixed: has no positive lr for variant "a"/,
  );
});

test("char base: the first seed's job selects the lrs and trains every seed at them; the other seeds' jobs are empty", async () => {
  await backendReady();
  const { runAdaptersSeed, combineAdaptersSeeds } = await import("../../src/papers/adapters-compare/run");
  const d = ADAPTERS_COMPARE_PRESETS.smoke;
  const cfg = {
    ...d,
    seeds: [0, 1],
    lrGrid: [1 / 3, 1, 3],
    lrGridExtensions: 0,
    char: { ...d.char!, methods: ["LoRA r=1"], steps: 3, warmup: 1, evalEvery: 3, earlySteps: [], evalWindows: 4 },
  };
  const first = await runAdaptersSeed(cfg, 0, undefined, "char");
  const second = await runAdaptersSeed(cfg, 1, undefined, "char");
  assert.deepEqual(
    first.char!.records.map((r) => [r.id, r.seed]),
    [
      ["LoRA r=1", 0],
      ["LoRA r=1", 1],
    ],
  );
  assert.equal(first.char!.records[1].lr, first.char!.selections["LoRA r=1"].best);
  assert.equal(first.char!.selections["LoRA r=1"].tried.length, 3);
  assert.deepEqual(second.char!.records, []);
  const mlpPart = (s: number) => ({ seed: s, records: [], baseAccA: 1, selections: {} });
  const combined = combineAdaptersSeeds(
    [
      { ...mlpPart(0), char: first.char },
      { ...mlpPart(1), char: second.char },
    ],
    cfg,
  );
  assert.deepEqual(
    combined.char!.records.map((r) => r.seed),
    [0, 1],
  );
  assert.equal(combined.char!.selections["LoRA r=1"].length, 1);
  // The first seed's empty char part (a broken merge) is refused by name.
  assert.throws(
    () =>
      combineAdaptersSeeds(
        [
          { ...mlpPart(0), char: second.char },
          { ...mlpPart(1), char: second.char },
        ],
        cfg,
      ),
    /the first seed's char-base part holds no records/,
  );
});

test("rank sweep variants and checks: α/r and α/√r at fixed α, the anchor's lr shared; checks fail when the effect is absent", () => {
  const vs = benchVariants(ADAPTERS_COMPARE_PRESETS.default);
  const sweep = vs.filter((x) => (x.method === "lora" || x.method === "rslora") && /sweep/.test(x.id));
  assert.equal(sweep.length, 7);
  assert.ok(sweep.every((x) => x.config.alpha === 8 && x.tier === "ablation"));
  assert.ok(sweep.filter((x) => x.lrFrom).every((x) => x.lrFrom === "LoRA α/r r=1 (sweep)"));
  const rec = (id: string, seed: number, lossB: number) => ({ id, seed, lossB }) as unknown as RunRecord;
  const mk = (anchor: number[], lo64: number[], rs64: number[]) => [
    ...anchor.map((l, s) => rec("LoRA α/r r=1 (sweep)", s, l)),
    ...lo64.map((l, s) => rec("LoRA α/r r=64 (sweep)", s, l)),
    ...rs64.map((l, s) => rec("rsLoRA α/√r r=64 (sweep)", s, l)),
  ];
  const s = { sweepRanks: [1, 4, 16, 64], sweepAlpha: 8 };
  const good = sweepChecks(mk([1.0, 1.1, 0.9], [1.2, 1.25, 1.15], [0.8, 0.85, 0.75]), s);
  assert.deepEqual(
    good.map((c) => c.pass),
    [true, true],
  );
  const bad = sweepChecks(mk([1.0, 1.1, 0.9], [0.8, 0.85, 0.75], [1.2, 1.25, 1.15]), s);
  assert.deepEqual(
    bad.map((c) => c.pass),
    [false, false],
  );
});

test("windowSource: batchSize windows per step when the loop passes no index batches; one per index otherwise", async () => {
  await backendReady();
  const ids = Int32Array.from({ length: 200 }, (_, i) => i % 50);
  const b = windowSource(ids, 8, 5).make(null, new Rng(1));
  assert.deepEqual(b.x.shape, [5, 8]);
  assert.deepEqual(b.y.shape, [40]);
  // Each target is its input shifted by one character.
  const x = b.x.arraySync() as number[][];
  const y = b.y.arraySync() as number[];
  x.forEach((row, r) => row.slice(1).forEach((v, j) => assert.equal(y[r * 8 + j], v)));
  const c = windowSource(ids, 8).make([0, 0, 0], new Rng(1));
  assert.deepEqual(c.x.shape, [3, 8]);
  assert.throws(() => windowSource(ids, 8).make(null, new Rng(1)), /batchSize/);
  assert.throws(() => windowSource(ids, 8, 0), /batchSize: must be a positive integer/);
  tf.dispose([b.x, b.y, c.x, c.y]);
});
