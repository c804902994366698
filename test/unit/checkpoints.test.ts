// Checkpoints as people have them: sharded Hugging Face folders (F16/BF16, index.json), full
// fine-tunes and PEFT LoRA adapters, against the numpy answers of
// test/fixtures/gen_checkpoints.py; names that are Object.prototype keys; the HTML report.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../src/cli/main";
import { openCheckpoint, parseSafetensorsIndex } from "../../src/io/checkpoint";
import { openLoraAdapter } from "../../src/io/peft";
import { loadSafetensors, readSafetensors, writeSafetensors } from "../../src/io/safetensors";

const FX = path.join(__dirname, "../fixtures/checkpoints");
const expected = JSON.parse(fs.readFileSync(path.join(FX, "expected.json"), "utf8"));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "initlab-ck-"));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

type Row = {
  name: string;
  intruders: number;
  relativeChange: number;
  effectiveRankBase: number;
  effectiveRankTuned: number;
};

function checkRows(rows: Row[], want: Record<string, Omit<Row, "name">>): void {
  assert.deepEqual(rows.map((r) => r.name).sort(), Object.keys(want).sort());
  for (const r of rows) {
    const e = want[r.name];
    assert.equal(r.intruders, e.intruders, `${r.name}: intruders`);
    for (const key of ["relativeChange", "effectiveRankBase", "effectiveRankTuned"] as const)
      assert.ok(
        Math.abs(r[key] - e[key]) <= 1e-8 * Math.max(1, Math.abs(e[key])),
        `${r.name}.${key}: ${r[key]} vs ${e[key]}`,
      );
  }
}

test("a sharded F16/BF16 base folder opens through its index; every tensor is where the index says", () => {
  const ck = openCheckpoint(path.join(FX, "base"));
  try {
    assert.equal(ck.layout, "sharded");
    const index = parseSafetensorsIndex(fs.readFileSync(path.join(FX, "base/model.safetensors.index.json"), "utf8"));
    assert.deepEqual(ck.names, [...index.weightMap.keys()]);
    assert.equal(new Set(index.weightMap.values()).size, 2);
    assert.equal(ck.entry("model.layers.0.self_attn.q_proj.weight")?.dtype, "F16");
    assert.equal(ck.entry("lm_head.weight")?.dtype, "BF16");
    const t = ck.read("model.layers.1.input_layernorm.weight");
    assert.deepEqual(t.shape, [32]);
    assert.ok(Array.from(t.data as Float32Array).every((v) => v === 1));
  } finally {
    ck.close();
  }
});

test("analyze: sharded base vs sharded full fine-tune gives numpy's intruder counts", async () => {
  const r = await run(["analyze", "--base", path.join(FX, "base"), "--tuned", path.join(FX, "full"), "--json"]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  checkRows(doc.tensors, expected.full);
  assert.equal(
    doc.totals.intruders,
    Object.values(expected.full as Record<string, Row>).reduce((s, x) => s + x.intruders, 0),
  );
  assert.ok(doc.totals.intruders > 0, "the fixture plants intruders");
  assert.deepEqual(
    doc.skipped.map((s: { reason: string }) => s.reason),
    ["not 2-D (shape [32])", "not 2-D (shape [32])"],
  );
});

test("analyze: sharded base + PEFT LoRA adapter gives numpy's counts; modules outside target_modules are ignored", async () => {
  const r = await run(["analyze", "--base", path.join(FX, "base"), "--adapter", path.join(FX, "lora"), "--json"]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  checkRows(doc.tensors, expected.lora);
  const skipped = new Map(doc.skipped.map((s: { name: string; reason: string }) => [s.name, s.reason]));
  assert.equal(skipped.get("model.layers.0.mlp.up_proj"), "adapter module not in target_modules");
  assert.equal(skipped.get("lm_head.weight"), "unchanged by the adapter");
});

test("analyze: rsLoRA + fan_in_fan_out + regex target_modules + rank/alpha patterns + embedding LoRA", async () => {
  const r = await run(["analyze", "--base", path.join(FX, "gpt2"), "--adapter", path.join(FX, "gpt2-lora"), "--json"]);
  assert.equal(r.code, 0, r.err);
  checkRows(JSON.parse(r.out).tensors, expected["gpt2-lora"]);
});

for (const [adapter, base] of [
  ["lora", "base"],
  ["gpt2-lora", "gpt2"],
]) {
  test(`round trip: ${adapter} merged by initlab equals numpy's merged weights`, () => {
    const ad = openLoraAdapter(path.join(FX, adapter));
    const ck = openCheckpoint(path.join(FX, base));
    const merged = loadSafetensors(path.join(FX, adapter, "merged.safetensors"));
    try {
      assert.deepEqual([...ad.modules.keys()].sort(), Object.keys(merged.tensors).sort());
      for (const [name, want] of Object.entries(merged.tensors)) {
        const w = ck.read(name);
        const d = ad.delta(name);
        assert.deepEqual(d.shape, want.shape, name);
        let worst = 0;
        for (let i = 0; i < d.data.length; i++)
          worst = Math.max(worst, Math.abs(Number(w.data[i]) + d.data[i] - Number(want.data[i])));
        assert.ok(worst < 1e-12, `${name}: max |initlab − numpy| = ${worst}`);
      }
    } finally {
      ad.close();
      ck.close();
    }
  });
}

test("unknown adapter types are refused with the type named, never guessed", async () => {
  const dora = await run(["analyze", "--base", path.join(FX, "base"), "--adapter", path.join(FX, "dora")]);
  assert.equal(dora.code, 1);
  assert.match(dora.err, /use_dora: adapter type DoRA/);
  const ada = await run(["analyze", "--base", path.join(FX, "base"), "--adapter", path.join(FX, "adalora")]);
  assert.equal(ada.code, 1);
  assert.match(ada.err, /peft_type: adapter type "ADALORA" is not supported/);
  const wrong = await run(["analyze", "--base", path.join(FX, "base"), "--adapter", path.join(FX, "gpt2-lora")]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /none of the adapter's 3 module\(s\).*is a tensor of --base/);
});

test("--include / --exclude select tensors by name; the text output keeps its totals line", async () => {
  const base = path.join(FX, "base");
  const full = path.join(FX, "full");
  const inc = JSON.parse(
    (await run(["analyze", "--base", base, "--tuned", full, "--json", "--include", "q_proj"])).out,
  );
  assert.deepEqual(
    inc.tensors.map((t: Row) => t.name),
    ["model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight"],
  );
  assert.equal(inc.totals.intruders, 3);
  const exc = JSON.parse(
    (await run(["analyze", "--base", base, "--tuned", full, "--json", "--exclude", "layers\\.1\\.|lm_head"])).out,
  );
  assert.equal(exc.tensors.length, 5);
  assert.ok(exc.skipped.some((s: { reason: string }) => /filtered out/.test(s.reason)));
  const bad = await run(["analyze", "--base", base, "--tuned", full, "--include", "("]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--include is not a valid regular expression/);
  const both = await run(["analyze", "--base", base, "--tuned", full, "--adapter", path.join(FX, "lora")]);
  assert.equal(both.code, 2);
  const prog = await run(["analyze", "--base", base, "--tuned", full, "--progress"]);
  assert.match(prog.err, /analyze: 12\/12 tensors, \d+s elapsed, ETA 0s/);
  assert.match(prog.out, /total: 4 intruder dimension\(s\) in 10 tensor\(s\)/);
});

test("--report DIR writes an offline HTML page with per-layer figures as SVG, PNG and PDF", async () => {
  const dir = tmp();
  const r = await run(["analyze", "--base", path.join(FX, "base"), "--tuned", path.join(FX, "full"), "--report", dir]);
  assert.equal(r.code, 0, r.err);
  const html = fs.readFileSync(path.join(dir, "index.html"), "utf8");
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), "no scripts, no network");
  for (const f of ["intruders-per-layer", "effective-rank", "relative-change"]) {
    assert.match(html, new RegExp(`<figure id="${f}"><svg`));
    for (const ext of ["svg", "png", "pdf"])
      assert.ok(fs.statSync(path.join(dir, "figures", `${f}.${ext}`)).size > 500);
  }
  assert.match(html, /<strong>4<\/strong> intruder dimension/);
  assert.match(html, /model\.layers\.1\.self_attn\.q_proj\.weight<\/td><td>32×32<\/td><td>2</);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8")).totals.intruders, 4);
  fs.rmSync(dir, { recursive: true });
});

test("names are data: __proto__, constructor, toString survive as tensors, metadata and index keys", () => {
  const f = loadSafetensors(path.join(FX, "names/names.safetensors"));
  assert.deepEqual(Object.keys(f.tensors), ["__proto__", "constructor", "toString", "hasOwnProperty"]);
  assert.equal(Object.getPrototypeOf(f.tensors), null);
  assert.deepEqual(Array.from(f.tensors["__proto__"].data as Float32Array), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(f.tensors["constructor"].data as Float32Array), [2, 2, 2, 2]);
  assert.equal(f.metadata["__proto__"], "meta-proto");
  assert.equal(f.metadata["toString"], "meta-ts");
  const ck = openCheckpoint(path.join(FX, "names/sharded"));
  try {
    assert.deepEqual(ck.names, ["__proto__", "constructor", "toString", "hasOwnProperty"]);
    assert.deepEqual(Array.from(ck.read("toString").data as Float32Array), [3]);
    assert.equal(ck.entry("valueOf"), undefined);
  } finally {
    ck.close();
  }
  // Written by initlab and read back.
  const tensors = Object.create(null);
  tensors["__proto__"] = { dtype: "F32", shape: [1], data: [5] };
  tensors["constructor"] = { dtype: "I32", shape: [1], data: [6] };
  const meta = Object.create(null);
  meta["__proto__"] = "m";
  const back = readSafetensors(writeSafetensors(tensors, meta));
  assert.deepEqual(Object.keys(back.tensors), ["__proto__", "constructor"]);
  assert.equal(back.metadata["__proto__"], "m");
  const idx = parseSafetensorsIndex('{"weight_map": {"__proto__": "a.safetensors", "constructor": "b.safetensors"}}');
  assert.deepEqual(
    [...idx.weightMap],
    [
      ["__proto__", "a.safetensors"],
      ["constructor", "b.safetensors"],
    ],
  );
});

test("bad model folders fail with the file and the reason", () => {
  const dir = tmp();
  const shard = path.join(FX, "base/model-00001-of-00002.safetensors");
  const idx = (wm: object) =>
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: wm }));
  idx({ a: "../model-00001-of-00002.safetensors" });
  assert.throws(
    () => openCheckpoint(dir),
    /weight_map\["a"\]: shard "..\/model-00001-of-00002.safetensors" must be a plain file name/,
  );
  fs.copyFileSync(shard, path.join(dir, "s.safetensors"));
  idx({ "not.there": "s.safetensors" });
  assert.throws(() => openCheckpoint(dir), /weight_map\["not.there"\]: tensor is not in its shard s.safetensors/);
  idx({ x: "missing.safetensors" });
  assert.throws(() => openCheckpoint(dir), /missing\.safetensors: cannot read file: ENOENT/);
  fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), '{"weight_map": [1]}');
  assert.throws(() => openCheckpoint(dir), /weight_map: must be an object/);
  fs.rmSync(path.join(dir, "model.safetensors.index.json"));
  fs.copyFileSync(shard, path.join(dir, "t.safetensors"));
  assert.throws(() => openCheckpoint(dir), /holds 2 \.safetensors files but no model\.safetensors\.index\.json/);
  fs.rmSync(dir, { recursive: true });
});
