// Per-paper views over the shared adapter benchmark: given a method name, its headline
// claim, the variants that claim is judged against, the method-specific figures and the
// checks. Reuses the cached full benchmark (results/cache/adapters-<size>-<hash>.json)
// when present; otherwise runs only the variants the view needs (and caches those).
import { lineChart, scatterChart, barChart, VegaLiteSpec } from "../../plot/specs";
import { fail } from "../../core/validate";
import { AdaptersCompareConfig, benchmarkVariants, readAdaptersCache, runAdaptersBenchmark, cachePath, AdaptersCache } from "./run";
import { RunRecord } from "./bench";
import { aggregate, seriesOf } from "./summary";
import { Check, check, ExperimentResult, RunOptions } from "../../core/types";
import { fmtMeasured } from "../report";

type Row = Record<string, number | string>;

export interface PaperInfo {
  /** Paper citation. */
  paper: string;
  /** Headline claim in one sentence. */
  claim: string;
  /** Variant ids (of benchmarkVariants) this view compares. */
  variants: (cfg: AdaptersCompareConfig) => string[];
}

const r4 = (c: AdaptersCompareConfig) => c.midRank;
export const ADAPTER_PAPERS: Record<string, PaperInfo> = {
  pissa: {
    paper: "Meng, Wang, Zhang. PiSSA: Principal Singular Values and Singular Vectors Adaptation of Large Language Models. NeurIPS 2024 (arXiv 2404.02948)",
    claim: "Initialising LoRA's factors with the principal singular part of W0 (residual frozen) converges faster and ends better than LoRA's zero/random init.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, `PiSSA r=${r4(c)}`],
  },
  "lora-ga": {
    paper: "Wang, Yu, Li. LoRA-GA: Low-Rank Adaptation with Gradient Approximation. NeurIPS 2024 (arXiv 2407.05000)",
    claim: "Initialising LoRA from the SVD of the full-weight gradient makes its first steps approximate full fine-tuning, converging 2–4× faster than LoRA.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, `LoRA-GA r=${r4(c)}`],
  },
  "lora-sb": {
    paper: "Ponkshe, Singhal, Gorbunov, Tumanov, Horvath, Vepakomma. Initialization using Update Approximation is a Silver Bullet for Extreme Efficient Low-Rank Fine-Tuning (LoRA-SB). arXiv 2411.19557",
    claim: "LoRA-XS's architecture initialised from the truncated first full-FT update (LoRA-SB) beats LoRA-XS at equal rank and LoRA with many times fewer parameters.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, `LoRA-XS r=${c.xsMidRank}`, `LoRA-SB r=${c.xsMidRank}`, `LoRA-XS r=${c.xsTinyRank}`, `LoRA-SB r=${c.xsTinyRank}`],
  },
  svfit: {
    paper: "Sun, Guo, Wang, Zhang, Yang, Li. SVFit: Parameter-Efficient Fine-Tuning of Large Pre-Trained Models Using Singular Values. arXiv 2409.05926",
    claim: "Training only W0's top singular values matches or beats LoRA with ~16× fewer trainable parameters.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, "LoRA r=1", `LoRA-XS r=${c.xsTinyRank}`, "SVFit (all σ)"],
  },
  sorsa: {
    paper: "Cao. SORSA: Singular Values and Orthonormal Regularized Singular Vectors Adaptation of Large Language Models. arXiv 2409.00055",
    claim: "Training the principal singular triplets with an orthonormal regulariser keeps the singular frame orthonormal, converges faster than PiSSA and LoRA, and ends better.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, `PiSSA r=${r4(c)}`, `SORSA r=${r4(c)}`, `SORSA r=${r4(c)} γ=0`],
  },
  eva: {
    paper: "Paischer, Hauzenberger, Schmied, Alkin, Deisenroth, Hochreiter. One Initialization to Rule them All: Fine-tuning via Explained Variance Adaptation (EVA). arXiv 2410.07170",
    claim: "Initialising LoRA's A with the top principal directions of each layer's inputs (ranks redistributed by explained variance) maximises the initial gradient signal and fine-tunes better than LoRA.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, `EVA r=${r4(c)}`],
  },
  loldu: {
    paper: "Shi, Chen, Wang, Dai. LoLDU: Low-Rank Adaptation via Lower-Diag-Upper Decomposition for Parameter-Efficient Fine-Tuning. arXiv 2410.13618",
    claim: "Fine-tuning only the diagonal of W0's LDU factorisation (plus one scale: r+1 parameters per layer) is competitive with far larger adapters.",
    variants: (c) => ["full FT", `LoRA r=${r4(c)}`, "LoRA r=1", `LoRA-XS r=${c.xsTinyRank}`, "LoLDU (all r)"],
  },
};

export interface AdaptersPaperView {
  method: string;
  paper: string;
  claim: string;
  /** True when the records came from the full benchmark's cache. */
  fromFullBenchmark: boolean;
  cacheFile: string;
  result: ExperimentResult;
  figures: Array<{ name: string; spec: VegaLiteSpec }>;
}

const f = (x: number) => fmtMeasured(Number(x.toPrecision(4)));
const byId = (rows: Row[], id: string) => rows.find((r) => r.id === id);
const num = (r: Row | undefined, k: string) => (r ? (r[k] as number) : NaN);

/** First evaluated step at which a mean test-B loss curve reaches `target` (Infinity if never). */
function stepsTo(curves: Row[], id: string, target: number): number {
  const pts = curves.filter((p) => p.id === id).sort((a, b) => (a.step as number) - (b.step as number));
  const hit = pts.find((p) => (p.testLossB as number) <= target);
  return hit ? (hit.step as number) : Infinity;
}

function earlyChecks(rows: Row[], a: string, b: string, steps: number[], claim: string): Check {
  const ra = byId(rows, a), rb = byId(rows, b);
  const vals = steps.map((s) => [num(ra, `loss@${s}`), num(rb, `loss@${s}`)]);
  return check(claim, steps.map((s, i) => `@${s}: ${f(vals[i][0])} vs ${f(vals[i][1])}`).join(", "), `${a} < ${b} at every step`, vals.every(([x, y]) => x < y));
}

function accCheck(rows: Row[], a: string, b: string, claim: string, margin = 0): Check {
  const x = num(byId(rows, a), "accB"), y = num(byId(rows, b), "accB");
  return check(claim, `${f(x)} vs ${f(y)}`, margin ? `${a} ≥ ${b} − ${margin}` : `${a} ≥ ${b}`, x >= y - margin);
}

/** The method-specific checks. */
export function paperChecks(method: string, rows: Row[], curves: Row[], cfg: AdaptersCompareConfig): Check[] {
  const R = r4(cfg);
  const early = cfg.earlySteps.filter((s) => s <= cfg.steps && s >= 25);
  const es = early.length ? early : cfg.earlySteps.filter((s) => s <= cfg.steps);
  const L = `LoRA r=${R}`;
  switch (method) {
    case "pissa":
      return [earlyChecks(rows, `PiSSA r=${R}`, L, es, "PiSSA's test-B loss is below LoRA's at the early steps (faster convergence)"), accCheck(rows, `PiSSA r=${R}`, L, "PiSSA's final task-B accuracy ≥ LoRA's")];
    case "lora-ga": {
      const target = num(byId(rows, L), "lossB");
      const sGa = stepsTo(curves, `LoRA-GA r=${R}`, target);
      return [
        earlyChecks(rows, `LoRA-GA r=${R}`, L, es, "LoRA-GA's test-B loss is below LoRA's at the early steps"),
        check("LoRA-GA reaches LoRA's final test-B loss at least 2× sooner (paper: 2–4× faster)", `step ${sGa} vs ${cfg.steps}`, `≤ ${cfg.steps / 2}`, sGa <= cfg.steps / 2),
        accCheck(rows, `LoRA-GA r=${R}`, L, "LoRA-GA's final task-B accuracy ≥ LoRA's"),
      ];
    }
    case "lora-sb":
      return [
        accCheck(rows, `LoRA-SB r=${cfg.xsTinyRank}`, `LoRA-XS r=${cfg.xsTinyRank}`, `LoRA-SB beats LoRA-XS at the same rank r=${cfg.xsTinyRank} (tiny tier)`),
        accCheck(rows, `LoRA-SB r=${cfg.xsMidRank}`, `LoRA-XS r=${cfg.xsMidRank}`, `LoRA-SB beats LoRA-XS at the same rank r=${cfg.xsMidRank} (mid tier)`),
        accCheck(rows, `LoRA-SB r=${cfg.xsTinyRank}`, L, `LoRA-SB r=${cfg.xsTinyRank} (${num(byId(rows, `LoRA-SB r=${cfg.xsTinyRank}`), "params")} params) ≥ LoRA r=${R} (${num(byId(rows, L), "params")} params)`),
        earlyChecks(rows, `LoRA-SB r=${cfg.xsTinyRank}`, `LoRA-XS r=${cfg.xsTinyRank}`, es, "LoRA-SB's early test-B loss is below LoRA-XS's (its init is the first update)"),
      ];
    case "svfit": {
      const sv = byId(rows, "SVFit (all σ)");
      return [
        accCheck(rows, "SVFit (all σ)", L, `SVFit (${num(sv, "params")} params) ≥ LoRA r=${R} (${num(byId(rows, L), "params")} params)`),
        accCheck(rows, "SVFit (all σ)", `LoRA-XS r=${cfg.xsTinyRank}`, "SVFit competitive with LoRA-XS at equal parameters", 0.02),
        check("SVFit's update creates no intruder dimensions (ε = 0.5): it keeps W0's singular vectors", num(sv, "intruders@0.5"), "= 0", num(sv, "intruders@0.5") === 0),
      ];
    }
    case "sorsa": {
      const s = byId(rows, `SORSA r=${R}`), s0 = byId(rows, `SORSA r=${R} γ=0`), p = byId(rows, `PiSSA r=${R}`);
      const out: Check[] = [];
      if (s0) out.push(check("The orthonormal regulariser keeps U_p, V_p closer to orthonormal than training without it (final L_o)", `${f(num(s, "orthoLoss"))} vs γ=0: ${f(num(s0, "orthoLoss"))}`, "γ > 0 smaller", num(s, "orthoLoss") < num(s0, "orthoLoss")));
      out.push(check("SORSA forgets task A no more than PiSSA (the regulariser is meant to preserve the pretrained frame)", `${f(num(s, "forgetting"))} vs ${f(num(p, "forgetting"))}`, "SORSA ≤ PiSSA", num(s, "forgetting") <= num(p, "forgetting")));
      out.push(earlyChecks(rows, `SORSA r=${R}`, `PiSSA r=${R}`, es, "SORSA's early test-B loss is below PiSSA's"));
      out.push(accCheck(rows, `SORSA r=${R}`, L, "SORSA's final task-B accuracy ≥ LoRA's"));
      return out;
    }
    case "eva": {
      const e = byId(rows, `EVA r=${R}`), l = byId(rows, L);
      return [
        check("EVA's initial A captures more of the first layer's input variance than LoRA's random A", `${f(num(e, "capturedVarianceW1"))} vs ${f(num(l, "capturedVarianceW1"))}`, "EVA > LoRA", num(e, "capturedVarianceW1") > num(l, "capturedVarianceW1")),
        earlyChecks(rows, `EVA r=${R}`, L, es, "EVA's early test-B loss is below LoRA's"),
        accCheck(rows, `EVA r=${R}`, L, "EVA's final task-B accuracy ≥ LoRA's"),
      ];
    }
    case "loldu": {
      const d = byId(rows, "LoLDU (all r)");
      return [
        check("LoLDU trains r + 1 parameters per layer", num(d, "params"), `= ${2 * (Math.min(...cfg.hidden) + 1)} (two layers, r = ${Math.min(...cfg.hidden)})`, num(d, "params") === 2 * (Math.min(...cfg.hidden) + 1)),
        accCheck(rows, "LoLDU (all r)", `LoRA-XS r=${cfg.xsTinyRank}`, "LoLDU competitive with LoRA-XS at the tiny tier", 0.02),
        accCheck(rows, "LoLDU (all r)", L, `LoLDU (${num(d, "params")} params) competitive with LoRA r=${R} (${num(byId(rows, L), "params")} params)`, 0.02),
      ];
    }
    default:
      return fail("method", `no paper view for "${method}" (known: ${Object.keys(ADAPTER_PAPERS).join(", ")})`);
  }
}

function figuresFor(method: string, rows: Row[], series: Record<string, Row[]>, records: RunRecord[]): Array<{ name: string; spec: VegaLiteSpec }> {
  const figs: Array<{ name: string; spec: VegaLiteSpec }> = [
    { name: `${method}-loss`, spec: lineChart(series.meanCurves, { x: "step", y: "testLossB", color: "id", logY: true, title: "Task-B test loss during fine-tuning (mean over seeds)", xTitle: "step", yTitle: "test loss (task B)" }) },
  ];
  const bars = rows.map((r) => ({ id: r.id as string, accB: r.accB as number, sd: r.accBsd as number, forgetting: r.forgetting as number }));
  if (method === "svfit" || method === "loldu" || method === "lora-sb") {
    figs.push({ name: `${method}-acc-vs-params`, spec: scatterChart(series.accVsParams, { x: "params", y: "accB", color: "id", logX: true, title: "Final task-B accuracy against trainable parameters", xTitle: "trainable parameters (log)", yTitle: "task-B accuracy" }) });
  } else if (method === "sorsa") {
    figs.push({ name: "sorsa-forgetting", spec: barChart(bars, { x: "id", y: "forgetting", title: "Forgetting of task A (base acc − acc after fine-tuning, head A)", xTitle: "method", yTitle: "task-A accuracy lost" }) });
  } else if (method === "eva") {
    const e = records.filter((r) => r.method === "eva");
    const ranks = e.length ? String(e[0].extra.evaRanks).split("/").map((x, l) => ({ layer: `W${l + 1}`, rank: Number(x) })) : [];
    figs.push({ name: "eva-ranks", spec: barChart(ranks, { x: "layer", y: "rank", title: "EVA's redistributed ranks (budget = r × layers, cap ρ·r)", xTitle: "layer", yTitle: "rank" }) });
  } else {
    figs.push({ name: `${method}-accuracy`, spec: barChart(bars, { x: "id", y: "accB", error: "sd", title: "Final task-B accuracy (mean ± sd over seeds)", xTitle: "method", yTitle: "task-B accuracy" }) });
  }
  return figs;
}

/** The per-paper view: cached full benchmark if present, else the view's own variants only. */
export async function adaptersPaper(method: string, cfg: AdaptersCompareConfig, opts: RunOptions = {}): Promise<AdaptersPaperView> {
  const info = ADAPTER_PAPERS[method];
  if (!info) fail("method", `no paper view for "${method}" (known: ${Object.keys(ADAPTER_PAPERS).join(", ")})`);
  const wanted = info.variants(cfg);
  const fullCfg: AdaptersCompareConfig = { ...cfg, methods: [] };
  let data: AdaptersCache | null = readAdaptersCache(fullCfg);
  const fromFull = !!data;
  let file = cachePath(fullCfg);
  if (!data) {
    const sub: AdaptersCompareConfig = { ...cfg, methods: wanted.filter((id) => benchmarkVariants({ ...cfg, methods: [] }).some((v) => v.id === id)) };
    file = cachePath(sub);
    data = readAdaptersCache(sub) ?? (await runAdaptersBenchmark(sub, opts));
  }
  const records = data.records.filter((r) => wanted.includes(r.id));
  const rows = aggregate(records, cfg, data.baseAccA);
  const series = seriesOf(records, rows, cfg.epsilons);
  const checks = paperChecks(method, rows, series.meanCurves, cfg);
  const summary: Record<string, number | string> = { baseAccA: data.baseAccA, source: fromFull ? "full benchmark cache" : "this view's own runs" };
  for (const r of rows) summary[`${r.id}: params / accB / forgetting / loss@${cfg.earlySteps.filter((s) => s <= cfg.steps).slice(-1)[0]}`] = `${r.params} / ${f(r.accB as number)} / ${f(r.forgetting as number)} / ${f(r[`loss@${cfg.earlySteps.filter((s) => s <= cfg.steps).slice(-1)[0]}`] as number)}`;
  return { method, paper: info.paper, claim: info.claim, fromFullBenchmark: fromFull, cacheFile: file, result: { series, checks, summary }, figures: figuresFor(method, rows, series, records) };
}
