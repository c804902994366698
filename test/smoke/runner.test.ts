// The headless runner's rules: a type error or an exception fails a notebook (tslab
// reports both on stderr), the failure carries its message, later notebooks still run, and
// a notebook counts as ok only when it wrote its paper's results in this run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "../..");

test("runner reports failing notebooks with their message and keeps going", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-runner-"));
  const env = {
    ...process.env,
    INITLAB_FIGURES: path.join(tmp, "figures"),
    INITLAB_RESULTS: path.join(tmp, "results"),
    INITLAB_CACHE: path.join(tmp, "cache"),
  };
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, "dist/cli/repro.js"),
      "--dir",
      path.join(root, "test/fixtures/notebooks"),
      "--size",
      "smoke",
      "--timeout",
      "120",
    ],
    { env, encoding: "utf8" },
  );
  assert.equal(r.status, 1, "exit code 1 when any notebook fails\n" + r.stdout + r.stderr);
  const s = JSON.parse(fs.readFileSync(path.join(tmp, "results/summary.json"), "utf8"));
  const by = Object.fromEntries(s.notebooks.map((n: { id: string }) => [n.id, n]));
  assert.equal(by["b-type-error"].status, "failed");
  assert.match(by["b-type-error"].errors.join("\n"), /not assignable to type 'number'/);
  assert.equal(by["c-throws"].status, "failed");
  assert.match(by["c-throws"].errors.join("\n"), /m: entry \[0\]\[1\] is NaN/);
  assert.equal(by["d-after"].status, "ok", "a notebook after failures still runs");
  const d = JSON.parse(fs.readFileSync(path.join(tmp, "results/d-after/summary.json"), "utf8"));
  assert.equal(d.checks[0].pass, true);
  assert.equal(d.checks[0].kind, "evidence");
  const md = fs.readFileSync(path.join(tmp, "results/summary.md"), "utf8");
  assert.match(md, /\| \[b-type-error\]\(#b-type-error\) \|.*\*\*failed\*\*/);
  assert.match(md, /Evidence: 1 of 1 checks hold; sanity: 0 of 0/);
});
