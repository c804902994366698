// Extending the library without touching src/: a fixture adapter method with its benchmark
// entry, defined in this test, joins the adapters-compare benchmark and its report; and a
// fixture paper registered here runs through runPaper and writes its summary.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import "../../src/papers/all";
import {
  benchVariants,
  LoraAdapter,
  LoraConfig,
  registerAdapter,
  registerBenchEntry,
  showAdaptersTable,
  withRunSeed,
  RunRecord,
} from "../../src/adapters";
import { colorFor } from "../../src/plot/theme";
import { checksMarkdown, definePaper, evidence, runPaper, sanity } from "../../src/papers";
import {
  ADAPTERS_COMPARE_PRESETS,
  AdaptersCompareConfig,
  AdaptersCompareResult,
} from "../../src/papers/adapters-compare";

/** The fixture method: LoRA with α = r (scale 1) under its own name. */
class ScaledLora extends LoraAdapter {
  override readonly method: string = "scaled-lora";
}

registerAdapter("scaled-lora", (base, config) => new ScaledLora(base as tf.Variable<tf.Rank.R2>, config as LoraConfig));
let afterTrainCalls = 0;
registerBenchEntry({
  method: "scaled-lora",
  color: "#123abc",
  variants: (s) => [
    { id: `scaled-LoRA r=${s.midRank}`, tier: "mid", config: { r: s.midRank, alpha: s.midRank }, family: "lora" },
  ],
  prepareConfig: withRunSeed,
  afterTrain: ({ model }) => {
    afterTrainCalls++;
    return { fixtureAdapters: model.adapters.filter((a) => a instanceof ScaledLora).length };
  },
});

function withTempDirs<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-ext-"));
  const keys = ["INITLAB_RESULTS", "INITLAB_FIGURES", "INITLAB_CACHE"] as const;
  const prev = keys.map((k) => process.env[k]);
  process.env.INITLAB_RESULTS = path.join(dir, "results");
  process.env.INITLAB_FIGURES = path.join(dir, "figures");
  process.env.INITLAB_CACHE = path.join(dir, "cache");
  return f(dir).finally(() => {
    keys.forEach((k, i) => (prev[i] === undefined ? delete process.env[k] : (process.env[k] = prev[i])));
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test("a fixture method registered in the test joins the benchmark's variants, runs, and appears in the records, summary and table", async () => {
  assert.ok(
    benchVariants(ADAPTERS_COMPARE_PRESETS.default).some(
      (v) => v.id === "scaled-LoRA r=4" && v.method === "scaled-lora",
    ),
  );
  assert.equal(colorFor("scaled-LoRA r=4"), "#123abc");
  await withTempDirs(async () => {
    const config: Partial<AdaptersCompareConfig> = {
      methods: ["full FT", "scaled-lora"],
      finetuneExamples: 300,
      testExamples: 100,
      steps: 6,
      warmup: 2,
      evalEvery: 3,
      earlySteps: [3],
      calibrationBatches: 1,
      char: null,
    };
    const run = await runPaper<AdaptersCompareResult, AdaptersCompareConfig>("adapters-compare", {
      size: "smoke",
      config,
      cache: false,
    });
    const ids = [...new Set(run.result.records.map((r: RunRecord) => r.id))];
    assert.deepEqual(ids, ["full FT", "scaled-LoRA r=4"]);
    const rec = run.result.records.find((r) => r.id === "scaled-LoRA r=4")!;
    assert.equal(rec.method, "scaled-lora");
    assert.equal(rec.params, 4 * (784 + 256) + 4 * 512);
    assert.equal(rec.extra.fixtureAdapters, 2);
    assert.equal(afterTrainCalls, 1);
    assert.ok(rec.curve.every((p) => Number.isFinite(p.testLossB)));
    // The report: the summary and the table name it; the cross-method checks cover it as a mid-tier adapter.
    assert.ok(
      typeof run.summary["scaled-LoRA r=4"] === "string" &&
        /params 6208/.test(run.summary["scaled-LoRA r=4"] as string),
    );
    assert.match(showAdaptersTable(run.result), /scaled-LoRA r=4/);
    assert.match(checksMarkdown(run.checks), /mid-tier adapter/);
    assert.ok(run.figures.length > 0);
  });
});

test("a fixture paper registered in the test runs through runPaper and writes its summary.json with its checks", async () => {
  definePaper<{ seeds: number[]; n: number }, { values: number[] }>({
    id: "fixture-extension-paper",
    citation: { authors: ["Fixture"], title: "A fixture paper", venue: "test", year: 2026 },
    claim: "A paper defined outside src/ runs through the contract unchanged.",
    presets: { smoke: { seeds: [0], n: 3 }, default: { seeds: [0, 1], n: 3 }, full: { seeds: [0, 1, 2], n: 3 } },
    run: async (cfg) => ({ values: cfg.seeds.map((s) => s + cfg.n) }),
    checks: (r) => [
      evidence("The fixture's value is positive", r.values[0], "> 0", r.values[0] > 0),
      sanity("One value per seed", r.values.length, "= seeds", r.values.length >= 1),
    ],
    figures: () => [],
    summary: (r) => ({ first: r.values[0] }),
  });
  await withTempDirs(async (dir) => {
    const run = await runPaper("fixture-extension-paper", { size: "smoke" });
    assert.equal(run.summaryFile, path.join(dir, "results", "fixture-extension-paper", "summary.json"));
    const file = JSON.parse(fs.readFileSync(run.summaryFile!, "utf8"));
    assert.equal(file.id, "fixture-extension-paper");
    assert.deepEqual(
      file.checks.map((c: { kind: string; pass: boolean }) => [c.kind, c.pass]),
      [
        ["evidence", true],
        ["sanity", true],
      ],
    );
    assert.equal(file.summary.first, 3);
    assert.deepEqual(file.seeds, [0]);
  });
});
