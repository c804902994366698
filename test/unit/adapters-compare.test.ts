// The shared adapter benchmark: schedule, captured variance, budgets, variant order, a tiny
// end-to-end run through the library's loop, and per-paper views computed from its records.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { warmupCosine } from "../../src/optim/schedules";
import { capturedVariance } from "../../src/metrics/captured-variance";
import {
  ADAPTERS_COMPARE_PRESETS,
  benchmarkVariants,
  runAdaptersBenchmark,
  AdaptersCompareConfig,
} from "../../src/papers/adapters-compare";
import { compareChecks } from "../../src/papers/adapters-compare/checks";
import { compareFigures } from "../../src/papers/adapters-compare/figures";
import { ViewResult } from "../../src/papers/adapters-compare/view";
import { getPaper } from "../../src/papers/registry";
import "../../src/papers/all";
import { aggregateRecords, benchEntry, createAdapter, lossAt } from "../../src/adapters";
import { backendReady } from "../../src/nn/backend";

test("warmup + cosine schedule: linear to 1 over the warmup, 1/2 halfway through the decay, 0 at the end", () => {
  const f = warmupCosine(10);
  assert.equal(f(5, 110), 0.5);
  assert.equal(f(10, 110), 1);
  assert.ok(Math.abs(f(60, 110) - 0.5) < 1e-12);
  assert.ok(Math.abs(f(110, 110)) < 1e-12);
});

test("capturedVariance: the fraction of centred variance in span(A) (closed form on axis-aligned data)", () => {
  // x = (±2, ±1, 0): variance 4 along e1, 1 along e2.
  const xs = [
    [2, 1, 0],
    [-2, -1, 0],
    [2, -1, 0],
    [-2, 1, 0],
  ];
  assert.ok(Math.abs(capturedVariance(xs, [[1], [0], [0]]) - 0.8) < 1e-12);
  assert.ok(Math.abs(capturedVariance(xs, [[0], [3], [0]]) - 0.2) < 1e-12);
  assert.throws(() => capturedVariance(xs, [[1], [0]]), /A/);
});

test("the variant list comes from the entries: full FT first, non-tiny tiers, then the tiny tier (the old order)", () => {
  const ids = benchmarkVariants(ADAPTERS_COMPARE_PRESETS.default).map((v) => v.id);
  assert.deepEqual(ids, [
    "full FT",
    "LoRA r=4",
    "LoRA α/r r=1 (sweep)",
    "LoRA α/r r=4 (sweep)",
    "LoRA α/r r=16 (sweep)",
    "LoRA α/r r=64 (sweep)",
    "rsLoRA r=4",
    "rsLoRA α/√r r=4 (sweep)",
    "rsLoRA α/√r r=16 (sweep)",
    "rsLoRA α/√r r=64 (sweep)",
    "PiSSA r=4",
    "LoRA-GA r=4",
    "EVA r=4",
    "SORSA r=4",
    "SORSA r=4 γ=0",
    "DoRA r=4",
    "LoRA-XS r=56",
    "LoRA-SB r=56",
    "DyLoRA r_max=4",
    "DyLoRA r_max=4 unfrozen",
    "AdaLoRA r=6→4",
    "IncreLoRA r=1→4",
    "SoRA r_max=8",
    "ALLoRA r=4",
    "ALLoRA r=4 c≡1",
    "FLoRA r=4",
    "MiSS r=12",
    "Bone r=8",
    "Compacter k=128 ρ=4",
    "Compacter k=8 ρ=1",
    "Intrinsic d=6208",
    "Intrinsic d=4 (sweep)",
    "Intrinsic d=16 (sweep)",
    "Intrinsic d=64 (sweep)",
    "Intrinsic d=256 (sweep)",
    "Intrinsic d=1024 (sweep)",
    "Intrinsic d=4096 (sweep)",
    "Intrinsic d=16384 (sweep)",
    "Intrinsic dense d=64 (sweep)",
    "LoRA r=1",
    "LoRA-XS r=16",
    "LoRA-SB r=16",
    "SVFit (all σ)",
    "LoLDU (all r)",
    "MiSS r=1",
    "Intrinsic d=512",
  ]);
  const families = Object.fromEntries(benchmarkVariants(ADAPTERS_COMPARE_PRESETS.default).map((v) => [v.id, v.family]));
  assert.equal(families["SVFit (all σ)"], "diag");
  assert.equal(families["LoRA-SB r=16"], "xs");
  assert.deepEqual(
    benchmarkVariants({ ...ADAPTERS_COMPARE_PRESETS.default, methods: ["lora-sb", "full FT"] }).map((v) => v.id),
    ["full FT", "LoRA-SB r=56", "LoRA-SB r=16"],
  );
});

test("matched budgets: mid tier ≈ LoRA r=4 on both hidden matrices, tiny tier ≈ 500 (counts from the adapters themselves)", async () => {
  await backendReady();
  const cfg = ADAPTERS_COMPARE_PRESETS.default;
  const shapes: Array<[number, number]> = [
    [784, 256],
    [256, 256],
  ];
  const counts: Record<string, number> = {};
  for (const v of benchmarkVariants(cfg)) {
    if (v.method === "full" || v.method === "eva") continue; // EVA's ranks depend on data (same total budget as LoRA)
    // As a run builds it: the entry's prepareConfig (seeds, shared per-run objects), one config for both matrices.
    const entry = benchEntry(v.method);
    const run = { variant: v, seed: 0, lr: 1e-3, warmup: cfg.warmup, steps: cfg.steps };
    const base = v.method === "lora-sb" ? { ...v.config, eta1: 1e-3 } : { ...v.config };
    const config = entry.prepareConfig ? entry.prepareConfig(base, run) : base;
    const ads = shapes.map(([i, o]) => createAdapter(v.method, tf.zeros([i, o]) as tf.Tensor2D, config));
    counts[v.id] = ads.reduce((s, ad) => s + ad.parameterCount(), 0);
    ads.forEach((ad) => ad.dispose());
  }
  assert.equal(counts["LoRA r=4"], 4 * (784 + 256) + 4 * 512);
  assert.equal(counts["SORSA r=4"], counts["LoRA r=4"] + 8);
  assert.equal(counts["DoRA r=4"], counts["LoRA r=4"] + 512);
  assert.equal(counts["LoRA-XS r=56"], 2 * 56 * 56);
  assert.equal(counts["LoRA-XS r=16"], 512);
  assert.equal(counts["SVFit (all σ)"], 512);
  assert.equal(counts["LoLDU (all r)"], 514);
  // Part 2 of the adapters (issue #18): the mid tier near LoRA r=4's 6,208 (allocated counts for the rank-adaptive ones).
  assert.equal(counts["DyLoRA r_max=4"], counts["LoRA r=4"]);
  assert.equal(counts["ALLoRA r=4"], counts["LoRA r=4"]);
  assert.equal(counts["FLoRA r=4"], counts["LoRA r=4"] + 32);
  assert.equal(counts["MiSS r=12"], 12 * 512);
  assert.equal(counts["MiSS r=1"], 512);
  assert.equal(counts["Bone r=8"], 8 * 512);
  assert.equal(counts["Compacter k=128 ρ=4"], counts["LoRA r=4"]);
  assert.equal(counts["Intrinsic d=6208"], 6208);
  assert.equal(counts["Intrinsic d=512"], 512);
  assert.equal(counts["AdaLoRA r=6→4"], 6 * (784 + 256 + 1) + 6 * (256 + 256 + 1));
  assert.equal(counts["SoRA r_max=8"], 2 * counts["LoRA r=4"] + 16);
});

test("a tiny end-to-end run: records and curves through train(), entry extras, the checks and views computed from the records", async () => {
  await backendReady();
  const cfg: AdaptersCompareConfig = {
    ...ADAPTERS_COMPARE_PRESETS.smoke,
    seeds: [0, 1],
    finetuneExamples: 200,
    testExamples: 100,
    steps: 4,
    warmup: 1,
    evalEvery: 2,
    earlySteps: [2],
    calibrationBatches: 1,
    methods: ["full FT", "LoRA r=4", "EVA r=4", "SORSA r=4"],
    char: null,
  };
  const out = await runAdaptersBenchmark(cfg);
  assert.deepEqual([...new Set(out.records.map((r) => r.id))], cfg.methods);
  // Seed-major: each seed's job returns every variant (runPaper runs the seeds in workers).
  // Selection per variant and seed on the seed's validation split (smoke: a one-point grid, no extension).
  assert.deepEqual(
    out.selections["LoRA r=4"].map((x) => [x.tried, x.best, x.extended]),
    [
      [[3e-3], 3e-3, false],
      [[3e-3], 3e-3, false],
    ],
  );
  assert.ok(out.records.every((r) => Number.isFinite(r.valLossB) && r.lr === (r.method === "full" ? 3e-3 : r.lr)));
  assert.deepEqual(
    out.records.map((r) => r.seed),
    [0, 0, 0, 0, 1, 1, 1, 1],
  );
  for (const r of out.records) {
    assert.deepEqual(
      r.curve.map((p) => p.step),
      [0, 2, 4],
    );
    assert.ok(Number.isNaN(r.curve[0].trainLoss) && Number.isFinite(r.curve[1].trainLoss));
    assert.ok(r.curve.every((p) => Number.isFinite(p.testLossB) && p.testAccA >= 0 && p.testAccA <= 1));
    assert.equal(r.layers.length, 2);
    assert.ok(r.params > 0 && r.initMs >= 0);
  }
  // Identity-at-init methods start exactly at the base model: step-0 losses agree with full FT's.
  const l0 = (id: string) => out.records.find((r) => r.id === id)!.curve[0].testLossB;
  assert.ok(Math.abs(l0("LoRA r=4") - l0("full FT")) < 1e-4 && Math.abs(l0("EVA r=4") - l0("full FT")) < 1e-4);
  // Same seed, same data order and head: the two seeds of one variant differ, the runs are deterministic per seed.
  const lora = out.records.filter((r) => r.id === "LoRA r=4");
  assert.notEqual(lora[0].curve[2].testLossB, lora[1].curve[2].testLossB);
  assert.equal(lossAt(out.records[0], 3), out.records[0].curve[1].testLossB);
  // Entry extras: EVA's ranks sum to the budget (r × layers) and its A captures more input variance than LoRA's; SORSA's L_o.
  const eva = out.records.find((r) => r.method === "eva")!;
  assert.equal(
    String(eva.extra.evaRanks)
      .split("/")
      .reduce((s, x) => s + Number(x), 0),
    8,
  );
  assert.ok((eva.extra.capturedVarianceW1 as number) > (lora[0].extra.capturedVarianceW1 as number));
  assert.ok(Number.isFinite(out.records.find((r) => r.method === "sorsa")!.extra.orthoLoss as number));
  // The rows and the benchmark's checks/figures (only checks whose variants ran).
  const rows = aggregateRecords(out.records, out.settings, out.baseAccA);
  assert.equal(rows.length, 4);
  const checks = compareChecks(out);
  assert.equal(checks.length, 2);
  assert.ok(checks.every((c) => typeof c.measured === "object" && c.seeds === 2));
  assert.ok(compareFigures(out).some((f) => f.name === "eva-ranks"));
  // The EVA view's checks and figures from these records (paired over both seeds).
  const view: ViewResult = {
    records: out.records.filter((r) => ["full FT", "LoRA r=4", "EVA r=4"].includes(r.id)),
    baseAccA: out.baseAccA,
    settings: out.settings,
    selections: {},
    variants: ["full FT", "LoRA r=4", "EVA r=4"],
  };
  const paper = getPaper("eva");
  const vc = paper.checks(view, { seeds: [0, 1] });
  assert.deepEqual(
    vc.map((c) => c.kind),
    ["sanity", "evidence", "evidence"],
  );
  assert.equal(vc[0].pass, true);
  assert.deepEqual(
    paper.figures(view, { seeds: [0, 1] }).map((f) => f.name),
    ["eva-loss", "eva-ranks"],
  );
  assert.deepEqual(getPaper("eva").needs, ["adapters-compare"]);
});

test("seed parts: the MLP base split into its two units merges into the whole seed's records, in variant order", async () => {
  await backendReady();
  const { runAdaptersSeed, mergeAdaptersParts, adaptersParts } = await import("../../src/papers/adapters-compare/run");
  const cfg: AdaptersCompareConfig = {
    ...ADAPTERS_COMPARE_PRESETS.smoke,
    seeds: [0],
    finetuneExamples: 200,
    testExamples: 100,
    steps: 3,
    warmup: 1,
    evalEvery: 3,
    earlySteps: [],
    calibrationBatches: 1,
    methods: ["full FT", "LoRA r=1", "Intrinsic d=6208", "Intrinsic d=4 (sweep)"],
    char: null,
    mlpOwnUnit: ["intrinsic"],
  };
  assert.deepEqual(adaptersParts(cfg), ["mlp", "mlp-own"]);
  assert.deepEqual(adaptersParts({ ...cfg, mlpOwnUnit: [] }), ["mlp"]);
  // The char part first: the first seed's is the longest unit, so it starts at once.
  assert.deepEqual(adaptersParts(ADAPTERS_COMPARE_PRESETS.default), ["char", "mlp", "mlp-own"]);
  // Durations differ run to run; everything else must be the same.
  const strip = (rs: Array<{ trainMs: number; initMs: number }>) => rs.map((r) => ({ ...r, trainMs: 0, initMs: 0 }));
  const whole = await runAdaptersSeed(cfg, 0);
  const mlp = await runAdaptersSeed(cfg, 0, undefined, "mlp");
  const own = await runAdaptersSeed(cfg, 0, undefined, "mlp-own");
  assert.deepEqual(
    own.records.map((r) => r.id),
    ["Intrinsic d=6208", "Intrinsic d=4 (sweep)"],
  );
  const merged = mergeAdaptersParts([mlp, own], cfg);
  assert.deepEqual(
    merged.records.map((r) => r.id),
    whole.records.map((r) => r.id),
  );
  assert.deepEqual(strip(merged.records), strip(whole.records));
  assert.deepEqual(merged.selections, whole.selections);
  assert.equal(merged.baseAccA, whole.baseAccA);
  assert.throws(() => mergeAdaptersParts([mlp], cfg), /parts: must be \[mlp, mlp-own\], got 1 parts/);
});
