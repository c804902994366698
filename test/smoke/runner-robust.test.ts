// The runner under failure: a kernel that dies mid-notebook, a notebook that never finishes
// (the per-notebook timeout names itself), and Ctrl-C during `npm run repro`: the report and
// summary files stay valid JSON/Markdown, finished notebooks keep their results, and the
// interrupted notebook is named in the report. No kernel is left running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "../..");
const DIR = path.join(root, "test/fixtures/notebooks-robust");

function sandbox() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-robust-"));
  const env = {
    ...process.env,
    INITLAB_FIGURES: path.join(tmp, "figures"),
    INITLAB_RESULTS: path.join(tmp, "results"),
    INITLAB_CACHE: path.join(tmp, "cache"),
  };
  return { tmp, env };
}

const byId = (file: string) => {
  const s = JSON.parse(fs.readFileSync(file, "utf8"));
  return Object.fromEntries(s.notebooks.map((n: { id: string }) => [n.id, n]));
};

/** Kernels still running that this test's runs started (they carry its temporary folder in their environment). */
function leftoverKernels(tmp: string): string[] {
  const pids = spawnSync("pgrep", ["-f", "tslab"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return pids.filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, "latin1").includes(tmp);
    } catch {
      return false; // gone
    }
  });
}

test("a dying kernel and a notebook that never finishes fail with clear messages; the others keep their results", () => {
  const { tmp, env } = sandbox();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, "dist/cli/repro.js"),
      "--dir",
      DIR,
      "--size",
      "smoke",
      "--timeout",
      "120",
      "--notebook-timeout",
      "25",
    ],
    { env, encoding: "utf8" },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const by = byId(path.join(tmp, "results/summary.json"));
  assert.equal(by["a-finishes"].status, "ok");
  assert.ok(fs.existsSync(path.join(tmp, "results/a-finishes/summary.json")));
  assert.equal(by["b-kernel-dies"].status, "failed");
  assert.match(by["b-kernel-dies"].errors.join("\n"), /the kernel died in cell 1/);
  assert.equal(by["c-never-finishes"].status, "failed");
  assert.match(
    by["c-never-finishes"].errors.join("\n"),
    /did not finish within the per-notebook timeout of 25s \(--notebook-timeout\); stopped in cell 1/,
  );
  assert.match(fs.readFileSync(path.join(tmp, "results/summary.md"), "utf8"), /c-never-finishes/);
  assert.deepEqual(leftoverKernels(tmp), [], "no kernel left running");
  fs.rmSync(tmp, { recursive: true });
});

test("Ctrl-C during repro: summary files stay valid, finished results are kept, the interrupted notebook is named", async () => {
  const { tmp, env } = sandbox();
  const child = spawn(
    process.execPath,
    [
      path.join(root, "dist/cli/repro.js"),
      "a-finishes",
      "c-never-finishes",
      "--dir",
      DIR,
      "--size",
      "smoke",
      "--timeout",
      "600",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (d) => {
      out += d;
      // The first notebook is done; give the second a moment to start its kernel, then Ctrl-C.
      if (/\[1\/2\] ok/.test(out) && !child.killed) setTimeout(() => child.kill("SIGINT"), 4000);
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (c) => resolve(c));
  });
  assert.equal(code, 130, out);
  assert.match(out, /SIGINT received/);
  const by = byId(path.join(tmp, "results/summary.json"));
  assert.equal(by["a-finishes"].status, "ok", "the finished notebook keeps its result");
  assert.ok(fs.existsSync(path.join(tmp, "results/a-finishes/summary.json")));
  assert.equal(by["c-never-finishes"].status, "failed");
  assert.match(by["c-never-finishes"].errors.join("\n"), /^interrupted \(SIGINT\) after \d+s/);
  const md = fs.readFileSync(path.join(tmp, "results/summary.md"), "utf8");
  assert.match(md, /c-never-finishes.*\*\*failed\*\*/);
  assert.deepEqual(
    fs.readdirSync(path.join(tmp, "results")).filter((f) => f.includes(".tmp")),
    [],
    "no half-written files",
  );
  assert.deepEqual(leftoverKernels(tmp), [], "no kernel left running");
  fs.rmSync(tmp, { recursive: true });
});
