// Readings cannot drift: every number in a notebook's "## Reading" cell must be a value that
// the committed results/<id>/summary.json holds (config, checks, measured values), rounded
// as displayed (a percentage p% may match a fraction p/100). Notebooks are committed
// without outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { fromJson } from "../../src/io/json";

const root = path.resolve(__dirname, "../..");
const nbDir = path.join(root, "notebooks");
const notebooks = fs
  .readdirSync(nbDir)
  .filter((f) => f.endsWith(".ipynb"))
  .map((f) => f.slice(0, -6))
  .sort();

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const cellsOf = (id: string): Cell[] => JSON.parse(fs.readFileSync(path.join(nbDir, `${id}.ipynb`), "utf8")).cells;

/** The reading: markdown cells from "## Reading" to the next "## " heading or the end. */
export function readingOf(cells: Cell[]): string {
  const i = cells.findIndex((c) => c.cell_type === "markdown" && /^## Reading\b/m.test(text(c)));
  if (i < 0) return "";
  const out = [text(cells[i]).replace(/^[\s\S]*?^## Reading.*$/m, "")];
  for (const c of cells.slice(i + 1)) {
    if (c.cell_type !== "markdown" || /^## /m.test(text(c))) break;
    out.push(text(c));
  }
  return out.join("\n");
}

export interface NumberToken {
  raw: string;
  value: number;
  decimals: number;
  percent: boolean;
}

/** Standalone numbers in prose (not parts of names like W1, fp16 or 2AF; link targets skipped). */
export function numbersIn(prose: string): NumberToken[] {
  const clean = prose
    .replace(/\]\([^)]*\)/g, "]")
    .replace(/`[^`]*`/g, (m) => (/\d/.test(m) && /[a-z]{3,}/i.test(m) ? " " : m));
  const re = /(?<![\p{L}\p{N}_.])([-−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([-+]?\d+))?(?![\p{L}\p{N}_])(%?)/gu;
  const out: NumberToken[] = [];
  for (const m of clean.matchAll(re)) {
    const [raw, sign, int, frac = "", exp, pct] = m;
    const mantissa = Number(int.replace(/,/g, "") + frac);
    const value = (sign ? -1 : 1) * mantissa * (exp ? 10 ** Number(exp) : 1);
    const decimals = Math.max(0, frac.length - 1 - (exp ? Number(exp) : 0));
    out.push({ raw, value, decimals, percent: pct === "%" });
  }
  return out;
}

/** Every number a results file holds: numeric fields and numbers written inside its strings. */
export function valuesIn(json: unknown, out: number[] = []): number[] {
  if (typeof json === "number") out.push(json);
  else if (typeof json === "string") for (const t of numbersIn(json)) out.push(t.value);
  else if (Array.isArray(json)) for (const v of json) valuesIn(v, out);
  else if (json && typeof json === "object") for (const v of Object.values(json)) valuesIn(v, out);
  return out;
}

export function matches(t: NumberToken, values: number[]): boolean {
  const tol = 0.5 * 10 ** -t.decimals * (1 + 1e-9) + 1e-12;
  return values.some(
    (v) =>
      Number.isFinite(v) &&
      (Math.abs(v - t.value) <= tol ||
        Math.abs(Math.abs(v) - Math.abs(t.value)) <= tol ||
        (t.percent && Math.abs(100 * v - t.value) <= tol)),
  );
}

test("the number extractor and matcher (they can fail)", () => {
  const toks = numbersIn(
    "LoRA r=4 reaches 0.722 ± 0.005 (W1, fp16, 2AF) on 10,000 images, 59% of variance; −0.010 at init; 1–4 steps [fig](figures/x2.png).",
  );
  assert.deepEqual(
    toks.map((t) => t.raw.replace(/^−/, "-")),
    ["4", "0.722", "0.005", "10,000", "59%", "-0.010", "1", "4"],
  );
  const vals = [4, 0.72249, 0.0051, 10000, 0.5912, -0.0098, 1];
  assert.equal(matches(toks[1], vals), true, "0.722 ← 0.72249");
  assert.equal(
    matches({ raw: "0.723", value: 0.723, decimals: 3, percent: false }, vals),
    false,
    "0.723 is not 0.72249",
  );
  assert.equal(matches(toks[4], vals), true, "59% ← 0.5912");
  assert.equal(matches(toks[5], vals), true, "−0.010 ← −0.0098");
  assert.equal(matches({ raw: "3.14", value: 3.14, decimals: 2, percent: false }, vals), false);
  assert.deepEqual(valuesIn({ a: "0.5 / 2", b: [3, { c: NaN }] }).filter(Number.isFinite), [0.5, 2, 3]);
});

for (const id of notebooks) {
  test(`notebook ${id}: outputs stripped, and every number in its reading is in results/${id}/summary.json`, () => {
    const cells = cellsOf(id);
    for (const [i, c] of cells.entries()) {
      if (c.cell_type !== "code") continue;
      assert.deepEqual(c.outputs ?? [], [], `cell ${i} has outputs: commit notebooks stripped`);
      assert.ok(c.execution_count == null, `cell ${i} has an execution count`);
    }
    const reading = readingOf(cells);
    assert.ok(reading.trim().length > 0, `${id} has no "## Reading" section`);
    const file = path.join(root, "results", id, "summary.json");
    assert.ok(fs.existsSync(file), `no committed results for ${id} (run: npm run repro -- ${id})`);
    const values = valuesIn(fromJson(fs.readFileSync(file, "utf8"), file));
    const missing = numbersIn(reading)
      .filter((t) => !matches(t, values))
      .map((t) => t.raw);
    assert.deepEqual(
      missing,
      [],
      `numbers in ${id}'s reading that results/${id}/summary.json does not hold: ${missing.join(", ")}`,
    );
  });
}
