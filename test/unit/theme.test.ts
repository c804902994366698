// Figure theme: fixed method colours across notebooks (the adapters declare theirs in their
// benchmark entries), distinct colours within one chart, a deterministic fallback for new names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { colorFor, colorsFor, METHOD_COLORS, setMethodColor } from "../../src/plot/theme";
import "../../src/adapters"; // registers the adapter methods' colours

test("fixed method colours, case-insensitive, also for 'method <detail>' names", () => {
  for (const [name, want] of [
    ["LoRA", METHOD_COLORS.lora],
    ["stablemax", METHOD_COLORS.stablemax],
    ["PiSSA r=8", METHOD_COLORS.pissa],
  ] as const) {
    assert.equal(colorFor(name), want, name);
    assert.equal(colorsFor(["something else", name])[1], want, name);
  }
});

test("the series of one chart get distinct colours (the quickstart spectra names collided by hash)", () => {
  const names = ["W0 init", "W0 trained", "W1 init", "W1 trained", "W2 init", "W2 trained"];
  const cs = colorsFor(names);
  assert.equal(new Set(cs).size, names.length);
  // specs.ts calls domain.map(colorFor): same answer as colorsFor.
  assert.deepEqual(names.map(colorFor), cs);
  // An unfixed name never takes a fixed method colour already in the chart.
  const mixed = colorsFor(["LoRA", "train", "test", "val", "probe", "x", "y", "z", "u", "v"]);
  assert.equal(mixed.filter((c) => c === METHOD_COLORS.lora).length, 1);
});

test("a name keeps its colour across charts when nothing else claims it; deterministic", () => {
  assert.equal(colorsFor(["train"])[0], colorFor("train"));
  assert.deepEqual(colorsFor(["a", "b", "c"]), colorsFor(["a", "b", "c"]));
});

test("bad input names the argument", () => {
  assert.throws(() => colorFor(3 as unknown as string), /name/);
  assert.throws(() => colorsFor("abc" as unknown as string[]), /names/);
  assert.throws(() => colorsFor(["a", 1 as unknown as string]), /names: entry 1/);
});

test("adapter entries declare their colours; a new method needs no theme edit", () => {
  assert.equal(METHOD_COLORS.lora, "#f58518");
  assert.equal(METHOD_COLORS["lora-sb"], "#ff9da6");
  // An unknown method gets a palette colour, the same every time (no registration needed).
  const c = colorFor("brand-new-method r=4");
  assert.match(c, /^#[0-9a-f]{6}$/);
  assert.equal(colorFor("brand-new-method r=4"), c);
  // Declaring one fixes it for "name <detail>" series too; bad colours name the argument.
  setMethodColor("Brand-New-Method", "#123456");
  assert.equal(colorFor("brand-new-method r=4"), "#123456");
  assert.throws(() => setMethodColor("x", "red"), /color/);
  assert.throws(() => setMethodColor("", "#123456"), /name/);
});
