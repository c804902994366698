// Shuttleworth et al. (2024), registered: full fine-tuning vs LoRA of the shared Fashion-MNIST
// base on rotated images, compared at matched task-B accuracy over protocol seeds; intruder
// dimensions, forgetting, the rank trend and the scaling intervention. See README.md.
import { tInterval } from "../../metrics/intervals";
import { below, evidence } from "../checks";
import { definePaper } from "../registry";
import { pairedCheck } from "../protocol";
import { loraFigures } from "./figures";
import { base, FtPoint, LoraSeedRun, LoraVsFullFtConfig, LoraVsFullFtResult, runLoraSeed } from "./run";

export type { LoraVsFullFtConfig, LoraVsFullFtResult } from "./run";

/** Per-seed picks: the matched full-FT and LoRA r₀ points, LoRA r₀ at its best lr, and the highest α = 2r rank. */
export function picks(x: LoraSeedRun, cfg: LoraVsFullFtConfig) {
  const rMax = cfg.ranks[cfg.ranks.length - 1];
  return {
    full: x.points[x.matched.full],
    lora: x.points[x.matched.lora1],
    lora1Best: x.points[x.lora1Best],
    high: x.points.find((p) => p.method === `LoRA r=${rMax} α=${2 * rMax}`)!,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (v: number) => Number(v.toPrecision(4));
const lrText = (v: number) => v.toExponential(1);

export const loraVsFullFt = definePaper<LoraVsFullFtConfig, LoraVsFullFtResult, LoraSeedRun>({
  id: "lora-vs-full-ft",
  citation: {
    authors: ["Reece Shuttleworth", "Jacob Andreas", "Antonio Torralba", "Pratyusha Sharma"],
    title: "LoRA vs Full Fine-tuning: An Illusion of Equivalence",
    venue: "NeurIPS",
    year: 2025,
    arxiv: "2410.21228",
    code: "https://github.com/reeceshuttle/intruder-dimensions",
  },
  claim:
    "LoRA fine-tuning creates intruder dimensions (top singular vectors nearly orthogonal to the base's) that full fine-tuning does not, and at matched target-task accuracy forgets the pre-training task less; higher-rank LoRA with α = 2r behaves more like full fine-tuning.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      finetuneExamples: 600,
      finetuneEpochs: 1,
      testExamples: 500,
      fullLrs: [1e-4],
      loraLrs: [1e-3],
      ranks: [1, 8],
      fixedAlphaRank: 8,
      fixedAlpha: 2,
      epsilons: [0.3, 0.5, 0.7, 0.9],
    },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4],
      finetuneExamples: 10000,
      finetuneEpochs: 3,
      testExamples: 5000,
      fullLrs: [1e-5, 3e-5, 1e-4, 3e-4],
      loraLrs: [1e-4, 3e-4, 1e-3, 3e-3],
      ranks: [1, 4, 8, 16, 64],
    },
  },
  runSeed: runLoraSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const ps = r.runs.map((x) => picks(x, cfg));
    const at = (p: FtPoint, eps: number) => p.intruders[cfg.epsilons.indexOf(eps)];
    const e = cfg.scaleEpsilon;
    const fullAt05 = tInterval(ps.map((p) => at(p.full, 0.5)));
    const rMax = cfg.ranks[cfg.ranks.length - 1];
    const r0 = cfg.ranks[0];
    return [
      evidence(
        `Full fine-tuning (at matched task-B accuracy) has no intruder dimensions at ε = 0.5 (both hidden matrices, k = ${cfg.k})`,
        fullAt05,
        "95% interval of the count below 1",
        below(fullAt05, 1),
        { figure: "lora-vs-full-ft-intruders" },
      ),
      pairedCheck(
        `LoRA r=${r0} has more intruders than full FT at ε = ${e}, both at matched task-B accuracy: count(LoRA) − count(full)`,
        ps.map((p) => at(p.lora, e)),
        ps.map((p) => at(p.full, e)),
        "greater",
        { figure: "lora-vs-full-ft-intruders", what: "intruders" },
      ),
      pairedCheck(
        `At matched validation task-B accuracy, LoRA r=${r0} forgets task A less than full FT: forgetting(LoRA) − forgetting(full) on test`,
        ps.map((p) => p.lora.forgetting),
        ps.map((p) => p.full.forgetting),
        "less",
        { figure: "lora-vs-full-ft-frontier", what: "task-A accuracy lost" },
      ),
      pairedCheck(
        `Higher rank behaves more like full FT: LoRA r=${rMax} (α = ${2 * rMax}) has fewer intruders at ε = ${e} than r=${r0}, each at the r^(−1/3)-scaled learning rate: count(r=${r0}) − count(r=${rMax})`,
        ps.map((p) => at(p.lora1Best, e)),
        ps.map((p) => at(p.high, e)),
        "greater",
        { figure: "lora-vs-full-ft-intruders", what: "intruders" },
      ),
    ];
  },
  figures: loraFigures,
  summary(r, cfg) {
    const ps = r.runs.map((x) => picks(x, cfg));
    const runs = r.runs;
    const out: Record<string, number | string> = {
      seeds: runs.length,
      baseAccA: runs[0].baseAccA,
      baseFromCheckpoint: runs.every((x) => x.cached) ? "yes" : "no (trained)",
      "selected full FT lr (per seed)": runs.map((x) => lrText(x.selections.full.best)).join(", "),
      "selected LoRA r=1 lr (per seed)": runs.map((x) => lrText(x.selections.lora1.best)).join(", "),
      "grid extended (seeds)": runs.filter((x) => x.selections.full.extended || x.selections.lora1.extended).length,
      "matched validation task-B accuracy (mean)": fmt(mean(runs.map((x) => x.matched.target))),
      "matched full FT lr (per seed)": ps.map((p) => lrText(p.full.lr)).join(", "),
      "matched LoRA lr (per seed)": ps.map((p) => lrText(p.lora.lr)).join(", "),
    };
    const describe = (name: string, pts: FtPoint[]) => {
      out[`${name}: accB`] = fmt(mean(pts.map((p) => p.accB)));
      out[`${name}: accA`] = fmt(mean(pts.map((p) => p.accA)));
      out[`${name}: forgetting`] = fmt(mean(pts.map((p) => p.forgetting)));
      for (const eps of [0.5, 0.6, 0.7, 0.8].filter((x) => cfg.epsilons.includes(x)))
        out[`${name}: intruders ε=${eps}`] = fmt(mean(pts.map((p) => p.intruders[cfg.epsilons.indexOf(eps)])));
      out[`${name}: ‖ΔW1‖/‖W1‖`] = fmt(mean(pts.map((p) => p.relChangeW1)));
      out[`${name}: effective rank of ΔW1`] = fmt(mean(pts.map((p) => p.effRankDeltaW1)));
    };
    describe(
      "matched full FT",
      ps.map((p) => p.full),
    );
    describe(
      `matched LoRA r=${cfg.ranks[0]}`,
      ps.map((p) => p.lora),
    );
    describe(
      `LoRA r=${cfg.ranks[0]} at its best lr`,
      ps.map((p) => p.lora1Best),
    );
    const rankMethods = [...new Set(runs[0].points.filter((p) => p.group === "rank").map((p) => p.method))];
    for (const m of rankMethods)
      describe(
        m,
        runs.map((x) => x.points.find((p) => p.method === m)!),
      );
    for (const lambda of cfg.scaleLambdas) {
      for (const m of [...new Set(runs[0].scaling.map((s) => s.method as string))]) {
        const rows = runs.flatMap((x) => x.scaling.filter((s) => s.method === m && s.lambda === lambda));
        out[`${m}: λ=${lambda} accA`] = fmt(mean(rows.map((s) => s.accA as number)));
        out[`${m}: λ=${lambda} accB`] = fmt(mean(rows.map((s) => s.accB as number)));
      }
    }
    return out;
  },
});
