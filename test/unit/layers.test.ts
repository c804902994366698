// The local ESLint rule initlab/layers (scripts/eslint-layers.mjs): table-driven cases on
// small in-memory sources with fake file names, through ESLint's Linter and RuleTester, and
// once through the project's eslint.config.mjs to check that the rule is wired to src/.
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { ESLint, Linter, RuleTester } from "eslint";
import tseslint from "typescript-eslint";
import {
  LAYER_ORDER,
  checkFile,
  checkImport,
  layerOf,
  layersRule,
  plugin,
  resolveSpecifier,
} from "../../scripts/eslint-layers.mjs";

const root = path.resolve(__dirname, "../..");

test("layer order names every layer, lowest first", () => {
  assert.equal(
    LAYER_ORDER,
    "core → linalg/io/data/plot → nn/metrics/cluster/compress → optim/train/prune → adapters/bases → papers → cli/bench",
  );
});

const layerCases: Array<[string, string]> = [
  ["src/core/backend.ts", "layer core 0"],
  ["src/linalg/decompose.ts", "layer linalg 1"],
  ["src/plot/specs.ts", "layer plot 1"],
  ["src/nn/mlp.ts", "layer nn 2"],
  ["src/metrics/spectral.ts", "layer metrics 2"],
  ["src/train/loop.ts", "layer train 3"],
  ["src/bases/x/y.ts", "layer bases 4"],
  ["src/papers/rankme/run.ts", "layer papers 5"],
  ["src/bench/training.ts", "layer bench 6"],
  ["src/index.ts", "top index"],
  ["src/index", "top index"],
  ["src", "top index"],
  ["src/random.ts", "unknown random.ts"],
  ["src/weird/a.ts", "unknown weird"],
  ["test/unit/a.test.ts", "outside"],
  ["scripts/x.ts", "outside"],
];
for (const [file, want] of layerCases) {
  test(`layerOf(${file}) → ${want}`, () => {
    const l = layerOf(file);
    const got =
      l.kind === "layer"
        ? `layer ${l.name} ${l.rank}`
        : l.kind === "top"
          ? "top index"
          : l.kind === "unknown"
            ? `unknown ${l.name}`
            : "outside";
    assert.equal(got, want);
  });
}

const resolveCases: Array<[string, string, string | null]> = [
  ["src/nn/a.ts", "../papers/x", "src/papers/x"],
  ["src/nn/a.ts", "./mlp", "src/nn/mlp"],
  ["src/nn/a.ts", ".", "src/nn"],
  ["src/nn/a.ts", "..", "src"],
  ["src/nn/a.ts", "../", "src"],
  ["src/papers/rankme/run.ts", "../../core/random", "src/core/random"],
  ["src/nn/a.ts", "../../package.json", "package.json"],
  ["src/nn/a.ts", "@tensorflow/tfjs", null],
  ["src/nn/a.ts", "fs", null],
  ["src/nn/a.ts", "node:path", null],
];
for (const [from, spec, want] of resolveCases) {
  test(`resolveSpecifier(${from}, ${spec}) → ${want}`, () => assert.equal(resolveSpecifier(from, spec), want));
}

test("checkImport names both files and both layers", () => {
  const m = checkImport("src/nn/x.ts", "../papers/y");
  assert.equal(
    m,
    "src/nn/x.ts (layer nn, 2) must not import src/papers/y (layer papers, 5): imports go down the layers core → linalg/io/data/plot → nn/metrics/cluster/compress → optim/train/prune → adapters/bases → papers → cli/bench",
  );
  assert.match(checkFile("src/weird/a.ts") ?? "", /unknown layer \("weird"\)/);
  assert.equal(checkFile("src/nn/a.ts"), null);
});

// Linter on in-memory sources: [case name, fake file name, source, expected message regexps (one per report)].
type LintCase = [string, string, string, RegExp[]];
const lintCases: LintCase[] = [
  [
    "upward import is reported",
    "src/nn/a.ts",
    `import { x } from "../papers/x";`,
    [/src\/nn\/a\.ts \(layer nn, 2\) must not import src\/papers\/x \(layer papers, 5\)/],
  ],
  ["downward import is fine", "src/papers/a.ts", `import { mlp } from "../nn/mlp";`, []],
  ["same-folder import is fine", "src/nn/a.ts", `import { mlp } from "./mlp";\nimport * as nn from ".";`, []],
  ["same-layer import across folders is fine", "src/nn/a.ts", `import { s } from "../metrics/spectral";`, []],
  [
    "same-layer import, other pair",
    "src/linalg/a.ts",
    `import { p } from "../plot"; import { d } from "../data/dataset"; import { io } from "../io/npy";`,
    [],
  ],
  [
    "deep paths resolve from the importing folder",
    "src/papers/rankme/run.ts",
    `import { seed } from "../../core/random";\nimport { cli } from "../../cli/flags";`,
    [/src\/papers\/rankme\/run\.ts \(layer papers, 5\) must not import src\/cli\/flags \(layer cli, 6\)/],
  ],
  [
    "src/index.ts may import anything",
    "src/index.ts",
    `export * from "./cli/main";\nexport * from "./papers";\nimport "./weird/x";\nimport "./random";`,
    [],
  ],
  [
    "importing src/index from a layer is reported",
    "src/cli/a.ts",
    `import * as il from "..";\nimport { y } from "../index";`,
    [/must not import src \(the top, src\/index\.ts\)/, /must not import src\/index \(the top, src\/index\.ts\)/],
  ],
  [
    "unknown folder is reported once per file",
    "src/weird/a.ts",
    `import { x } from "../papers/x";\nimport { y } from "../core/y";`,
    [/src\/weird\/a\.ts is in an unknown layer \("weird"\)/],
  ],
  [
    "top-level file other than index.ts is unknown",
    "src/random.ts",
    `export const x = 1;`,
    [/src\/random\.ts is in an unknown layer/],
  ],
  [
    "import into an unknown folder is reported",
    "src/papers/a.ts",
    `import { x } from "../experiments/x";\nimport { r } from "../random";`,
    [/imports src\/experiments\/x \(unknown layer "experiments"\)/, /imports src\/random \(unknown layer "random"\)/],
  ],
  [
    "package imports are ignored",
    "src/core/a.ts",
    `import * as tf from "@tensorflow/tfjs";\nimport * as fs from "fs";\nimport { join } from "node:path";\nconst m = require("ml-matrix");\nexport { tf, fs, join, m };`,
    [],
  ],
  [
    "export * from is reported",
    "src/train/a.ts",
    `export * from "../cli/x";`,
    [/src\/train\/a\.ts \(layer train, 3\) must not import src\/cli\/x \(layer cli, 6\)/],
  ],
  [
    "export { } from is reported",
    "src/train/a.ts",
    `export { y } from "../papers/y";\nexport { z } from "../optim/z";`,
    [/must not import src\/papers\/y/],
  ],
  [
    "require() is reported",
    "src/core/a.ts",
    `const k = require("../nn/wasm-kernels");\nexport { k };`,
    [/src\/core\/a\.ts \(layer core, 0\) must not import src\/nn\/wasm-kernels \(layer nn, 2\)/],
  ],
  [
    "import() is reported",
    "src/core/a.ts",
    'export async function f() { return import(`../plot/render`); }\nexport const g = () => import("../core/b");',
    [/must not import src\/plot\/render \(layer plot, 1\)/],
  ],
  [
    "import type and import(...) types are reported",
    "src/nn/a.ts",
    `import type { A } from "../adapters/types";\nexport type B = import("../bases/fashion-mlp").Base;\nexport type C = A;`,
    [/must not import src\/adapters\/types/, /must not import src\/bases\/fashion-mlp/],
  ],
  [
    "import x = require() is reported",
    "src/io/a.ts",
    `import m = require("../train/loop");\nexport { m };`,
    [/must not import src\/train\/loop/],
  ],
  [
    "computed specifiers are not checked",
    "src/core/a.ts",
    'const p = "../cli/x";\nexport const f = () => import(p);',
    [],
  ],
  [
    "imports out of src/ are not checked",
    "src/core/a.ts",
    `import pkg from "../../package.json";\nexport { pkg };`,
    [],
  ],
  [
    "files outside src/ are not checked",
    "test/unit/a.test.ts",
    `import { x } from "../../src/cli/main";\nimport { y } from "../../src/core/random";`,
    [],
  ],
];

const linter = new Linter({ configType: "flat", cwd: root });
const lintConfig: Linter.Config[] = [
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser as Linter.Parser, sourceType: "module" },
    plugins: { initlab: plugin },
    rules: { "initlab/layers": "error" },
  },
];

for (const [name, file, code, want] of lintCases) {
  test(`Linter: ${name} (${file})`, () => {
    const messages = linter.verify(code, lintConfig, { filename: path.join(root, file) });
    const fatal = messages.filter((m) => m.fatal);
    assert.deepEqual(fatal, [], "the source parses");
    const got = messages.map((m) => `${m.ruleId} ${m.line}: ${m.message}`);
    assert.equal(messages.length, want.length, `expected ${want.length} report(s), got:\n${got.join("\n")}`);
    want.forEach((re, i) => {
      assert.equal(messages[i].ruleId, "initlab/layers");
      assert.match(messages[i].message, re);
    });
  });
}

test("Linter: the root option overrides ESLint's cwd", () => {
  const elsewhere = new Linter({ configType: "flat", cwd: "/elsewhere" });
  const config: Linter.Config[] = [
    { ...lintConfig[0], rules: { "initlab/layers": ["error", { root: "/elsewhere/repo" }] } },
  ];
  const onRoot = elsewhere.verify(`import "../papers/x";`, config, { filename: "/elsewhere/repo/src/nn/a.ts" });
  assert.equal(onRoot.length, 1, JSON.stringify(onRoot));
  assert.match(onRoot[0].message, /^src\/nn\/a\.ts \(layer nn, 2\)/);
  const outside = elsewhere.verify(`import "../papers/x";`, config, { filename: "/elsewhere/other/src/nn/a.ts" });
  assert.deepEqual(outside, [], "a file outside the root is not checked");
});

// RuleTester also validates the rule's meta (schema, messageIds) and report locations.
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
const ruleTester = new RuleTester({
  languageOptions: { parser: tseslint.parser as Linter.Parser, sourceType: "module" },
});
const options = [{ root }];
const at = (file: string) => path.join(root, file);
ruleTester.run("initlab/layers", layersRule, {
  valid: [
    { name: "papers imports nn", filename: at("src/papers/a.ts"), code: `import { mlp } from "../nn/mlp";`, options },
    { name: "index imports bench", filename: at("src/index.ts"), code: `export * from "./bench/training";`, options },
    { name: "package import", filename: at("src/cli/a.ts"), code: `import * as tf from "@tensorflow/tfjs";`, options },
  ],
  invalid: [
    {
      name: "nn imports papers: reported at the specifier",
      filename: at("src/nn/a.ts"),
      code: `import { mlp } from "./mlp";\nimport { x } from "../papers/x";`,
      options,
      errors: [{ messageId: "layer", line: 2, column: 19 }],
    },
    {
      name: "unknown folder: reported at the top of the file",
      filename: at("src/weird/a.ts"),
      code: `export const a = 1;`,
      options,
      errors: [{ messageId: "unknown", line: 1, column: 1 }],
    },
  ],
});

test("eslint.config.mjs applies initlab/layers to src/ and not to test/", { timeout: 120_000 }, async () => {
  const eslint = new ESLint({ cwd: root });
  const code = `import { x } from "../papers/x";\nexport const y = x;\n`;
  const [inSrc] = await eslint.lintText(code, { filePath: at("src/nn/__layers_probe__.ts") });
  assert.deepEqual(
    inSrc.messages.filter((m) => m.ruleId === "initlab/layers").map((m) => m.line),
    [1],
    JSON.stringify(inSrc.messages),
  );
  const [inTest] = await eslint.lintText(code, { filePath: at("test/unit/__layers_probe__.ts") });
  assert.deepEqual(
    inTest.messages.filter((m) => m.ruleId === "initlab/layers"),
    [],
  );
});
