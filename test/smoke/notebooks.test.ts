// Smoke run: every notebook in notebooks/ executes at size smoke without an error output or
// stderr, and writes its paper's results (checks, figures) — under a temporary folder, so
// running the tests never touches the committed results. Check outcomes are not asserted:
// smoke sizes are too small for most papers' effects. Notebooks run two at a time (most of a
// smoke run is a kernel starting), each with its own results folder and one shared cache, so
// that a view finds the benchmark run it reads.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
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
const avail = (os as { availableParallelism?: () => number }).availableParallelism;
const concurrency = Math.max(1, Math.min(2, avail ? avail() : os.cpus().length));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (status) => resolve({ status, out }));
  });
}

describe("every notebook at size smoke", { concurrency }, () => {
  for (const nb of notebooks) {
    test(`notebook ${nb} runs at size smoke and writes its results`, async () => {
      const results = path.join(tmp, "results", nb);
      const figures = path.join(tmp, "figures", nb);
      const env = {
        ...process.env,
        INITLAB_FIGURES: figures,
        INITLAB_RESULTS: results,
        INITLAB_CACHE: path.join(tmp, "cache"),
      };
      const r = await run([path.join(root, "dist/cli/repro.js"), nb, "--size", "smoke", "--workers", "1"], env);
      const s = JSON.parse(fs.readFileSync(path.join(results, "summary.json"), "utf8"));
      const o = s.notebooks.find((n: { id: string }) => n.id === nb);
      assert.ok(o, `no outcome for ${nb}\n${r.out}`);
      assert.deepEqual(o.errors, [], `${nb} failed:\n${o.errors.join("\n")}`);
      assert.equal(r.status, 0);
      const p = JSON.parse(fs.readFileSync(path.join(results, nb, "summary.json"), "utf8"));
      assert.equal(p.size, "smoke");
      assert.ok(p.checks.length > 0, "reported checks");
      assert.ok(
        p.checks.every((c: { kind: string }) => c.kind === "evidence" || c.kind === "sanity"),
        "every check has a kind",
      );
      for (const f of p.figures) {
        const png = path.join(figures, nb, `${f}.png`);
        assert.ok(fs.existsSync(png) && fs.statSync(png).size > 0, `figure ${nb}/${f}.png written`);
      }
    });
  }
});
