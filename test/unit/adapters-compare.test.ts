// The shared adapter benchmark: schedule, budgets, a tiny end-to-end run with its cache,
// and a per-paper view reading that cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lrAt, capturedVariance } from "../../src/papers/adapters-compare/bench";
import { adaptersCompare, benchmarkVariants, cachePath, readAdaptersCache, runAdaptersBenchmark, AdaptersCompareConfig } from "../../src/papers/adapters-compare/run";
import { adaptersPaper } from "../../src/papers/adapters-compare/views";
import { lossAt } from "../../src/papers/adapters-compare/summary";
import { createAdapter } from "../../src/adapters";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/core/backend";

test("warmup + cosine schedule: linear to lr over the warmup, lr/2 halfway through the decay, 0 at the end", () => {
  assert.equal(lrAt(5, 1, 10, 110), 0.5);
  assert.equal(lrAt(10, 1, 10, 110), 1);
  assert.ok(Math.abs(lrAt(60, 1, 10, 110) - 0.5) < 1e-12);
  assert.ok(Math.abs(lrAt(110, 1, 10, 110)) < 1e-12);
});

test("capturedVariance: the fraction of centred variance in span(A) (closed form on axis-aligned data)", () => {
  // x = (±2, ±1, 0): variance 4 along e1, 1 along e2.
  const xs = [[2, 1, 0], [-2, -1, 0], [2, -1, 0], [-2, 1, 0]];
  assert.ok(Math.abs(capturedVariance(xs, [[1], [0], [0]]) - 0.8) < 1e-12);
  assert.ok(Math.abs(capturedVariance(xs, [[0], [3], [0]]) - 0.2) < 1e-12);
});

test("matched budgets: mid tier ≈ LoRA r=4 on both hidden matrices, tiny tier ≈ 500 (counts from the adapters themselves)", async () => {
  await backendReady();
  const cfg = adaptersCompare.presets.default;
  const shapes: Array<[number, number]> = [[784, 256], [256, 256]];
  const counts: Record<string, number> = {};
  for (const v of benchmarkVariants(cfg)) {
    if (v.method === "full" || v.method === "eva") continue; // EVA's ranks depend on data (same total budget as LoRA)
    counts[v.id] = shapes.reduce((s, [i, o]) => {
      const ad = createAdapter(v.method, tf.zeros([i, o]) as tf.Tensor2D, v.method === "lora-sb" ? { ...v.config, eta1: 1e-3 } : v.config);
      const n = ad.parameterCount();
      ad.dispose();
      return s + n;
    }, 0);
  }
  assert.equal(counts["LoRA r=4"], 4 * (784 + 256) + 4 * 512);
  assert.equal(counts["SORSA r=4"], counts["LoRA r=4"] + 8);
  assert.equal(counts["DoRA r=4"], counts["LoRA r=4"] + 512);
  assert.equal(counts["LoRA-XS r=56"], 2 * 56 * 56);
  assert.equal(counts["LoRA-XS r=16"], 512);
  assert.equal(counts["SVFit (all σ)"], 512);
  assert.equal(counts["LoLDU (all r)"], 514);
});

test("a tiny end-to-end run: records, curves, cache, and a paper view reading the cache", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-adapters-"));
  const prev = process.env.INITLAB_RESULTS;
  process.env.INITLAB_RESULTS = dir;
  try {
    const cfg: AdaptersCompareConfig = {
      ...adaptersCompare.presets.smoke, finetuneExamples: 200, testExamples: 100, steps: 4, warmup: 1, evalEvery: 2, earlySteps: [2],
      calibrationBatches: 1, methods: ["full FT", "LoRA r=4", "EVA r=4"], cacheTag: "test",
    };
    const out = await runAdaptersBenchmark(cfg);
    assert.deepEqual([...new Set(out.records.map((r) => r.id))], cfg.methods);
    for (const r of out.records) {
      assert.deepEqual(r.curve.map((p) => p.step), [0, 2, 4]);
      assert.ok(r.curve.every((p) => Number.isFinite(p.testLossB) && p.testAccA >= 0 && p.testAccA <= 1));
      assert.equal(r.layers.length, 2);
      assert.ok(r.params > 0 && r.initMs >= 0);
    }
    // Identity-at-init methods start exactly at the base model: step-0 losses agree with full FT's.
    const l0 = (id: string) => out.records.find((r) => r.id === id)!.curve[0].testLossB;
    assert.ok(Math.abs(l0("LoRA r=4") - l0("full FT")) < 1e-4 && Math.abs(l0("EVA r=4") - l0("full FT")) < 1e-4);
    assert.equal(lossAt(out.records[0], 3), out.records[0].curve[1].testLossB);
    assert.ok(fs.existsSync(cachePath(cfg)));
    assert.deepEqual(readAdaptersCache(cfg)?.records.length, out.records.length);
    // EVA: redistributed ranks sum to the budget (r × layers); its A captures more input variance than LoRA's random A.
    const eva = out.records.find((r) => r.method === "eva")!;
    assert.equal(String(eva.extra.evaRanks).split("/").reduce((s, x) => s + Number(x), 0), 8);
    assert.ok((eva.extra.capturedVarianceW1 as number) > (out.records.find((r) => r.id === "LoRA r=4")!.extra.capturedVarianceW1 as number));
    // The EVA view compares exactly these variants, so it reuses this cache instead of training again.
    const view = await adaptersPaper("eva", cfg);
    assert.equal(view.fromFullBenchmark, false);
    assert.equal(view.cacheFile, cachePath(cfg));
    assert.equal(view.result.checks.length, 3);
    assert.deepEqual(view.figures.map((f) => f.name), ["eva-loss", "eva-ranks"]);
    await assert.rejects(() => adaptersPaper("nope", cfg), /method/);
  } finally {
    if (prev === undefined) delete process.env.INITLAB_RESULTS;
    else process.env.INITLAB_RESULTS = prev;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
