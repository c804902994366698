// End to end in a real browser: `npm run lab` (scripts/lab.sh) serves the notebooks, Debian's
// chromium driven by playwright-core (never a downloaded browser) opens them in the classic
// Notebook UI, runs all cells, and checks what a reader sees: the inline SVG figures, the checks
// table, progress updated in place, the vega-lite bundle kept as an object, and no error output.
// Screenshots go to out/e2e/ (ignored). The server's whole process group is killed at the end,
// pass or fail.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

const root = path.resolve(__dirname, "../..");
const CHROMIUM = process.env.INITLAB_CHROMIUM || "/usr/bin/chromium";
const OUT = path.join(root, "out", "e2e");
/** A paper notebook to open besides the quickstart, first one present wins; else the fixture. */
const PAPER_PREFERENCE = ["grokking-stablemax", "rankme"];
const FIXTURE = path.join(__dirname, "fixtures", "e2e-fixture.ipynb");
const VEGALITE = "application/vnd.vegalite.v5+json";

// Bounded waits (ms). Server start includes the set-up (tsc) that lab.sh runs first.
const SERVER_START_MS = 300_000;
const KERNEL_READY_MS = 120_000;
const RUN_ALL_MS = 420_000;

interface Target {
  name: string;
  src: string;
}

function pickNotebooks(): Target[] {
  const dir = path.join(root, "notebooks");
  const have = (n: string) => fs.existsSync(path.join(dir, `${n}.ipynb`));
  const fromEnv = process.env.INITLAB_E2E_NOTEBOOKS;
  if (fromEnv) {
    return fromEnv
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => {
        assert.ok(have(n), `INITLAB_E2E_NOTEBOOKS: no notebooks/${n}.ipynb`);
        return { name: n, src: path.join(dir, `${n}.ipynb`) };
      });
  }
  const paper = PAPER_PREFERENCE.find(have);
  return [
    { name: "quickstart", src: path.join(dir, "quickstart.ipynb") },
    paper ? { name: paper, src: path.join(dir, `${paper}.ipynb`) } : { name: "e2e-fixture", src: FIXTURE },
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function httpStatus(url: string, token?: string): Promise<number> {
  const headers: Record<string, string> = token ? { Authorization: `token ${token}` } : {};
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  await r.arrayBuffer();
  return r.status;
}

// ---- shared state: one server and one browser for all notebooks ----
const targets = pickNotebooks();
const token = crypto.randomBytes(24).toString("hex");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-e2e-"));
const runtimeDir = path.join(tmp, "runtime");
fs.mkdirSync(OUT, { recursive: true });
// The notebooks are served from a copy inside the project (so `import "initlab"` resolves
// through node_modules/initlab) that autosave may write to without touching notebooks/.
const nbDir = fs.mkdtempSync(path.join(OUT, "notebooks-"));
const logFile = path.join(OUT, "server.log");
let server: ChildProcess | null = null;
let base = "";
let browser: Browser | null = null;
let context: BrowserContext | null = null;
/** Seconds per phase, written to out/e2e/timings.json. */
const timings: Record<string, number> = {};

function logTail(n = 40): string {
  try {
    return fs.readFileSync(logFile, "utf8").split("\n").slice(-n).join("\n");
  } catch {
    return "(no server log)";
  }
}

/** Kernels run in their own session (jupyter_client start_new_session), outside the server's group. */
function kernelPids(): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(runtimeDir)) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function killAllNow(): void {
  if (server?.pid && server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const pid of kernelPids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
// Last resort if the test process dies without running after().
process.on("exit", killAllNow);

async function stopServer(): Promise<void> {
  if (!server?.pid) return;
  const pid = server.pid;
  const alive = () => server!.exitCode === null && server!.signalCode === null;
  if (alive() && base) {
    // Ask Jupyter to shut its kernels down cleanly first.
    try {
      const r = await fetch(`${base}/api/kernels`, {
        headers: { Authorization: `token ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      for (const k of (await r.json()) as Array<{ id: string }>) {
        await fetch(`${base}/api/kernels/${k.id}`, {
          method: "DELETE",
          headers: { Authorization: `token ${token}` },
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
      }
    } catch {
      // the group kill below still runs
    }
  }
  if (alive()) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      // already gone
    }
    const t0 = Date.now();
    while (alive() && Date.now() - t0 < 10_000) await sleep(200);
  }
  killAllNow();
  const t0 = Date.now();
  while (kernelPids().length && Date.now() - t0 < 5000) await sleep(200);
}

before(
  async () => {
    assert.ok(
      fs.existsSync(CHROMIUM),
      `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium; npm test installs it via scripts/setup.sh with INITLAB_BROWSER_TEST=1)`,
    );
    for (const t of targets) fs.copyFileSync(t.src, path.join(nbDir, `${t.name}.ipynb`));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      INITLAB_PORT: String(port),
      INITLAB_NOTEBOOK_DIR: nbDir,
      JUPYTER_TOKEN: token,
      INITLAB_SIZE: "smoke",
      INITLAB_FIGURES: path.join(tmp, "figures"),
      INITLAB_RESULTS: path.join(tmp, "results"),
      // Keep the user's Jupyter config and runtime files out of the test.
      JUPYTER_CONFIG_DIR: path.join(tmp, "config"),
      JUPYTER_DATA_DIR: path.join(tmp, "data"),
      JUPYTER_RUNTIME_DIR: runtimeDir,
    };
    const log = fs.openSync(logFile, "w");
    const t0 = Date.now();
    // detached → its own process group (npm → bash → jupyter), killed as a whole at the end.
    server = spawn("npm", ["run", "--silent", "lab", "--", "--port-retries=0"], {
      cwd: root,
      env,
      detached: true,
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        assert.fail(`npm run lab exited (${server.exitCode ?? server.signalCode}) before serving:\n${logTail()}`);
      }
      if (Date.now() - t0 > SERVER_START_MS)
        assert.fail(`npm run lab did not answer within ${SERVER_START_MS / 1000} s:\n${logTail()}`);
      const s = await httpStatus(`${base}/api/status`, token).catch(() => 0);
      if (s === 200) break;
      await sleep(500);
    }
    timings.serverStartS = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      timeout: 60_000,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    timings.browserStartS = (Date.now() - t1) / 1000;
    console.log(
      `# lab server up in ${timings.serverStartS.toFixed(1)} s, chromium in ${timings.browserStartS.toFixed(1)} s`,
    );
  },
  { timeout: SERVER_START_MS + 90_000 },
);

after(async () => {
  try {
    await Promise.race([browser?.close(), sleep(15_000)]);
  } finally {
    await stopServer();
    fs.rmSync(nbDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(path.join(OUT, "timings.json"), JSON.stringify(timings, null, 2) + "\n");
  }
  assert.deepEqual(kernelPids(), [], "no kernel process left behind");
  assert.ok(server?.exitCode !== null || server?.signalCode !== null, "server process exited");
});

test("the lab server keeps token authentication on", async () => {
  assert.equal(await httpStatus(`${base}/api/status`), 403, "an API request without the token is refused");
  assert.equal(await httpStatus(`${base}/api/contents`), 403, "so is a contents request");
  assert.equal(await httpStatus(`${base}/api/status?token=wrong${token}`), 403, "and a wrong token");
  assert.equal(await httpStatus(`${base}/api/status`, token), 200);
});

test("the lab server listens on loopback only", async (t) => {
  const port = Number(new URL(base).port);
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  if (!external) return t.skip("this machine has no non-loopback IPv4 address to try");
  const reached = await new Promise<boolean>((resolve) => {
    const s = net.connect({ host: external, port, timeout: 3000 });
    s.on("connect", () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
    s.on("timeout", () => (s.destroy(), resolve(false)));
  });
  assert.equal(reached, false, `the lab answered on ${external}:${port}, not only on 127.0.0.1`);
});

/** Lets the page grow to its content so a full-page screenshot shows every output. */
async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(OUT, `${name}.png`);
  await page.addStyleTag({
    content:
      "html, body, #site { height: auto !important; overflow: visible !important; position: static !important; } #header { position: static !important; }",
  });
  await page.screenshot({ path: file, fullPage: true, timeout: 30_000 });
  return file;
}

interface Seen {
  state: string;
  codeCells: number;
  svgs: number;
  checksTables: number;
  checksRows: number;
  errors: string[];
  progress: string[];
  vegaLite: string[];
  usesProgress: boolean;
}

// Browser-side scripts as plain JavaScript strings: tsx would wrap named functions in a
// `__name` helper that does not exist in the page.
const KERNEL_READY = `(() => {
  const nb = window.Jupyter && window.Jupyter.notebook;
  return !!(nb && nb._fully_loaded && nb.kernel && nb.kernel.info_reply && Object.keys(nb.kernel.info_reply).length > 0);
})()`;

const RUN_ALL = `(() => {
  const nb = window.Jupyter.notebook;
  nb.set_autosave_interval(0);
  const st = { expected: 0, finished: 0 };
  st.expected = nb.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim().length > 0).length;
  window.__e2e = st;
  nb.events.on("finished_execute.CodeCell", () => { st.finished += 1; });
  nb.clear_all_output();
  nb.execute_all_cells();
  return st.expected;
})()`;

// Idle = every cell replied, the kernel reported idle, and every cell's outputs arrived
// (finished_execute fires on the cell's iopub idle). tslab aborts queued cells after an
// error, so an error output also ends the wait.
const IDLE = `(() => {
  if (document.querySelector("#kernel_indicator_icon.kernel_dead_icon")) return "kernel died";
  const running = document.querySelectorAll(".cell.code_cell.running").length;
  const errs = document.querySelectorAll(".output_stderr, .output_error").length;
  if (running === 0 && !window.Jupyter.notebook.kernel_busy && (window.__e2e.finished >= window.__e2e.expected || errs > 0)) return "idle";
  return false;
})()`;

const INSPECT = `(() => {
  const all = (sel) => Array.from(document.querySelectorAll(sel));
  const nb = window.Jupyter.notebook.toJSON();
  const outputs = nb.cells.flatMap((c) => c.outputs || []);
  const source = nb.cells.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\\n");
  const mime = ${JSON.stringify(VEGALITE)};
  return {
    state: "",
    codeCells: 0,
    // Rendered and visible: vega's SVG inside an output area, with a real size.
    svgs: all(".output_subarea svg").filter((s) => { const r = s.getBoundingClientRect(); return r.width > 100 && r.height > 50; }).length,
    checksTables: all(".output_subarea table.initlab-checks").length,
    checksRows: all(".output_subarea table.initlab-checks tbody tr").length,
    errors: all(".output_stderr, .output_error").map((e) => e.innerText.slice(0, 2000)),
    progress: all(".output_subarea pre").map((e) => e.innerText).filter((t) => /\\[[#.]{20}\\] \\d+\\/\\d+/.test(t)),
    vegaLite: outputs.filter((o) => o.data && mime in o.data).map((o) => {
      const v = o.data[mime];
      return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    }),
    usesProgress: /\\bil\\.progress\\(/.test(source),
  };
})()`;

for (const target of targets) {
  test(
    `notebook ${target.name} runs in the browser and shows its figures and checks`,
    { timeout: KERNEL_READY_MS + RUN_ALL_MS + 120_000 },
    async (t: TestContext) => {
      assert.ok(context, "browser started");
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));
      let shot = "";
      try {
        const t0 = Date.now();
        await page.goto(`${base}/notebooks/${target.name}.ipynb?token=${token}`, {
          waitUntil: "domcontentloaded",
          timeout: 60_000,
        });
        await page
          .waitForFunction(KERNEL_READY, null, { timeout: KERNEL_READY_MS, polling: 250 })
          .catch((e: Error) =>
            assert.fail(
              `kernel not ready within ${KERNEL_READY_MS / 1000} s (${e.message.split("\n")[0]})\n${logTail()}`,
            ),
          );
        const kernelS = (Date.now() - t0) / 1000;

        const t1 = Date.now();
        const codeCells = (await page.evaluate(RUN_ALL)) as number;
        const state = await page
          .waitForFunction(IDLE, null, { timeout: RUN_ALL_MS, polling: 500 })
          .then((h) => h.jsonValue() as Promise<string>)
          .catch((e: Error) => `not idle within ${RUN_ALL_MS / 1000} s (${e.message.split("\n")[0]})`);
        const runS = (Date.now() - t1) / 1000;

        const seen = (await page.evaluate(INSPECT)) as Seen;
        seen.state = state;
        seen.codeCells = codeCells;
        shot = await screenshot(page, target.name);
        t.diagnostic(
          `${target.name}: kernel ready ${kernelS.toFixed(1)} s, run all ${runS.toFixed(1)} s, ${codeCells} code cells, ${seen.svgs} SVG figures, ${seen.checksRows} checks; screenshot ${path.relative(root, shot)}`,
        );
        timings[`${target.name}.kernelReadyS`] = kernelS;
        timings[`${target.name}.runAllS`] = runS;

        assert.deepEqual(seen.errors, [], `${target.name} shows error output`);
        assert.equal(seen.state, "idle", `${target.name}: ${seen.state}\n${logTail()}`);
        assert.ok(seen.svgs >= 1, `${target.name}: an inline SVG figure rendered`);
        assert.ok(seen.checksTables >= 1, `${target.name}: a checks table (table.initlab-checks) rendered`);
        assert.ok(seen.checksRows >= 1, `${target.name}: the checks table has rows`);
        // show() sends the vega-lite spec next to the SVG; the frontend must hold it as JSON.
        assert.ok(seen.vegaLite.length >= 1, `${target.name}: a ${VEGALITE} bundle was sent`);
        assert.deepEqual(
          seen.vegaLite,
          seen.vegaLite.map(() => "object"),
          `${target.name}: vega-lite specs are objects, not strings`,
        );
        if (seen.usesProgress) {
          assert.ok(seen.progress.length >= 1, `${target.name}: the progress display rendered`);
          for (const p of seen.progress)
            assert.match(p, /done in/, `${target.name}: progress updated in place to its final line`);
        }
      } finally {
        if (!shot) shot = await screenshot(page, target.name).catch(() => "");
        if (pageErrors.length) t.diagnostic(`${target.name}: page errors: ${pageErrors.join(" | ")}`);
        await page.close().catch(() => undefined);
      }
    },
  );
}
