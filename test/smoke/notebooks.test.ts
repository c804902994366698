// Smoke run: every notebook in notebooks/ executes at size smoke without an error output or
// stderr, and writes its paper's results (checks, figures) — under a temporary folder, so
// running the tests never touches the committed results. Check outcomes are not asserted:
// smoke sizes are too small for most papers' effects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "../..");
const notebooks = fs
  .readdirSync(path.join(root, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .map((f) => f.slice(0, -6))
  .sort();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-smoke-"));
const env = {
  ...process.env,
  INITLAB_FIGURES: path.join(tmp, "figures"),
  INITLAB_RESULTS: path.join(tmp, "results"),
  INITLAB_CACHE: path.join(tmp, "cache"),
};

for (const nb of notebooks) {
  test(`notebook ${nb} runs at size smoke and writes its results`, () => {
    const r = spawnSync(process.execPath, [path.join(root, "dist/cli/repro.js"), nb, "--size", "smoke"], {
      env,
      encoding: "utf8",
    });
    const s = JSON.parse(fs.readFileSync(path.join(tmp, "results/summary.json"), "utf8"));
    const o = s.notebooks.find((n: { id: string }) => n.id === nb);
    assert.ok(o, `no outcome for ${nb}\n${r.stdout}${r.stderr}`);
    assert.deepEqual(o.errors, [], `${nb} failed:\n${o.errors.join("\n")}`);
    assert.equal(r.status, 0);
    const p = JSON.parse(fs.readFileSync(path.join(tmp, "results", nb, "summary.json"), "utf8"));
    assert.equal(p.size, "smoke");
    assert.ok(p.checks.length > 0, "reported checks");
    assert.ok(
      p.checks.every((c: { kind: string }) => c.kind === "evidence" || c.kind === "sanity"),
      "every check has a kind",
    );
    for (const f of p.figures) {
      const png = path.join(tmp, "figures", nb, `${f}.png`);
      assert.ok(fs.existsSync(png) && fs.statSync(png).size > 0, `figure ${nb}/${f}.png written`);
    }
  });
}
