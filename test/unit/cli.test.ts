import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commands, main, parseFlags } from "../../src/cli/main";

const FX = path.join(__dirname, "../fixtures/safetensors");
const BASE = path.join(FX, "base.safetensors");
const TUNED = path.join(FX, "tuned.safetensors");
const numpy = JSON.parse(fs.readFileSync(path.join(FX, "analyze.json"), "utf8"));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

test("analyze --json matches numpy on the committed pair (schema, values, skipped, totals)", async () => {
  const r = await run(["analyze", "--base", BASE, "--tuned", TUNED, "--json"]);
  assert.equal(r.code, 0);
  assert.equal(r.err, "");
  const doc = JSON.parse(r.out);
  assert.deepEqual(Object.keys(doc.totals).sort(), ["intruders", "tensors"]);
  assert.deepEqual(doc.totals, numpy.totals);
  assert.equal(doc.tensors.length, 2);
  for (const [i, t] of doc.tensors.entries()) {
    const e = numpy.tensors[i];
    assert.deepEqual(Object.keys(t).sort(), [
      "effectiveRankBase",
      "effectiveRankTuned",
      "intruders",
      "name",
      "relativeChange",
      "shape",
      "stableRankBase",
      "stableRankTuned",
    ]);
    assert.equal(t.name, e.name);
    assert.deepEqual(t.shape, e.shape);
    assert.equal(t.intruders, e.intruders);
    for (const key of [
      "relativeChange",
      "effectiveRankBase",
      "effectiveRankTuned",
      "stableRankBase",
      "stableRankTuned",
    ]) {
      assert.ok(
        Math.abs(t[key] - e[key]) < 1e-9 * Math.max(1, Math.abs(e[key])),
        `${t.name}.${key}: ${t[key]} vs ${e[key]}`,
      );
    }
  }
  assert.equal(doc.tensors[0].intruders, 1, "the planted spike is an intruder");
  const skipped = Object.fromEntries(doc.skipped.map((s: { name: string; reason: string }) => [s.name, s.reason]));
  assert.match(skipped.only_in_base, /missing in tuned/);
  assert.match(skipped.only_in_tuned, /missing in base/);
  assert.match(skipped.mismatch, /shape \[4, 4\] in base vs \[4, 5\] in tuned/);
  assert.match(skipped["layers.0.bias"], /not 2-D/);
});

test("analyze flags: --k and --epsilon change the count; text output has a totals line", async () => {
  const strict = JSON.parse((await run(["analyze", "--base", BASE, "--tuned", TUNED, "--json", "--epsilon", "0"])).out);
  assert.equal(strict.totals.intruders, 0, "ε = 0 admits no intruder");
  const k1 = JSON.parse((await run(["analyze", "--base", BASE, "--tuned", TUNED, "--json", "--k=1"])).out);
  const expectK1 = numpy.tensors.reduce(
    (s: number, t: { maxCosine: number[] }) => s + (t.maxCosine[0] < 0.5 ? 1 : 0),
    0,
  );
  assert.equal(k1.totals.intruders, expectK1);
  const text = await run(["analyze", "--base", BASE, "--tuned", TUNED]);
  assert.equal(text.code, 0);
  assert.match(text.out, /layers\.0\.weight\s+12×8\s+1\s/);
  assert.match(text.out, /total: 1 intruder dimension\(s\) in 2 tensor\(s\)/);
});

test("spectrum --json gives numpy's singular values", async () => {
  const r = await run(["spectrum", BASE, "--json"]);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.out);
  const t = doc.tensors.find((x: { name: string }) => x.name === "layers.0.weight");
  const e = numpy.tensors[0];
  t.singularValues.forEach((s: number, i: number) => assert.ok(Math.abs(s - e.singularValuesBase[i]) < 1e-9));
  assert.ok(Math.abs(t.effectiveRank - e.effectiveRankBase) < 1e-9);
  assert.ok(Math.abs(t.stableRank - e.stableRankBase) < 1e-9);
  assert.equal(t.spectralNorm, t.singularValues[0]);
  assert.match((await run(["spectrum", BASE])).out, /layers\.1\.weight\s+6×12/);
});

const failures: Array<[string, string[], number, RegExp]> = [
  [
    "missing file",
    ["analyze", "--base", "/nonexistent.safetensors", "--tuned", TUNED],
    1,
    /nonexistent\.safetensors: cannot read file: ENOENT/,
  ],
  ["unknown flag", ["analyze", "--base", BASE, "--tuned", TUNED, "--eps", "0.3"], 2, /unknown flag "--eps"/],
  [
    "missing --tuned",
    ["analyze", "--base", BASE],
    2,
    /--tuned <file\.safetensors or model folder> \(or --adapter <PEFT folder>\) is required/,
  ],
  ["bad --k", ["analyze", "--base", BASE, "--tuned", TUNED, "--k", "0"], 2, /--k must be a positive integer/],
  [
    "non-numeric --epsilon",
    ["analyze", "--base", BASE, "--tuned", TUNED, "--epsilon", "abc"],
    2,
    /--epsilon needs a number/,
  ],
  ["flag without value", ["analyze", "--base", BASE, "--tuned"], 2, /--tuned needs a value/],
  ["stray positional", ["analyze", "x", "--base", BASE, "--tuned", TUNED], 2, /unexpected argument "x"/],
  ["spectrum without file", ["spectrum"], 2, /expected one file/],
  ["unknown command", ["analyse"], 2, /unknown command "analyse"/],
];
for (const [label, argv, code, re] of failures) {
  test(`CLI failure: ${label} → exit ${code} with the reason on stderr`, async () => {
    const r = await run(argv);
    assert.equal(r.code, code);
    assert.equal(r.out, "");
    assert.match(r.err.split("\n")[0], re);
  });
}

test("corrupt checkpoint → exit 1, one line naming the file and the reason", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
  const bad = path.join(dir, "bad.safetensors");
  fs.writeFileSync(bad, fs.readFileSync(TUNED).subarray(0, 1000)); // truncated inside the data
  const r = await run(["analyze", "--base", BASE, "--tuned", bad]);
  assert.equal(r.code, 1);
  assert.equal(r.err.trimEnd().split("\n").length, 1);
  assert.match(r.err, /bad\.safetensors tensor ".*": data_offsets .* are out of range/);
  fs.rmSync(dir, { recursive: true });
});

test("the registry is extensible and the help lists every command", async () => {
  assert.deepEqual(Object.keys(commands).sort(), ["analyze", "spectrum", "sweep", "worker"]);
  const h = await run(["--help"]);
  assert.equal(h.code, 0);
  for (const n of Object.keys(commands)) assert.match(h.out, new RegExp(`\\b${n}\\b`));
  assert.throws(() => parseFlags(["--json=1"], { json: "boolean" }), /takes no value/);
  assert.throws(() => parseFlags(["--k", "1", "--k", "2"], { k: "number" }), /given twice/);
});

test("runs as a process: `node --import tsx src/cli/main.ts spectrum <missing>` exits 1 with one stderr line (shebang entry point)", () => {
  const root = path.join(__dirname, "../..");
  assert.match(fs.readFileSync(path.join(root, "src/cli/main.ts"), "utf8"), /^#!\/usr\/bin\/env node\n/);
  const bad = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "spectrum", "/nonexistent.safetensors"],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^initlab spectrum: \/nonexistent\.safetensors: cannot read file: ENOENT\n$/);
});
