// runParallel: worker-thread runs of a registered paper give exactly the sequential results;
// bad input is named.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { backendReady } from "../../src/nn/backend";
import { runParallel } from "../../src/papers/parallel";
import { quickstart } from "../../src/papers/quickstart";
import { QuickstartConfig } from "../../src/papers/quickstart/run";
import { withOverrides } from "../../src/core/types";

// Loading the one paper module (not the whole list) keeps worker start-up short.
const module = path.resolve(__dirname, "../../src/papers/quickstart/index.ts");
const tiny = (seed: number): QuickstartConfig =>
  withOverrides(quickstart.presets.smoke, { examples: 300, hidden: [16], epochs: 1, seeds: [seed] });
const ctx = {
  size: "default" as const,
  need: async () => {
    throw new Error("no");
  },
};

test("two seeds in two workers equal the same runs done sequentially", async () => {
  await backendReady();
  const configs = [tiny(0), tiny(1)];
  const events: number[] = [];
  const par = await runParallel(
    configs.map((config) => ({ paper: "quickstart", config, seed: config.seeds[0], module })),
    {
      workers: 2,
      onProgress: (i) => events.push(i),
    },
  );
  const seq = [];
  for (const c of configs) seq.push(await quickstart.runSeed!(c, c.seeds[0], ctx));
  assert.deepEqual(par, seq);
  assert.notDeepEqual(par[0], par[1], "different seeds give different runs");
  assert.deepEqual([...new Set(events)].sort(), [0, 1], "progress from both tasks");
});

test("runParallel names bad input and failing tasks", async () => {
  assert.deepEqual(await runParallel([]), []);
  await assert.rejects(runParallel([{ paper: "", config: {} }]), /tasks\[0\]\.paper/);
  await assert.rejects(runParallel([{ paper: "quickstart", config: tiny(0) }], { workers: 0 }), /opts\.workers/);
  await assert.rejects(
    runParallel([{ paper: "quickstart", config: tiny(0), module: "rel/path.ts" }]),
    /tasks\[0\]\.module/,
  );
  await assert.rejects(
    runParallel([{ paper: "quickstart", config: tiny(0) }], { nope: 1 } as never),
    /opts: unknown option "nope"/,
  );
  await assert.rejects(
    runParallel([{ paper: "no-such-paper", config: {}, module }]),
    /task 0 \(no-such-paper\) failed: id: unknown paper "no-such-paper"/,
  );
});

test("runPaper over seeds: two workers give the sequential result; cached seeds are not recomputed", async () => {
  const os = await import("os");
  const fs = await import("fs");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-seeds-"));
  process.env.INITLAB_CACHE = path.join(tmp, "cache");
  process.env.INITLAB_RESULTS = path.join(tmp, "results");
  process.env.INITLAB_FIGURES = path.join(tmp, "figures");
  const { runPaper } = await import("../../src/papers/run");
  const config = { examples: 300, hidden: [16], epochs: 1, seeds: [0, 1] };
  const seq = await runPaper("quickstart", { size: "smoke", config, workers: 1, cache: false });
  const par = await runPaper("quickstart", { size: "smoke", config, workers: 2 });
  assert.deepEqual(par.result, seq.result);
  assert.deepEqual(par.checks, seq.checks);
  // Seeds 0 and 1 are cached per seed now: adding seed 2 runs only seed 2.
  const events: string[] = [];
  const more = await runPaper("quickstart", {
    size: "smoke",
    config: { ...config, seeds: [0, 1, 2] },
    onProgress: (e) => events.push(e.label),
  });
  assert.deepEqual((more.result as { runs: unknown[] }).runs.slice(0, 2), (seq.result as { runs: unknown[] }).runs);
  assert.ok(
    events.length > 0 && events.every((l) => l.includes("seed 2")),
    `only seed 2 ran: ${[...new Set(events)].join(", ")}`,
  );
});

test("seedParts: (seed, part) units in workers merge into the sequential runner's result", async () => {
  const os = await import("os");
  const fs = await import("fs");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-parts-"));
  process.env.INITLAB_CACHE = path.join(tmp, "cache");
  process.env.INITLAB_RESULTS = path.join(tmp, "results");
  process.env.INITLAB_FIGURES = path.join(tmp, "figures");
  await import("../fixtures/parts-paper");
  const fixture = path.resolve(__dirname, "../fixtures/parts-paper.ts");
  const { runPaper } = await import("../../src/papers/run");
  type Run = { seed: number; parts: Array<{ part: string; draws: number[]; thread: number }> };
  const noThreads = (runs: Run[]) => runs.map((x) => ({ ...x, parts: x.parts.map((p) => ({ ...p, thread: 0 })) }));
  // The runner's sequential path (this thread): every part of each seed, merged in order.
  const seq = (
    (await runPaper("fixture-parts", { size: "smoke", workers: 1, cache: false, write: false })).result as {
      runs: Run[];
    }
  ).runs;
  assert.deepEqual(
    seq.map((r) => r.parts.map((p) => p.part)),
    [
      ["a", "b"],
      ["a", "b"],
    ],
  );
  // Workers: one task per (seed, part), and one whole-seed task per seed (a sweep's job).
  const config = { seeds: [0, 1] };
  const units = await runParallel<typeof config, Run>(
    [0, 1].flatMap((s) =>
      ["a", "b"].map((part) => ({ paper: "fixture-parts", config, seed: s, part, module: fixture })),
    ),
    { workers: 2 },
  );
  const whole = await runParallel<typeof config, Run>(
    [0, 1].map((s) => ({ paper: "fixture-parts", config, seed: s, module: fixture })),
    { workers: 2 },
  );
  const merged = [0, 1].map((k) => ({ seed: k, parts: [...units[2 * k].parts, ...units[2 * k + 1].parts] }));
  assert.deepEqual(noThreads(merged), noThreads(seq));
  assert.deepEqual(noThreads(whole), noThreads(seq));
  const threads = new Set(units.flatMap((r) => r.parts.map((p) => p.thread)));
  assert.ok(threads.size === 2 && !threads.has(0), `units ran in two worker threads: ${[...threads]}`);
  // A paper must give seedParts and mergeParts together.
  const { definePaper } = await import("../../src/papers/registry");
  assert.throws(
    () =>
      definePaper({
        id: "fixture-parts-bad",
        citation: { authors: [], title: "x", venue: "test", year: 2026 },
        claim: "A paper with parts but no merge.",
        presets: { smoke: { seeds: [0] }, default: { seeds: [0] }, full: { seeds: [0] } },
        runSeed: async () => 0,
        combine: () => 0,
        seedParts: () => ["a"],
        checks: () => [],
        figures: () => [],
      }),
    /seedParts/,
  );
  assert.throws(
    () =>
      definePaper({
        id: "fixture-parts-bad-flag",
        citation: { authors: [], title: "x", venue: "test", year: 2026 },
        claim: "A paper with a non-boolean seed-list flag.",
        presets: { smoke: { seeds: [0] }, default: { seeds: [0] }, full: { seeds: [0] } },
        runSeed: async () => 0,
        combine: () => 0,
        seedResultsReadSeedList: "yes" as unknown as boolean,
        checks: () => [],
        figures: () => [],
      }),
    /seedResultsReadSeedList: must be a boolean/,
  );
});
