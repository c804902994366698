// runParallel: worker-thread runs give exactly the sequential results; bad input is named.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { backendReady } from "../../src/nn/backend";
import { runParallel } from "../../src/papers/parallel";
import { quickstart } from "../../src/papers/quickstart/run";
import { withOverrides } from "../../src/core/types";

// Loading the one experiment module (not the whole barrel) keeps worker start-up short.
const module = path.resolve(__dirname, "../../src/experiments/quickstart.ts");
const tiny = (seed: number) => withOverrides(quickstart.presets.smoke, { examples: 300, hidden: [16], epochs: 1, seed });

test("two seeds in two workers equal the same runs done sequentially", async () => {
  await backendReady();
  const configs = [tiny(0), tiny(1)];
  const events: number[] = [];
  const par = await runParallel(configs.map((config) => ({ experiment: "quickstart", config, module })), {
    workers: 2,
    onProgress: (i) => events.push(i),
  });
  const seq = [];
  for (const c of configs) seq.push(await quickstart.run(c));
  assert.deepEqual(par, seq);
  assert.notDeepEqual(par[0].series, par[1].series, "different seeds give different runs");
  assert.deepEqual([...new Set(events)].sort(), [0, 1], "progress from both tasks");
});

test("runParallel names bad input and failing tasks", async () => {
  assert.deepEqual(await runParallel([]), []);
  await assert.rejects(runParallel([{ experiment: "", config: {} }]), /tasks\[0\]\.experiment/);
  await assert.rejects(runParallel([{ experiment: "quickstart", config: tiny(0) }], { workers: 0 }), /opts\.workers/);
  await assert.rejects(runParallel([{ experiment: "quickstart", config: tiny(0), module: "rel/path.ts" }]), /tasks\[0\]\.module/);
  await assert.rejects(runParallel([{ experiment: "quickstart", config: tiny(0) }], { nope: 1 } as never), /opts: unknown option "nope"/);
  await assert.rejects(runParallel([{ experiment: "no-such-experiment", config: {}, module }]), /task 0 \(no-such-experiment\) failed: no experiment named "no-such-experiment"/);
});
