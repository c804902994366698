// The code-quality gates as tests: ESLint (eslint.config.mjs), prettier (.prettierrc.json) and the
// type-check of tests and scripts (tsconfig.test.json) must all pass on the whole tree.
// Fix with: npm run format (style), the eslint/tsc messages printed below (the rest).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "../..");
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const MAX_SHOWN = 60_000; // characters of tool output shown in a failure message

function run(args: string[]): { status: number | null; output: string } {
  const bin = path.join(root, "node_modules/.bin", args[0]);
  if (!fs.existsSync(bin)) return { status: null, output: `${bin} is missing: run npm ci (or npm run setup)` };
  // "--" so that npx passes every flag (-p, --check) to the tool instead of reading it itself.
  const r = spawnSync(npx, ["--no", "--", ...args], { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { status: null, output: `could not run npx ${args.join(" ")}: ${r.error.message}` };
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function shown(output: string): string {
  if (output.length <= MAX_SHOWN) return output;
  return `… (${output.length - MAX_SHOWN} characters cut; run the command for all of it)\n${output.slice(-MAX_SHOWN)}`;
}

const gates: Array<{ name: string; args: string[]; hint: string }> = [
  {
    name: "eslint src test scripts reports no problems",
    args: ["eslint", "src", "test", "scripts"],
    hint: "fix the problems below (initlab/layers: imports go down the layers, see scripts/eslint-layers.mjs)",
  },
  {
    name: "prettier --check . finds every file formatted",
    args: ["prettier", "--check", "."],
    hint: "run npm run format (prettier --write .) and review the diff; the files below are not formatted",
  },
  {
    name: "tsc -p tsconfig.test.json type-checks src, test and scripts",
    args: ["tsc", "-p", "tsconfig.test.json", "--noEmit"],
    hint: "fix the type errors below",
  },
];

for (const g of gates) {
  test(g.name, { timeout: 300_000 }, () => {
    const { status, output } = run(g.args);
    assert.equal(status, 0, `npx ${g.args.join(" ")} exited with ${status}: ${g.hint}\n\n${shown(output)}\n`);
  });
}
