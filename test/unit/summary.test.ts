// results/summary.md as a reader sees it on a code host: overview table, short paper labels,
// per-notebook sections with checks, measured values and the key figure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { shortPaper, summaryMarkdown, type Summary } from "../../src/cli/summary";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

test("shortPaper: first author (et al. / & second) and the year, else the citation cut at a word", () => {
  const cases: Array<[string | undefined, string]> = [
    [
      "Garrido, Balestriero, Najman, LeCun. RankMe: Assessing the downstream performance of pretrained self-supervised representations by their rank. ICML 2023.",
      "Garrido et al. 2023",
    ],
    ["Paul, Ganguli & Dziugaite, Deep Learning on a Data Diet, NeurIPS 2021 (arXiv 2107.07075)", "Paul et al. 2021"],
    [
      "Prieto, Barsbey, Mediano, Birdal. Grokking at the Edge of Numerical Stability. ICLR 2025 (arXiv 2501.04697)",
      "Prieto et al. 2025",
    ],
    ["Marchenko & Pastur (1967)", "Marchenko & Pastur 1967"],
    ["A. Power, Y. Burda. Grokking. 2022", "Power et al. 2022"],
    ["Kaplan and J. McCandlish. Scaling laws. arXiv 2001.08361, 2020", "Kaplan & McCandlish 2020"],
    ["initlab quickstart (no paper)", "initlab quickstart (no paper)"],
    [
      "Some tool without a year or much of anything else but long enough to be cut somewhere",
      "Some tool without a year or much of anything else but long…",
    ],
    [undefined, ""],
  ];
  for (const [paper, want] of cases) assert.equal(shortPaper(paper), want, String(paper));
});

test("summaryMarkdown: overview row per notebook, sections with checks, measured values, figures", () => {
  const s: Summary = {
    notebooks: [
      {
        notebook: "rankme",
        status: "ok",
        errors: [],
        size: "default",
        timings: { wallSeconds: 139.4 },
        paper: "Garrido, Balestriero. RankMe. ICML 2023.",
        claim: "RankMe tracks probe accuracy.",
        backend: "wasm",
        checks: [{ claim: "Spearman | all runs", measured: 0.91234, expected: "≥ 0.8", pass: true }],
        summary: { runs: 3, probeOverhead: 0.018841 },
        figures: ["rankme-scatter", "rankme-training"],
      },
      {
        notebook: "b-broken",
        status: "failed",
        errors: ["Error: boom\n at x"],
        size: "smoke",
        timings: { wallSeconds: 5 },
        checks: [],
      },
    ],
  };
  const md = summaryMarkdown(s, "../figures");
  assert.match(md, /\*\*1 of 1 checks pass\*\*/);
  assert.match(md, /\| \[rankme\]\(#rankme\) \| Garrido et al\. 2023 \| ✅ 1\/1 \| ok \| `default` \| 2 min 19 s \|/);
  assert.match(md, /\| \[b-broken\]\(#b-broken\) \|.*\*\*failed\*\*/);
  assert.match(md, /\| Spearman \\\| all runs \| 0\.9123 \| ≥ 0\.8 \| ✅ pass \|/, "pipes in a claim are escaped");
  assert.match(md, /<details><summary>All measured values \(2\)<\/summary>\n\n\| quantity \| value \|/);
  assert.match(md, /\| probeOverhead \| 0\.01884 \|/);
  assert.match(md, /!\[rankme-scatter\]\(\.\.\/figures\/rankme-scatter\.png\)/);
  assert.match(md, /More figures: \[rankme-training\]\(\.\.\/figures\/rankme-training\.png\)/);
  assert.match(md, /## b-broken\n\n\*\*Run\.\*\* \*\*failed\*\*[^\n]*\n\n\*\*Errors\.\*\*\n\n- Error: boom/);
});

test("timings are kept apart from measured numbers in summary.json", async () => {
  const { isTimingKey, outcomeFrom, summaryJson, readSummary } = await import("../../src/cli/summary");
  const table: Array<[string, boolean]> = [
    ["wallSeconds", true],
    ["seconds", true],
    ["probeOverhead", true],
    ["trainSeconds", true],
    ["initMs", true],
    ["accuracy", false],
    ["secondsPerEpochNote", false],
    ["spearman", false],
  ];
  for (const [k, want] of table) assert.equal(isTimingKey(k), want, k);
  const report = {
    notebook: "x",
    checks: [{ claim: "c", measured: 1, expected: "= 1", pass: true }],
    summary: { acc: 0.9, trainSeconds: 12.3 },
  };
  const a = outcomeFrom("x", report, { ok: true, errors: [], wall: 20.04 }, "smoke");
  const b = outcomeFrom("x", report, { ok: true, errors: [], wall: 31.7 }, "smoke");
  assert.deepEqual(a.summary, { acc: 0.9 });
  assert.deepEqual(a.timings, { wallSeconds: 20, trainSeconds: 12.3 });
  const ja = JSON.parse(summaryJson({ notebooks: [a] }));
  const jb = JSON.parse(summaryJson({ notebooks: [b] }));
  assert.deepEqual(ja.notebooks, jb.notebooks, "identical apart from timings");
  assert.notDeepEqual(ja.timings, jb.timings);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-sum-"));
  fs.writeFileSync(path.join(dir, "s.json"), summaryJson({ notebooks: [a] }));
  assert.deepEqual(readSummary(path.join(dir, "s.json")).notebooks[0], JSON.parse(JSON.stringify(a)));
});
