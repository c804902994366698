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
    configs.map((config) => ({ paper: "quickstart", config, module })),
    {
      workers: 2,
      onProgress: (i) => events.push(i),
    },
  );
  const seq = [];
  for (const c of configs) seq.push(await quickstart.run(c, ctx));
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
