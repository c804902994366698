// IncreLoRA's view checks and its growth figure: accuracy against LoRA and against AdaLoRA at
// the same final rank budget, and the growth schedule replayed from the settings against the
// growth events every run recorded.
import { ranksOf } from "../../adapters/adalora/figure";
import { lineChart } from "../../plot/specs";
import { sanity } from "../checks";
import { accCheck, runsOf } from "../adapters-compare/compare";
import { BenchSettings } from "../adapters-compare/run";
import { ViewResult } from "../adapters-compare/view";
import { Check, Figure } from "../types";
import { adaloraId } from "../adalora/checks";

export const increloraId = (s: Pick<BenchSettings, "midRank">): string => `IncreLoRA r=1→${s.midRank}`;

/** The benchmark's growth settings (src/adapters/increlora/bench.ts): every steps/10, +⌊midRank/2⌋ to the top 1. */
export function growthPlan(s: Pick<BenchSettings, "midRank" | "steps" | "hidden">): { steps: number[]; inc: number } {
  const every = Math.max(1, Math.round(s.steps / 10));
  const inc = Math.max(1, Math.floor(s.midRank / 2));
  const n = s.hidden.length;
  const events = Math.ceil((n * (s.midRank - 1)) / inc);
  const steps: number[] = [];
  for (let t = every + 1; t <= s.steps && steps.length < events; t++) if (t % every === 0) steps.push(t);
  return { steps, inc };
}

/** [step, r_W1, r_W2, …] growth events of one run. */
export function growthEvents(extra: Record<string, number | string>): number[][] {
  const v = extra.increloraGrowth;
  return typeof v === "string" && v ? (JSON.parse(v) as number[][]) : [];
}

/**
 * Violations over all runs: growth on other steps than planned, an event adding other than
 * `inc` components to exactly one matrix (top-h = 1), or a final total other than n·midRank.
 */
export function growthViolations(r: ViewResult): { violations: number; events: number } {
  const s = r.settings;
  const n = s.hidden.length;
  const plan = growthPlan(s);
  let violations = 0;
  let events = 0;
  for (const rec of runsOf(r.records, increloraId(s))) {
    const ev = growthEvents(rec.extra);
    events += ev.length;
    if (JSON.stringify(ev.map((e) => e[0])) !== JSON.stringify(plan.steps)) violations++;
    let prev = Array.from({ length: n }, () => 1);
    for (const [, ...ranks] of ev) {
      const d = ranks.map((x, l) => x - prev[l]);
      if (d.filter((x) => x !== 0).length !== 1 || Math.max(...d) !== plan.inc) violations++;
      prev = ranks;
    }
    const final = ranksOf(rec, "increloraRanks");
    if (final.reduce((a, x) => a + x, 0) !== n * s.midRank || Number(rec.extra.targetReached) !== 1) violations++;
  }
  return { violations, events };
}

export function increloraChecks(r: ViewResult): Check[] {
  const s = r.settings;
  const I = increloraId(s);
  const gv = growthViolations(r);
  const budget = `${s.hidden.length * s.midRank} components over the adapted matrices`;
  return [
    accCheck(
      r.records,
      I,
      `LoRA r=${s.midRank}`,
      `IncreLoRA's final task-B accuracy ≥ LoRA's at the same final rank budget (${budget})`,
      0,
      "increlora-accuracy",
    ),
    accCheck(
      r.records,
      I,
      adaloraId(s),
      `IncreLoRA's final task-B accuracy ≥ AdaLoRA's at the same final rank budget (${budget})`,
      0,
      "increlora-accuracy",
    ),
    sanity(
      `The growth follows its schedule: ${growthPlan(s).steps.length} events on the planned steps, each adding ${growthPlan(s).inc} components to one matrix, ending at n·targetR with the reserves off (${gv.events} events)`,
      gv.violations,
      "0 violations",
      gv.violations === 0,
      { seeds: runsOf(r.records, I).length, figure: "increlora-growth" },
    ),
  ];
}

/** Rank of each matrix over the steps, per seed (from 1 at step 0 through every growth event). */
export function growthFigure(r: ViewResult): Figure {
  const n = r.settings.hidden.length;
  const rows = runsOf(r.records, increloraId(r.settings)).flatMap((rec) => {
    const pts = [[0, ...Array.from({ length: n }, () => 1)], ...growthEvents(rec.extra)];
    const last = pts[pts.length - 1];
    pts.push([r.settings.steps, ...last.slice(1)]);
    return pts.flatMap(([step, ...ranks]) =>
      ranks.map((rank, l) => ({ step, rank, series: `W${l + 1}, seed ${rec.seed}` })),
    );
  });
  return {
    name: "increlora-growth",
    spec: lineChart(rows, {
      x: "step",
      y: "rank",
      color: "series",
      title: "IncreLoRA: rank of each matrix over training (per seed)",
      xTitle: "step",
      yTitle: "active rank",
    }),
  };
}
