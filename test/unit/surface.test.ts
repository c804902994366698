// The public surface, snapshotted: names and kinds of `import * as il from "initlab"` and of
// each namespace. A change to the surface must be deliberate: re-run with
// UPDATE_SURFACE=1 and commit test/fixtures/surface.json with the change.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as il from "../../src/index";

const SNAPSHOT = path.resolve(__dirname, "../fixtures/surface.json");

function kindOf(v: unknown): string {
  if (typeof v === "function") return /^class\s/.test(Function.prototype.toString.call(v)) ? "class" : "function";
  if (Array.isArray(v)) return "array";
  return v === null ? "null" : typeof v;
}

const NAMESPACES = ["linalg", "metrics", "nn", "optim", "train", "adapters", "bases", "data", "io", "plot", "papers"];

export function surface(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { "(top level)": {} };
  for (const [k, v] of Object.entries(il).sort(([a], [b]) => a.localeCompare(b))) {
    if (k === "default" || k === "__esModule") continue;
    out["(top level)"][k] =
      k === "tf"
        ? "module"
        : NAMESPACES.includes(k)
          ? typeof v === "function"
            ? "function + namespace"
            : "namespace"
          : kindOf(v);
    if (NAMESPACES.includes(k)) {
      out[k] = {};
      for (const [n, x] of Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b)))
        if (n !== "default" && n !== "__esModule") out[k][n] = kindOf(x);
    }
  }
  return out;
}

test("the public surface equals the committed snapshot", () => {
  const now = surface();
  if (process.env.UPDATE_SURFACE === "1") fs.writeFileSync(SNAPSHOT, JSON.stringify(now, null, 1) + "\n");
  assert.ok(
    fs.existsSync(SNAPSHOT),
    "no snapshot: run with UPDATE_SURFACE=1 once and commit test/fixtures/surface.json",
  );
  assert.deepEqual(
    now,
    JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")),
    "the public surface changed: if deliberate, re-run with UPDATE_SURFACE=1 and commit the snapshot",
  );
});

test("every namespace is present and no two names differ only in case", () => {
  const s = surface();
  for (const ns of NAMESPACES)
    assert.ok(s[ns] && Object.keys(s[ns]).length > 0, `namespace il.${ns} is missing or empty`);
  for (const [scope, names] of Object.entries(s)) {
    const seen = new Map<string, string>();
    for (const n of Object.keys(names)) {
      const low = n.toLowerCase();
      assert.ok(!seen.has(low), `${scope}: "${n}" and "${seen.get(low)}" differ only in case`);
      seen.set(low, n);
    }
  }
});

test("names earlier issues made contracts stay callable at the top level, the same functions as in their namespace", () => {
  const contract: Array<[string, string]> = [
    ["rankMe", "metrics"],
    ["effectiveRank", "metrics"],
    ["stableRank", "metrics"],
    ["spectrum", "metrics"],
    ["intruderDimensions", "metrics"],
    ["intruderCurve", "metrics"],
    ["relativeWeightChange", "metrics"],
    ["kernelAlignment", "metrics"],
    ["representationAlignment", "metrics"],
    ["el2nScores", "metrics"],
    ["grandScores", "metrics"],
    ["pruneByScore", "metrics"],
    ["stablemax", "metrics"],
    ["stablemaxCrossEntropy", "metrics"],
    ["softmaxCollapse", "metrics"],
    ["orthogonalGradient", "optim"],
    ["nlmCosine", "metrics"],
    ["svd", "linalg"],
    ["eigh", "linalg"],
    ["readSafetensors", "io"],
    ["writeSafetensors", "io"],
    ["readNpy", "io"],
    ["writeNpy", "io"],
  ];
  const top = il as unknown as Record<string, unknown>;
  for (const [name, ns] of contract) {
    assert.equal(typeof top[name], "function", `il.${name}`);
    assert.equal(top[name], (top[ns] as Record<string, unknown>)[name], `il.${name} is il.${ns}.${name}`);
  }
  for (const name of ["tf", "seed", "sizeFromEnv", "runPaper", "show", "progress", "papers"])
    assert.ok(top[name] !== undefined, `il.${name}`);
  assert.ok(Array.isArray(il.papers()), "il.papers() lists the registry");
  assert.equal(il.papers.runPaper, il.runPaper);
});
