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

test("--report-only runs nothing and rebuilds the report from the results files, marking papers the runner did not run", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-report-"));
  const results = path.join(tmp, "results");
  const env = { ...process.env, INITLAB_FIGURES: path.join(tmp, "figures"), INITLAB_RESULTS: results };
  // One paper's results, written as runPaper writes them (the quickstart's committed file).
  fs.mkdirSync(path.join(results, "quickstart"), { recursive: true });
  fs.copyFileSync(path.join(root, "results/quickstart/summary.json"), path.join(results, "quickstart/summary.json"));
  const r = spawnSync(process.execPath, [path.join(root, "dist/cli/repro.js"), "--report-only"], {
    env,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /0 notebook\(s\)/);
  const md = fs.readFileSync(path.join(results, "summary.md"), "utf8");
  assert.match(md, /\| \[quickstart\]\(#quickstart\) \|.*\| not run \|/);
  assert.match(md, /not run by the runner/);
  const q = JSON.parse(fs.readFileSync(path.join(results, "quickstart/summary.json"), "utf8"));
  const ev = q.checks.filter((c: { kind: string }) => c.kind === "evidence");
  assert.match(
    md,
    new RegExp(`Evidence: ${ev.filter((c: { pass: boolean }) => c.pass).length} of ${ev.length} checks hold`),
  );
});
