// Data Diet checks and summary: every comparison is a paired difference over the protocol
// seeds (each seed: its own data sample, scores, validation selection and retrainings).
import { Interval, pairedDifference, tInterval } from "../../metrics/intervals";
import { Check } from "../types";
import { above, evidence, sanity } from "../checks";
import { DataDietConfig, DataDietResult, DataDietSeedRun } from "./run";

/** The interval lies at or above t (one seed: its value does). */
const atLeast = (iv: Interval, t: number) => (iv.n < 2 ? iv.mean >= t : iv.lo >= t);
/** The interval lies at or below t (one seed: its value does). */
const atMost = (iv: Interval, t: number) => (iv.n < 2 ? iv.mean <= t : iv.hi <= t);

/** Per-seed headline values (keep = headlineKeep). */
export function headline(r: DataDietSeedRun, cfg: DataDietConfig) {
  const at = (m: string) => r.pruning.find((p) => p.method === m && p.keep === cfg.headlineKeep)!.acc;
  const aur = (s: string) => r.auroc.find((a) => a.score === s)!.auroc;
  const offsets = r.noisy.filter((n) => n.offset !== null).map((n) => n.acc);
  return {
    el2nHard: at("EL2N"),
    random: at("random"),
    grandEarly: at("GraNd"),
    grandInit: at("GraNd@init"),
    forgetting: at("forgetting"),
    aurocEl2n: aur("EL2N"),
    aurocGrandEarly: aur("GraNd"),
    aurocGrandInit: aur("GraNd@init"),
    aurocForgetting: aur("forgetting"),
    aurocInputNorm: aur("input norm"),
    noisyAll: r.noisy.find((n) => n.subset === "all data")!.acc,
    noisyEl2nHard: r.noisy.find((n) => n.subset === "EL2N-hard")!.acc,
    noisyRandom: r.noisy.find((n) => n.subset === "random")!.acc,
    bestOffset: Math.max(...offsets),
  };
}

export function dataDietChecks(res: DataDietResult, cfg: DataDietConfig): Check[] {
  const runs = res.runs;
  const n = runs.length;
  const one = n === 1 ? " (1 seed)" : "";
  const h = runs.map((r) => headline(r, cfg));
  const col = <K extends keyof ReturnType<typeof headline>>(k: K) => h.map((x) => x[k]);
  const hk = cfg.headlineKeep;
  const probeErr = Math.max(...runs.map((r) => r.grandProbeError));
  const hardVsRandom = pairedDifference(col("el2nHard"), col("random"));
  const hardVsFull = pairedDifference(
    col("el2nHard"),
    runs.map((r) => r.fullAcc),
  );
  const initVsRandom = pairedDifference(col("grandInit"), col("random"));
  const rho = tInterval(runs.map((r) => r.spearmanGrandInitNorm));
  const aurEl2n = tInterval(col("aurocEl2n"));
  const offsetGain = pairedDifference(col("bestOffset"), col("noisyEl2nHard"));
  const offsetVsRandom = pairedDifference(col("bestOffset"), col("noisyRandom"));
  const checks: Check[] = [
    sanity(
      "GraNd closed form equals per-example autograd (8 real examples, init MLP; max over seeds)",
      probeErr,
      "max relative error < 1e-3",
      probeErr < 1e-3,
      { seeds: n },
    ),
    evidence(
      `Clean: keeping the highest-EL2N ${hk} of the data is at least as good as a random ${hk}: accuracy(EL2N-hard) − accuracy(random)${one}`,
      hardVsRandom,
      n < 2 ? "≥ 0" : "95% interval of the paired difference ≥ 0",
      atLeast(hardVsRandom, 0),
      { figure: "data-diet-pruning" },
    ),
    evidence(
      `Clean: EL2N-hard at keep ${hk} within 0.02 of the full data: accuracy(EL2N-hard) − accuracy(all)${one}`,
      hardVsFull,
      n < 2 ? "≥ −0.02" : "95% interval of the paired difference ≥ −0.02",
      atLeast(hardVsFull, -0.02),
      { figure: "data-diet-pruning" },
    ),
    evidence(
      `Clean: GraNd at init is no better than random pruning (Kirsch 2023): accuracy(GraNd@init-hard) − accuracy(random) at keep ${hk}${one}`,
      initVsRandom,
      n < 2 ? "≤ 0.01" : "95% interval of the paired difference ≤ 0.01",
      atMost(initVsRandom, 0.01),
      { figure: "data-diet-pruning" },
    ),
    evidence(
      "GraNd at init tracks the input norm (Kirsch 2023): Spearman(GraNd@init, ‖x‖₂) over the training examples",
      rho,
      n < 2 ? "≥ 0.9" : "95% interval ≥ 0.9",
      atLeast(rho, 0.9),
      { figure: "data-diet-grand-init-vs-norm" },
    ),
    evidence(
      `Noisy (${cfg.noise} of labels permuted): EL2N finds the flipped labels (AUROC)`,
      aurEl2n,
      n < 2 ? "≥ 0.9" : "95% interval ≥ 0.9",
      atLeast(aurEl2n, 0.9),
      { figure: "data-diet-auroc" },
    ),
    evidence(
      `Noisy: skipping the top scores (best offset) beats EL2N-hard by more than 0.2: accuracy(best offset) − accuracy(EL2N-hard)${one}`,
      offsetGain,
      n < 2 ? "> 0.2" : "95% interval of the paired difference > 0.2",
      above(offsetGain, 0.2),
      { figure: "data-diet-noisy" },
    ),
    evidence(
      `Noisy: skipping the top scores beats random pruning at the same keep fraction ${hk}: accuracy(best offset) − accuracy(random)${one}`,
      offsetVsRandom,
      n < 2 ? "> 0" : "95% interval of the paired difference above 0",
      above(offsetVsRandom, 0),
      { figure: "data-diet-noisy" },
    ),
  ];
  const conv = runs.map((r) => r.conv).filter((c): c is NonNullable<typeof c> => c !== null);
  if (conv.length === n && cfg.conv) {
    const kp = cfg.conv.keep;
    const cHard = pairedDifference(
      conv.map((c) => c.el2nHard),
      conv.map((c) => c.random),
    );
    const cInit = pairedDifference(
      conv.map((c) => c.grandInit),
      conv.map((c) => c.random),
    );
    checks.push(
      evidence(
        `Conv net, clean: EL2N-hard at keep ${kp} is at least as good as random pruning: accuracy(EL2N-hard) − accuracy(random)${one}`,
        cHard,
        n < 2 ? "≥ 0" : "95% interval of the paired difference ≥ 0",
        atLeast(cHard, 0),
        { figure: "data-diet-conv" },
      ),
      evidence(
        `Conv net, clean: GraNd at init is no better than random pruning (Kirsch 2023): accuracy(GraNd@init-hard) − accuracy(random)${one}`,
        cInit,
        n < 2 ? "≤ 0.01" : "95% interval of the paired difference ≤ 0.01",
        atMost(cInit, 0.01),
        { figure: "data-diet-conv" },
      ),
    );
  }
  return checks;
}

/** Means over seeds (one seed: that seed's values), named for the reading. */
export function dataDietSummary(res: DataDietResult, cfg: DataDietConfig): Record<string, number | string> {
  const runs = res.runs;
  const h = runs.map((r) => headline(r, cfg));
  const m = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const avg = <K extends keyof ReturnType<typeof headline>>(k: K) => m(h.map((x) => x[k]));
  const byKeep: Record<string, number> = {};
  for (const keep of cfg.keeps) {
    for (const method of ["EL2N", "GraNd", "GraNd@init", "forgetting", "random"]) {
      const rows = runs.map((r) => r.pruning.find((p) => p.method === method && p.keep === keep));
      if (rows.every((x) => x)) byKeep[`${method} keep ${keep}`] = m(rows.map((x) => x!.acc));
    }
  }
  // The learning rate each compared subset selected on validation, per seed.
  const lrs: Record<string, string> = {};
  for (const name of Object.keys(runs[0].selections))
    lrs[`selected lr: ${name} (per seed)`] = runs.map((r) => r.selections[name].best.toExponential(1)).join(", ");
  const offsets: Record<string, number> = {};
  for (const off of cfg.offsets)
    offsets[`noisy: EL2N offset ${off}`] = m(runs.map((r) => r.noisy.find((x) => x.offset === off)!.acc));
  const out: Record<string, number | string> = {
    seeds: runs.length,
    trainExamples: runs[0].trainExamples,
    testExamples: runs[0].testExamples,
    k: cfg.k,
    "retraining steps (every subset)": runs[0].steps,
    "score step": runs[0].scoreStep,
    "retraining seeds": cfg.retrainSeeds,
    ...lrs,
    "grids extended (seeds × subsets)": runs.reduce(
      (a, r) => a + Object.values(r.selections).filter((x) => x.extended).length,
      0,
    ),
    "all data": m(runs.map((r) => r.fullAcc)),
    "EL2N-hard": avg("el2nHard"),
    "EL2N-easy": m(runs.map((r) => r.el2nEasy)),
    random: avg("random"),
    "GraNd early": avg("grandEarly"),
    "GraNd@init": avg("grandInit"),
    forgetting: avg("forgetting"),
    ...byKeep,
    "Spearman(GraNd@init, input norm)": m(runs.map((r) => r.spearmanGrandInitNorm)),
    "flipped labels": m(runs.map((r) => r.flippedLabels)),
    "precision@|flipped| of EL2N": m(runs.map((r) => r.precisionAtNoisy)),
    "AUROC EL2N": avg("aurocEl2n"),
    "AUROC GraNd early": avg("aurocGrandEarly"),
    "AUROC GraNd@init": avg("aurocGrandInit"),
    "AUROC forgetting": avg("aurocForgetting"),
    "AUROC input norm": avg("aurocInputNorm"),
    "noisy: all data": avg("noisyAll"),
    "noisy: EL2N-hard": avg("noisyEl2nHard"),
    ...offsets,
    "noisy: random": avg("noisyRandom"),
    "MLP part seconds": m(runs.map((r) => r.seconds - (r.conv?.seconds ?? 0))),
  };
  const conv = runs.map((r) => r.conv).filter((c): c is NonNullable<typeof c> => c !== null);
  if (conv.length) {
    Object.assign(out, {
      "conv: trainExamples": conv[0].trainExamples,
      "conv: testExamples": conv[0].testExamples,
      "conv: k": cfg.conv?.k ?? NaN,
      "conv: GraNd examples": conv[0].grandExamples,
      "conv: all data": m(conv.map((c) => c.fullAcc)),
      "conv: EL2N-hard": m(conv.map((c) => c.el2nHard)),
      "conv: random": m(conv.map((c) => c.random)),
      "conv: GraNd@init": m(conv.map((c) => c.grandInit)),
      "conv: Spearman(GraNd@init, input norm)": m(conv.map((c) => c.spearmanGrandInitNorm)),
      "conv part seconds": m(conv.map((c) => c.seconds)),
    });
  }
  return out;
}
