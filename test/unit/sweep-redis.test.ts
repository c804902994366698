// Sweeps through BullMQ with a real redis-server (Debian's, started here on a free loopback
// port, no persistence, stopped at the end): a worker killed with SIGKILL mid-job (its job is
// retried by the other worker after stalled-job detection, every result present once, the
// merged result identical to a local sweep), bounded retries then a marked failure, an
// unreachable Redis, a worker of another code version, and --detach with status and collect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import "../../src/papers/all";
import { main } from "../../src/cli/main";
import { parseGridArg, planSweep } from "../../src/cli/sweep-plan";
import { fromJson, toJson } from "../../src/io/json";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.resolve(__dirname, "../fixtures/sweep-papers.ts");
import "../fixtures/sweep-papers";
const REDIS = "/usr/bin/redis-server";
const haveRedis = fs.existsSync(REDIS);
const skip = haveRedis
  ? false
  : `${REDIS} is not installed (scripts/setup.sh installs the Debian package redis-server)`;

let redis: ChildProcess | null = null;
let port = 0;
let url = "";
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 60000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  if (!haveRedis) return;
  port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-redis-"));
  redis = spawn(
    REDIS,
    ["--save", "", "--appendonly", "no", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
    {
      stdio: "ignore",
    },
  );
  await until("redis-server to listen", () => {
    const r = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
    return r.status === 0;
  });
});

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  redis?.kill("SIGTERM");
});

function sandbox(): { dir: string; results: string; cache: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-sweepq-"));
  const env = {
    INITLAB_RESULTS: path.join(dir, "results"),
    INITLAB_CACHE: path.join(dir, "cache"),
    INITLAB_FIGURES: path.join(dir, "figures"),
  };
  Object.assign(process.env, env);
  return { dir, results: env.INITLAB_RESULTS, cache: env.INITLAB_CACHE, env: { ...process.env, ...env } };
}

/** A worker process (the CLI under tsx) with short lock and stall intervals; its output is collected. */
function startWorker(name: string, env: NodeJS.ProcessEnv): { proc: ChildProcess; out: () => string } {
  let out = "";
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "src/cli/main.ts"),
      "worker",
      "--queue",
      url,
      "--name",
      name,
      "--papers",
      FIXTURE,
      "--lock-ms",
      "1000",
      "--stalled-ms",
      "500",
      "--refuse-delay-ms",
      "300",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  children.push(proc);
  return { proc, out: () => out };
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const stop = async (w: { proc: ChildProcess }) => {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill("SIGTERM");
  await new Promise((r) => w.proc.once("exit", r));
};

test(
  "two workers, one killed mid-job: the job is retried by the other; results once each, identical to a local sweep",
  { skip },
  async () => {
    const sb = sandbox();
    const log = path.join(sb.dir, "starts.log");
    const name = `t-kill-${process.pid}`;
    const a = startWorker(name, sb.env);
    const b = startWorker(name, sb.env);
    await until("both workers to be ready", () => /initlab worker/.test(a.out()) && /initlab worker/.test(b.out()));
    const args = [
      "sweep-fixture",
      "--papers",
      FIXTURE,
      "--size",
      "smoke",
      "--seeds",
      "0..3",
      "--grid",
      "ms=1500",
      `log="${log}"`,
    ];
    const sweep = cli(["sweep", ...args, "--queue", url, "--name", name]);
    // Kill A once its job's seed has started running (the fixture logs the worker's pid).
    const aSeed = () => {
      const m = fs.existsSync(log)
        ? new RegExp(`^start (\\d+) ${a.proc.pid}$`, "m").exec(fs.readFileSync(log, "utf8"))
        : null;
      return m ? Number(m[1]) : null;
    };
    await until("worker A to be running a seed", () => aSeed() !== null);
    const seed = aSeed()!;
    const killed = /^start (\S+)/m.exec(a.out())![1];
    a.proc.kill("SIGKILL");
    const r = await sweep;
    await stop(b);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(b.out(), new RegExp(`start ${killed.replace(/\./g, "\\.")}`), "the killed job ran again on worker B");
    assert.doesNotMatch(a.out(), new RegExp(`done ${killed.replace(/\./g, "\\.")}`));
    const starts = fs.readFileSync(log, "utf8").trim().split("\n");
    assert.equal(starts.length, 5, "4 seeds, the killed one started twice");
    assert.equal(starts.filter((l) => l.startsWith(`start ${seed} `)).length, 2);
    const seedFiles = fs
      .readdirSync(path.join(sb.cache, "smoke", "sweep-fixture"))
      .filter((f) => /^seed-.*\.json$/.test(f));
    assert.equal(seedFiles.length, 4, "one result per seed");
    const plan = planSweep({
      papers: ["sweep-fixture"],
      size: "smoke",
      seeds: [0, 1, 2, 3],
      grid: [parseGridArg("ms=1500"), parseGridArg(`log="${log}"`)],
    });
    const gridFile = (results: string) =>
      fs
        .readdirSync(path.join(results, "sweep-fixture", "grid"))
        .filter((d) => d !== "summary.md")
        .map((d) => path.join(results, "sweep-fixture", "grid", d, "summary.json"));
    const queued = gridFile(sb.results);
    assert.equal(queued.length, 1);
    assert.equal(plan.jobs.length, 4);
    // The same sweep locally, into other folders: the merged checks and values are identical.
    const local = sandbox();
    const l = await cli(["sweep", ...args]);
    assert.equal(l.code, 0, l.err);
    const pick = (f: string) => {
      const s = fromJson<{ checks: unknown; summary: unknown; seeds: unknown }>(fs.readFileSync(f, "utf8"));
      return toJson({ checks: s.checks, summary: s.summary, seeds: s.seeds });
    };
    assert.equal(pick(gridFile(local.results)[0]), pick(queued[0]));
  },
);

test(
  "a job that throws is retried a bounded number of times, then the sweep completes the rest and marks it",
  { skip },
  async () => {
    const sb = sandbox();
    const name = `t-fail-${process.pid}`;
    const w = startWorker(name, sb.env);
    const r = await cli(
      [
        "sweep",
        "sweep-fixture",
        "--papers",
        FIXTURE,
        "--size",
        "smoke",
        "--queue",
        url,
        "--name",
        name,
        "--attempts",
        "3",
      ].concat(["--seeds", "0..2", "--grid", "failSeeds=[1]"]),
    );
    await stop(w);
    assert.equal(r.code, 1);
    assert.equal((w.out().match(/failed: boom on seed 1/g) ?? []).length, 3, "three attempts");
    assert.match(r.err, /seed 1: boom on seed 1/);
    const md = fs.readFileSync(path.join(sb.results, "sweep-fixture", "grid", "summary.md"), "utf8");
    assert.match(
      md,
      /\*\*failed\*\*: sweep job sweep-fixture failSeeds=\[1\] seed 1 failed after 3 attempt\(s\): boom on seed 1/,
    );
    const seeds = fs.readdirSync(path.join(sb.cache, "smoke", "sweep-fixture")).filter((f) => f.startsWith("seed-"));
    assert.equal(seeds.length, 2, "seeds 0 and 2 completed");
  },
);

test("Redis unreachable at submit: one line naming the URL, exit 1, nothing written", { skip }, async () => {
  const sb = sandbox();
  const dead = `redis://127.0.0.1:${await freePort()}`;
  const p = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "src/cli/main.ts"),
      "sweep",
      "sweep-fixture",
      "--papers",
      FIXTURE,
      "--size",
      "smoke",
      "--queue",
      dead,
    ],
    { env: sb.env, encoding: "utf8" },
  );
  assert.equal(p.status, 1);
  assert.equal(p.stderr.trim().split("\n").length, 1, p.stderr);
  assert.match(p.stderr, new RegExp(`cannot reach Redis at ${dead.replace(/\./g, "\\.")}: ECONNREFUSED`));
  assert.deepEqual(fs.readdirSync(sb.dir), [], "no results, cache or sweep record");
});

test(
  "a worker of another code version refuses the job and puts it back; --detach, status and collect",
  { skip },
  async () => {
    const sb = sandbox();
    const name = `t-ver-${process.pid}`;
    // Submit detached, then rewrite one queued job's code version as a different checkout would have sent it.
    const d = await cli([
      "sweep",
      "sweep-fixture",
      "--papers",
      FIXTURE,
      "--size",
      "smoke",
      "--seeds",
      "0..1",
      "--queue",
      url,
      "--name",
      name,
      "--detach",
    ]);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /detached: follow with {2}npx initlab sweep status/);
    const { Queue } = await import("bullmq");
    const { connectRedis } = await import("../../src/cli/sweep-redis");
    const conn = connectRedis(new URL(url));
    const q = new Queue(name, { connection: conn as never });
    const jobs = await q.getJobs(["waiting"]);
    assert.equal(jobs.length, 2);
    await jobs[0].updateData({ ...jobs[0].data, codeVersion: "000000000000" });
    const st = await cli(["sweep", "status", "--queue", url, "--name", name]);
    assert.match(st.out, /0 collected, 0 done and not collected, 0 running, 2 waiting, 0 failed/);
    const w = startWorker(name, sb.env);
    await until("the refusal", () => /refused job/.test(w.out()));
    assert.match(w.out(), /this checkout's code version is [0-9a-f]{12}, the sweep's is 000000000000/);
    await until("the other job", () => /^done /m.test(w.out()));
    const stale = (await q.getJob(jobs[0].id!))!;
    assert.notEqual(await stale.getState(), "completed");
    assert.match(String((stale.progress as { refused?: string }).refused), /refused job/);
    assert.equal(stale.returnvalue ?? null, null, "never run by the mismatched worker");
    // Put the job right again (a matching submitter re-adds it) and collect everything.
    await stale.updateData({ ...stale.data, codeVersion: jobs[1].data.codeVersion });
    const c = await cli(["sweep", "collect", "--queue", url, "--name", name]);
    await stop(w);
    await q.close();
    await conn.quit();
    assert.equal(c.code, 0, c.out + c.err);
    assert.ok(fs.existsSync(path.join(sb.results, "sweep-fixture", "summary.json")));
  },
);
