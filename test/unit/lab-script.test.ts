// scripts/lab.sh without starting Jupyter (INITLAB_LAB_DRY_RUN): loopback by default, a loud
// warning when INITLAB_HOST is another address, and no way to switch token authentication off.
// The running server is tested in test/e2e/browser.test.ts (a request without the token).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "../..");
const lab = (args: string[], env: Record<string, string> = {}) =>
  spawnSync("bash", [path.join(root, "scripts/lab.sh"), ...args], {
    env: { ...process.env, INITLAB_LAB_DRY_RUN: "1", ...env },
    encoding: "utf8",
  });

test("lab.sh binds 127.0.0.1 by default and says nothing alarming", () => {
  const r = lab([]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--ip=127\.0\.0\.1 /);
  assert.doesNotMatch(r.stdout + r.stderr, /WARNING/);
  assert.doesNotMatch(r.stdout, /token/i, "the token never appears on the command line");
});

test("lab.sh on another interface only when asked, and then loudly", () => {
  const r = lab([], { INITLAB_HOST: "0.0.0.0" });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--ip=0\.0\.0\.0 /);
  assert.match(r.stderr, /WARNING: initlab lab is listening on 0\.0\.0\.0:8888, NOT on loopback/);
});

test("lab.sh refuses every way to weaken authentication", () => {
  for (const a of [
    "--NotebookApp.token=",
    "--ServerApp.token=",
    "--NotebookApp.password=x",
    "--ip=0.0.0.0",
    "--NotebookApp.disable_check_xsrf=True",
  ]) {
    const r = lab([a]);
    assert.equal(r.status, 2, a);
    assert.match(r.stderr, /^initlab lab: /, a);
  }
  assert.equal(lab([], { JUPYTER_TOKEN: "" }).status, 2);
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-lab-"));
  fs.writeFileSync(path.join(cfg, "jupyter_notebook_config.py"), "c.NotebookApp.token = ''\n");
  const r = lab([], { JUPYTER_CONFIG_DIR: cfg, INITLAB_LAB_DRY_RUN: "" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sets an empty token/);
  fs.rmSync(cfg, { recursive: true });
});
