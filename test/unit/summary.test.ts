// The claim-vs-measured report as a reader sees it on a code host: headline counts of
// evidence checks only, an overview row per paper (citation, evidence, sanity, seeds),
// sections with evidence and sanity apart, intervals, figure links and errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mergeOutcomes, NotebookOutcome, overviewJson, readOverview, summaryMarkdown } from "../../src/cli/summary";
import { formatCitation, shortCitation } from "../../src/papers/registry";
import { isTimingKey, PaperSummaryFile } from "../../src/papers/run";
import { tInterval } from "../../src/metrics/intervals";

const rankme: PaperSummaryFile = {
  id: "rankme",
  citation: {
    authors: ["Q. Garrido", "R. Balestriero", "L. Najman", "Y. LeCun"],
    title: "RankMe",
    venue: "ICML",
    year: 2023,
    code: "https://example.org/rankme",
  },
  claim: "RankMe tracks probe accuracy.",
  size: "default",
  seeds: [0, 1, 2],
  config: { seeds: [0, 1, 2] },
  backend: "wasm",
  checks: [
    {
      kind: "evidence",
      claim: "Spearman | all runs",
      measured: tInterval([0.9, 0.92, 0.91]),
      expected: "95% interval above 0.8",
      pass: true,
      seeds: 3,
      figure: "rankme-scatter",
    },
    { kind: "evidence", claim: "pick loses little", measured: 0.4887, expected: "≤ 0.01", pass: false, seeds: 1 },
    { kind: "sanity", claim: "loss went down", measured: "3 of 3 runs", expected: "every run", pass: true, seeds: 3 },
  ],
  summary: { runs: 3, probeAccuracy: 0.018841 },
  figures: ["rankme-scatter", "rankme-training"],
  provenance: { codeVersion: "abc", runId: "r1", computeSeconds: 70, cached: false, timings: {} },
};

test("citations: full and short forms", () => {
  assert.equal(shortCitation(rankme.citation), "Garrido et al. 2023");
  assert.equal(
    shortCitation({ authors: ["A. Power", "Y. Burda"], title: "t", venue: "v", year: 2022 }),
    "Power & Burda 2022",
  );
  assert.equal(
    shortCitation({ authors: [], title: "initlab quickstart (no paper)", venue: "initlab", year: 2026 }),
    "initlab quickstart (no paper) 2026",
  );
  assert.equal(formatCitation(rankme.citation), "Q. Garrido, R. Balestriero, L. Najman & Y. LeCun. RankMe. ICML 2023");
});

test("summaryMarkdown: evidence-only headline, overview row, sections with evidence and sanity apart", () => {
  const outcomes: NotebookOutcome[] = [
    { id: "rankme", status: "ok", errors: [], size: "default", wallSeconds: 139.4 },
    { id: "b-broken", status: "failed", errors: ["Error: boom\n at x"], size: "smoke", wallSeconds: 5 },
  ];
  const md = summaryMarkdown(outcomes, new Map([["rankme", rankme]]), "../figures");
  assert.match(md, /\*\*Evidence: 1 of 2 checks hold; sanity: 1 of 1\*\*/);
  assert.match(
    md,
    /\| \[rankme\]\(#rankme\) \| Garrido et al\. 2023 \| ❌ 1\/2 \| ✅ 1\/1 \| 3 \(checks: 1, 3\) \| ok \| `default` \| 2 min 19 s \|/,
  );
  assert.match(md, /\| \[b-broken\]\(#b-broken\) \|.*\*\*failed\*\*/);
  assert.match(md, /\*\*Paper\.\*\* Q\. Garrido.*ICML 2023 · \[code\]\(https:\/\/example\.org\/rankme\)/);
  assert.match(md, /\*\*Evidence\*\* \(1 of 2 hold\)/);
  assert.match(md, /\*\*Sanity\*\* \(1 of 1; not evidence\)/);
  assert.match(
    md,
    /\| Spearman \\\| all runs \| \[0\.91 \[0\.8852, 0\.9348\] \(95% t, n=3\)\]\(\.\.\/figures\/rankme\/rankme-scatter\.png\) \|/,
    "interval, escaped pipe, figure link",
  );
  assert.match(md, /\| pick loses little \| 0\.4887 \| ≤ 0\.01 \| 1 \| ❌ fails \|/);
  assert.match(md, /!\[rankme-scatter\]\(\.\.\/figures\/rankme\/rankme-scatter\.png\)/);
  assert.match(md, /## b-broken\n\n\*\*Run\.\*\* \*\*failed\*\*[^\n]*\n\n\*\*Errors\.\*\*\n\n- Error: boom/);
});

test("the overview keeps timings apart, merges re-runs, and survives an unreadable file", () => {
  for (const [k, want] of [
    ["wallSeconds", true],
    ["initMs", true],
    ["probeOverhead", true],
    ["accuracy", false],
    ["spearman", false],
  ] as const) {
    assert.equal(isTimingKey(k), want, k);
  }
  const a: NotebookOutcome = { id: "x", status: "ok", errors: [], size: "default", wallSeconds: 20 };
  const b: NotebookOutcome = { ...a, wallSeconds: 31 };
  const ja = JSON.parse(overviewJson([a], new Map()));
  const jb = JSON.parse(overviewJson([b], new Map()));
  assert.deepEqual(ja.notebooks, jb.notebooks, "identical apart from timings");
  assert.notDeepEqual(ja.timings, jb.timings);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-sum-"));
  const f = path.join(dir, "s.json");
  fs.writeFileSync(f, overviewJson([a], new Map()));
  assert.deepEqual(readOverview(f), [a]);
  fs.writeFileSync(f, "{ not json");
  assert.deepEqual(readOverview(f), []);
  const merged = mergeOutcomes([a, { ...a, id: "w" }], [{ ...a, status: "failed", errors: ["e"] }]);
  assert.deepEqual(
    merged.map((o) => [o.id, o.status]),
    [
      ["w", "ok"],
      ["x", "failed"],
    ],
  );
});
