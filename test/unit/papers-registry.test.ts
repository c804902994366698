// The paper contract: definePaper validation, needs ordering, runPaper's cache and result
// files (committed folders untouched: everything goes to temporary folders), check kinds,
// and JSON that keeps non-finite numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { definePaper, getPaper, papers, runOrder } from "../../src/papers/registry";
import { runPaper, readPaperSummary } from "../../src/papers/run";
import { evidence, sanity } from "../../src/papers/checks";
import { tInterval } from "../../src/metrics/intervals";
import { fromJson, toJson, writeFileAtomic } from "../../src/io/json";
import { PaperDefinition } from "../../src/papers/types";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-registry-"));
process.env.INITLAB_RESULTS = path.join(tmp, "results");
process.env.INITLAB_FIGURES = path.join(tmp, "figures");
process.env.INITLAB_CACHE = path.join(tmp, "cache");

const seeds = {
  smoke: { seeds: [0], k: 1 },
  default: { seeds: [0, 1, 2], k: 2 },
  full: { seeds: [0, 1, 2, 3, 4], k: 3 },
};
let runs = 0;
const base = (
  id: string,
  extra: Partial<PaperDefinition<{ seeds: number[]; k: number }, { values: number[] }>> = {},
) => ({
  id,
  citation: { authors: ["A. Author", "B. Author"], title: `Fixture ${id}`, venue: "Test", year: 2026 },
  claim: "A fixture's values average above one.",
  presets: seeds,
  run: async (c: { seeds: number[]; k: number }) => {
    runs++;
    return { values: c.seeds.map((s) => 1 + c.k + s / 10) };
  },
  checks: (r: { values: number[] }) => [
    evidence("values above 1", tInterval(r.values), "95% interval above 1", tInterval(r.values).lo > 1),
    sanity("one value per seed", r.values.length, "= seeds", true),
  ],
  figures: () => [],
  summary: (r: { values: number[] }) => ({ first: r.values[0], missing: NaN }),
  ...extra,
});

test("definePaper validates and lists; runOrder follows needs; cycles are named", () => {
  definePaper(base("fx-a"));
  definePaper(base("fx-b", { needs: ["fx-a"] }));
  assert.throws(() => definePaper(base("fx-a")), /already registered/);
  assert.throws(() => definePaper(base("Bad_Id")), /id: must be lower-case/);
  assert.throws(
    () => definePaper(base("fx-c", { presets: { ...seeds, smoke: { seeds: [], k: 1 } } })),
    /presets\.smoke\.seeds/,
  );
  assert.throws(
    () => definePaper({ ...base("fx-d"), citation: { authors: [], title: "", venue: "x", year: 2026 } }),
    /citation/,
  );
  assert.throws(() => getPaper("no-such"), /unknown paper "no-such"/);
  assert.throws(
    () => definePaper(base("fx-e", { combine: (p: unknown[]) => ({ values: p as number[] }) })),
    /runSeed: and combine go together/,
  );
  assert.throws(
    () => definePaper(base("fx-f", { runSeed: async () => 1, combine: (p: unknown[]) => ({ values: p as number[] }) })),
    /give either run or runSeed \+ combine/,
  );
  assert.ok(papers().some((p) => p.id === "fx-b" && p.needs[0] === "fx-a" && p.seeds.default.length === 3));
  assert.deepEqual(runOrder(["fx-b", "fx-a"]), ["fx-a", "fx-b"]);
  definePaper(base("fx-x", { needs: ["fx-y"] }));
  definePaper(base("fx-y", { needs: ["fx-x"] }));
  assert.throws(() => runOrder(["fx-x"]), /cycle: fx-x → fx-y → fx-x/);
});

test("runPaper: checks with kinds and intervals, results written at default size, cache hit on the second call", async () => {
  runs = 0;
  const r1 = await runPaper("fx-a", { size: "default" });
  assert.equal(r1.cached, false);
  assert.equal(runs, 1);
  assert.equal(r1.checks[0].kind, "evidence");
  assert.equal(r1.checks[0].seeds, 3);
  assert.equal(r1.checks[1].kind, "sanity");
  const file = readPaperSummary("fx-a", "default");
  assert.ok(file);
  assert.deepEqual(file.seeds, [0, 1, 2]);
  assert.ok(Number.isNaN(file.summary.missing as number), "NaN survives the file");
  const r2 = await runPaper("fx-a", { size: "default" });
  assert.equal(r2.cached, true);
  assert.equal(runs, 1, "no recompute");
  assert.deepEqual(r2.result, r1.result);
  const r3 = await runPaper<{ values: number[] }, { seeds: number[]; k: number }>("fx-a", {
    size: "default",
    config: { k: 5 },
  });
  assert.equal(r3.summaryFile, null, "overridden configs write no results");
  assert.equal(r3.result.values[0], 6);
  await assert.rejects(runPaper("fx-a", { size: "default", config: { nope: 1 } as never }), /unknown key "nope"/);
  await assert.rejects(runPaper("fx-a", { size: "huge" as never }), /unknown size "huge"/);
});

test("a paper reads what it needs through ctx.need; an undeclared need is refused", async () => {
  definePaper(
    base("fx-reader", {
      needs: ["fx-a"],
      run: async (_c, ctx) => ({ values: ((await ctx.need("fx-a")) as { values: number[] }).values.map((v) => v * 2) }),
    }),
  );
  const r = await runPaper<{ values: number[] }>("fx-reader", { size: "smoke" });
  assert.deepEqual(r.result.values, [4]);
  definePaper(base("fx-sneaky", { run: async (_c, ctx) => ctx.need("fx-a") as Promise<{ values: number[] }> }));
  await assert.rejects(runPaper("fx-sneaky", { size: "smoke" }), /does not list it in needs/);
});

test("checks without a kind, or a non-boolean pass, are refused", async () => {
  definePaper(
    base("fx-badcheck", { checks: () => [{ claim: "x", measured: 1, expected: "y", pass: true, seeds: 1 } as never] }),
  );
  await assert.rejects(runPaper("fx-badcheck", { size: "smoke" }), /kind: must be "evidence" or "sanity"/);
  assert.throws(() => evidence("c", 1, "r", "yes" as never), /pass: must be a boolean/);
});

test("JSON keeps NaN and ±Infinity; atomic writes leave no temporary files", () => {
  const v = { a: NaN, b: [Infinity, -Infinity, 1], c: new Float32Array([1, 2]) };
  const back = fromJson<{ a: number; b: number[]; c: number[] }>(toJson(v));
  assert.ok(Number.isNaN(back.a));
  assert.deepEqual(back.b, [Infinity, -Infinity, 1]);
  assert.deepEqual(back.c, [1, 2]);
  assert.throws(() => fromJson("{", "f.json"), /f\.json: not valid JSON/);
  const f = path.join(tmp, "atomic", "x.json");
  writeFileAtomic(f, "1");
  writeFileAtomic(f, "2");
  assert.equal(fs.readFileSync(f, "utf8"), "2");
  assert.deepEqual(fs.readdirSync(path.dirname(f)), ["x.json"]);
});
