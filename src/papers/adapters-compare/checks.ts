// The benchmark's cross-method checks (only those whose variants ran), its summary and the
// rows every table and figure reads.
import { aggregateRecords, BenchRow } from "../../adapters/bench-report";
import { Interval } from "../../metrics/intervals";
import { evidence, sanity } from "../checks";
import { Check } from "../types";
import { fmt, highEnd, lowEnd, paired } from "./compare";
import { AdaptersCompareResult } from "./run";
import { sweepChecks, sweepSummary } from "./sweep";
import { Selection } from "../protocol";

export const rowsOf = (r: Pick<AdaptersCompareResult, "records" | "settings" | "baseAccA">): BenchRow[] =>
  aggregateRecords(r.records, r.settings, r.baseAccA);

// Sweep variants (tier "ablation") never stand in for a method's benchmark variant.
const byMethod = (rows: BenchRow[], method: string, tier?: string) =>
  rows.find(
    (r) => r.method === method && (tier ? r.tier === tier : r.tier !== "ablation" || !/\(sweep\)/.test(String(r.id))),
  );

/** The least favourable of several intervals for an "above" rule (smallest low end). */
function worst(ivs: Array<{ id: string; iv: Interval }>): { id: string; iv: Interval } {
  return ivs.reduce((a, b) => (lowEnd(b.iv) < lowEnd(a.iv) ? b : a));
}

export function compareChecks(r: AdaptersCompareResult): Check[] {
  const rows = rowsOf(r);
  const s = r.settings;
  const { records } = r;
  const checks: Check[] = [];
  const full = byMethod(rows, "full");
  const mid = rows.filter((x) => x.tier === "mid");
  if (full && mid.length) {
    const fid = full.id as string;
    // forgetting(full) − forgetting(adapter) = accA(adapter) − accA(full), per seed.
    const forget = mid.map((x) => ({ id: x.id as string, iv: paired(records, x.id as string, fid, (q) => q.accA) }));
    const wf = worst(forget);
    checks.push(
      evidence(
        `Full FT forgets task A more than every mid-tier adapter (least favourable pair shown: full FT vs ${wf.id})`,
        wf.iv,
        "95% interval of the paired difference forgetting(full FT) − forgetting(adapter) above 0, for every mid-tier adapter",
        forget.every((x) => lowEnd(x.iv) > 0),
        { figure: "adapters-compare-forgetting" },
      ),
    );
    const acc = mid.map((x) => ({ id: x.id as string, iv: paired(records, x.id as string, fid, (q) => q.accB) }));
    const wa = worst(acc);
    const within = acc.filter((x) => lowEnd(x.iv) > -0.02).length;
    checks.push(
      evidence(
        `Every mid-tier adapter ends within 2 points of full FT's task-B accuracy (${within}/${acc.length} do; least favourable shown: ${wa.id} − full FT)`,
        wa.iv,
        "95% interval of the paired difference acc(adapter) − acc(full FT) above −0.02, for every mid-tier adapter",
        within === acc.length,
        { figure: "adapters-compare-acc-vs-params" },
      ),
    );
  }
  const early = Math.max(...s.earlySteps.filter((x) => x <= s.steps && x <= 100));
  const ga = byMethod(rows, "lora-ga"),
    pi = byMethod(rows, "pissa"),
    lo = byMethod(rows, "lora", "mid");
  const lossAtEarly = (q: AdaptersCompareResult["records"][number]) => {
    let v = NaN;
    for (const p of q.curve) if (p.step <= early) v = p.testLossB;
    return v;
  };
  if (ga && pi && lo && Number.isFinite(early)) {
    for (const [a, b] of [
      [ga, pi],
      [pi, lo],
    ]) {
      const iv = paired(records, a.id as string, b.id as string, lossAtEarly);
      checks.push(
        evidence(
          `Early convergence ordering LoRA-GA < PiSSA < LoRA at step ${early}: loss(${a.id}) < loss(${b.id})`,
          iv,
          `95% interval of the paired difference loss(${a.id}) − loss(${b.id}) at step ${early} below 0`,
          highEnd(iv) < 0,
          { figure: "adapters-compare-loss-mid" },
        ),
      );
    }
  }
  const sv = byMethod(rows, "svfit");
  if (sv && lo) {
    const e = s.epsilons.includes(0.5) ? 0.5 : s.epsilons[0];
    const count = (q: AdaptersCompareResult["records"][number]) =>
      q.layers.reduce((acc, l) => acc + (l.intruders[String(e)] ?? 0), 0);
    const iv = paired(records, sv.id as string, lo.id as string, count);
    checks.push(
      sanity(
        `SVFit creates no more intruders (ε = ${e}, k = 10, both matrices) than ${lo.id}: its ΔW lives in W0's singular frame (by construction)`,
        iv,
        "mean of the paired difference intruders(SVFit) − intruders(LoRA) ≤ 0",
        iv.mean <= 0,
        { figure: "adapters-compare-intruders" },
      ),
    );
  }
  const dora = byMethod(rows, "dora");
  if (lo && dora) {
    const rank = lo.numRankΔW1 as number,
      d = dora.effRankΔW1 as number,
      R = s.midRank;
    checks.push(
      sanity(
        `Structure: ${lo.id}'s ΔW1 has numerical rank ≤ ${R}; DoRA's ΔW1 is not low-rank (entropy effective rank > ${R}); both by construction`,
        `LoRA numerical rank ${fmt(rank)}, DoRA effective rank ${fmt(d)} (means over seeds)`,
        `≤ ${R} and > ${R}`,
        rank <= R && d > R,
        { seeds: r.settings.seeds.length, figure: "adapters-compare-delta-spectra" },
      ),
    );
  }
  checks.push(...sweepChecks(records, s));
  return checks;
}

/** "3e-3 (tried 1e-3 … 9e-3, extended)" per seed: what the validation selection chose. */
export function selectionText(sels: Selection[]): string {
  const e = (x: number) => x.toExponential(1);
  return sels.map((q) => `${e(q.best)}${q.extended ? " (grid extended)" : ""}`).join(", ");
}

/** Per variant: the numbers the reading quotes (means over seeds). */
export function compareSummary(
  r: Pick<AdaptersCompareResult, "records" | "settings" | "baseAccA"> & { selections?: Record<string, Selection[]> },
): Record<string, number | string> {
  const rows = rowsOf(r);
  const s = r.settings;
  const early = s.earlySteps.filter((x) => x <= s.steps);
  const out: Record<string, number | string> = {
    baseAccA: r.baseAccA,
    seeds: s.seeds.length,
    steps: s.steps,
    runs: r.records.length,
    variants: rows.length,
  };
  for (const f of Object.keys(s.lrs)) out[`lr ${f} (grid centre)`] = s.lrs[f];
  Object.assign(out, sweepSummary(r.records, s));
  // The first adapted matrix (W1 on the MLP base, l0.wq on the char base).
  const L1 = r.records[0]?.layers[0]?.layer ?? "W1";
  for (const x of rows) {
    const parts = [
      `params ${x.params}`,
      `lr ${x.lr}`,
      `accB ${fmt(x.accB as number)} ± ${fmt(x.accBsd as number)}`,
      `forgetting ${fmt(x.forgetting as number)}`,
      ...early.map((st) => `loss@${st} ${fmt(x[`loss@${st}`] as number)}`),
      ...s.epsilons.map((e) => `intruders@${e} ${fmt(x[`intruders@${e}`] as number)}`),
      `‖Δ${L1}‖F ${fmt(x[`normΔ${L1}`] as number)}`,
      `numRankΔ${L1} ${fmt(x[`numRankΔ${L1}`] as number)}`,
      `effRankΔ${L1} ${fmt(x[`effRankΔ${L1}`] as number)}`,
    ];
    out[x.id as string] = parts.join("; ");
    const sel = r.selections?.[x.id as string];
    // Per seed on the MLP base; the char base selects on its first seed only.
    if (sel)
      out[`${x.id}: lr selected ${sel.length === s.seeds.length ? "per seed" : "on the first seed"}`] =
        selectionText(sel);
    // A duration: runPaper files it under provenance.timings (it varies run to run).
    out[`${x.id}: init seconds`] = Number(((x.initMs as number) / 1000).toPrecision(3));
    const extras = Object.keys(r.records.find((q) => q.id === x.id)?.extra ?? {});
    for (const k of extras)
      out[`${x.id}: ${k}`] = typeof x[k] === "number" ? Number((x[k] as number).toPrecision(4)) : x[k];
  }
  return out;
}
