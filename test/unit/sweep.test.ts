// Sweeps without Redis: argument checks, job expansion and keys, local runs on worker
// threads with a test-only fixture paper (results, retries and failures, resumption after a
// crash, grid points kept apart from the preset's results).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "../../src/papers/all";
import { main } from "../../src/cli/main";
import { parseSweepArgs } from "../../src/cli/sweep-args";
import { parseGridArg, parseSeeds, planSweep, pointHash } from "../../src/cli/sweep-plan";
import { configHash, seedJobKey } from "../../src/papers/run";
import { fromJson } from "../../src/io/json";

const FIXTURE = path.resolve(__dirname, "../fixtures/sweep-papers.ts");
import "../fixtures/sweep-papers";

/** Fresh results, cache and figures folders for one test. */
function sandbox(): { dir: string; results: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-sweep-"));
  process.env.INITLAB_RESULTS = path.join(dir, "results");
  process.env.INITLAB_CACHE = path.join(dir, "cache");
  process.env.INITLAB_FIGURES = path.join(dir, "figures");
  return { dir, results: process.env.INITLAB_RESULTS, cache: process.env.INITLAB_CACHE };
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Every *.json file under dir (dot files, i.e. temporaries, excluded). */
function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".json") && !path.basename(f).startsWith("."));
}

test("seeds and grid values are parsed, and bad ones named", () => {
  assert.deepEqual(parseSeeds("0..4"), [0, 1, 2, 3, 4]);
  assert.deepEqual(parseSeeds("0..2,7"), [0, 1, 2, 7]);
  assert.throws(() => parseSeeds("5..1"), /--seeds: range "5\.\.1" runs backwards/);
  assert.throws(() => parseSeeds("1,x"), /--seeds: "x" is not a seed/);
  assert.throws(() => parseSeeds("-1"), /--seeds/);
  assert.throws(() => parseSeeds("0..3,2"), /seed 2 is given twice/);
  assert.deepEqual(parseGridArg("lr=0.001,0.003"), { key: "lr", values: [0.001, 0.003] });
  assert.deepEqual(parseGridArg("hidden=[64,32],[128]").values, [[64, 32], [128]]);
  assert.throws(() => parseGridArg("lr"), /--grid: "lr" must look like key=v1,v2/);
  assert.throws(() => parseGridArg("lr=1,1"), /repeats a value/);
  assert.throws(() => parseGridArg("seeds=1,2"), /use --seeds/);
});

test("a seed's job key leaves out the seed list, unless the paper's seed results read it", () => {
  const rl = planSweep({ papers: ["rich-lazy"], size: "default", seeds: [0, 1, 2] }).jobs[0].config;
  // rich-lazy's seeds are independent: seed 0's key is the same whatever the other seeds are.
  assert.equal(seedJobKey("rich-lazy", rl, 0), seedJobKey("rich-lazy", { ...rl, seeds: [0, 5] }, 0));
  assert.notEqual(seedJobKey("rich-lazy", rl, 0), seedJobKey("rich-lazy", rl, 1));
  // adapters-compare's first seed runs the char base for every seed: the list is in the key.
  const ac = planSweep({ papers: ["adapters-compare"], size: "default", seeds: [0, 1, 2] }).jobs[0].config;
  assert.notEqual(seedJobKey("adapters-compare", ac, 0), seedJobKey("adapters-compare", { ...ac, seeds: [0, 1] }, 0));
  assert.equal(seedJobKey("adapters-compare", ac, 0), seedJobKey("adapters-compare", { ...ac }, 0));
});

test("a plan has one job per paper × grid point × seed, keyed like runPaper's per-seed cache", () => {
  const plan = planSweep({ papers: ["quickstart", "rich-lazy"], size: "default", seeds: parseSeeds("0..5") });
  assert.equal(plan.jobs.length, 12);
  const j = plan.jobs.find((x) => x.paper === "rich-lazy" && x.seed === 4)!;
  assert.deepEqual(j.config.seeds, [0, 1, 2, 3, 4, 5]);
  assert.equal(j.key, seedJobKey("rich-lazy", j.config, 4));
  assert.equal(j.id, `rich-lazy.default.${j.key}`);
  assert.equal(
    planSweep({ papers: ["quickstart", "rich-lazy"], size: "default", seeds: [0, 1, 2, 3, 4, 5] }).sweepId,
    plan.sweepId,
  );
  const grid = planSweep({
    papers: ["quickstart"],
    size: "smoke",
    grid: [parseGridArg("lr=0.01,0.1"), parseGridArg("epochs=1,2,3")],
  });
  assert.equal(grid.points.length, 6);
  assert.equal(grid.jobs.length, 6 * 1); // smoke quickstart has one seed
  assert.deepEqual(grid.points[5], { lr: 0.1, epochs: 3 });
  const whole = planSweep({ papers: ["sweep-fixture-whole"], size: "smoke" });
  assert.equal(whole.jobs.length, 1);
  assert.equal(whole.jobs[0].seed, null);
  assert.equal(whole.jobs[0].key, configHash("sweep-fixture-whole", whole.jobs[0].config));
});

test("bad arguments get clear errors (unknown paper, grid key, value kind, flags)", () => {
  assert.throws(() => parseSweepArgs(["no-such-paper"]), /unknown paper "no-such-paper"/);
  assert.throws(
    () => parseSweepArgs(["quickstart", "--grid", "lrr=1,2"]),
    /paper "quickstart" has no config key "lrr" \(its keys: examples, hidden/,
  );
  assert.throws(
    () => parseSweepArgs(["quickstart", "--grid", "lr=fast"]),
    /lr="fast" for paper "quickstart" must be a number/,
  );
  assert.throws(() => parseSweepArgs(["quickstart", "lr=1"]), /write --grid lr=1/);
  assert.throws(() => parseSweepArgs(["quickstart", "--size", "huge"]), /--size: unknown size "huge"/);
  assert.throws(() => parseSweepArgs(["quickstart", "--detach"]), /--detach needs --queue/);
  assert.throws(
    () => parseSweepArgs(["quickstart", "--queue", "http://x:1"]),
    /must start with redis:\/\/ or rediss:\/\//,
  );
  assert.throws(() => parseSweepArgs(["quickstart", "--workers", "0"]), /--workers: must be a positive integer/);
  assert.throws(() => parseSweepArgs(["quickstart", "--bogus"]), /unknown flag "--bogus"/);
  assert.throws(() => parseSweepArgs([]), /name at least one paper id/);
  // Several grid values after one --grid, as in the usage line.
  assert.equal(
    parseSweepArgs(["quickstart", "--size", "smoke", "--grid", "lr=0.1,0.2", "epochs=1,2"]).plan.points.length,
    4,
  );
});

test("a local sweep merges seeds into results and the report; a failing seed is retried, then marked", async () => {
  const sb = sandbox();
  const log = path.join(sb.dir, "starts.log");
  const r = await cli([
    "sweep",
    "sweep-fixture",
    "sweep-fixture-whole",
    "--papers",
    FIXTURE,
    "--size",
    "smoke",
    "--seeds",
    "0..3",
    "--grid",
    `log="${log}"`,
  ]);
  // A grid point never writes the preset's results.
  assert.equal(r.code, 0, r.err);
  assert.equal(fs.existsSync(path.join(sb.results, "sweep-fixture", "summary.json")), false);
  const plan = planSweep({
    papers: ["sweep-fixture"],
    size: "smoke",
    seeds: [0, 1, 2, 3],
    grid: [parseGridArg(`log="${log}"`)],
  });
  const f = path.join(sb.results, "sweep-fixture", "grid", pointHash(plan.jobs[0].config), "summary.json");
  const s = fromJson<{ summary: Record<string, number>; seeds: number[]; grid: unknown }>(fs.readFileSync(f, "utf8"));
  assert.equal(s.summary["sum of values"], 0 + 1 + 4 + 9 + 4 * 1); // Σ s² + offset over seeds 0..3
  assert.deepEqual(s.seeds, [0, 1, 2, 3]);
  assert.match(fs.readFileSync(path.join(sb.results, "sweep-fixture", "grid", "summary.md"), "utf8"), /\| ok \|/);
  // 4 seed jobs + 1 whole-run job, each run once.
  assert.equal(fs.readFileSync(log, "utf8").trim().split("\n").length, 4 + 4);

  const sb2 = sandbox();
  const bad = await cli([
    "sweep",
    "sweep-fixture",
    "--papers",
    FIXTURE,
    "--size",
    "smoke",
    "--grid",
    "failSeeds=[1]",
    "--attempts",
    "2",
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /retrying sweep-fixture failSeeds=\[1\] seed 1 \(attempt 1 failed: boom on seed 1\)/);
  assert.match(bad.err, /seed 1: boom on seed 1/);
  const md = fs.readFileSync(path.join(sb2.results, "sweep-fixture", "grid", "summary.md"), "utf8");
  assert.match(
    md,
    /\*\*failed\*\*: sweep job sweep-fixture failSeeds=\[1\] seed 1 failed after 2 attempt\(s\): boom on seed 1/,
  );
});

test("preset sweep: results/<id>/summary.json and the report like repro; a rerun after a crash runs only what is missing", async () => {
  const sb = sandbox();
  const argv = ["sweep", "sweep-fixture", "--papers", FIXTURE, "--size", "smoke", "--seeds", "0..3"];
  const first = await cli(argv);
  assert.equal(first.code, 0, first.err);
  const summary = fromJson<{ seeds: number[]; checks: Array<{ kind: string; pass: boolean }> }>(
    fs.readFileSync(path.join(sb.results, "sweep-fixture", "summary.json"), "utf8"),
  );
  assert.deepEqual(summary.seeds, [0, 1, 2, 3]);
  const report = fs.readFileSync(path.join(sb.results, "summary.md"), "utf8");
  assert.match(report, /## sweep-fixture/);
  assert.match(report, /seeds 0, 1, 2, 3/);
  for (const f of jsonFiles(sb.cache))
    assert.doesNotThrow(() => JSON.parse(fs.readFileSync(path.join(sb.cache, f), "utf8")), f);
  // Lose two seeds' results (a crash before they were stored): the rerun runs exactly those.
  const seedFiles = jsonFiles(path.join(sb.cache, "smoke", "sweep-fixture")).filter((f) => f.startsWith("seed-"));
  assert.equal(seedFiles.length, 4);
  for (const f of seedFiles.slice(0, 2)) fs.rmSync(path.join(sb.cache, "smoke", "sweep-fixture", f));
  const again = await cli(argv);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /4 jobs .*, 2 already cached/);
  const third = await cli(argv);
  assert.match(third.out, /4 jobs .*, 4 already cached/);
});
