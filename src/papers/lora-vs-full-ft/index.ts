// Shuttleworth et al. (2024), registered: full fine-tuning vs LoRA of the shared Fashion-MNIST
// base on rotated images; intruder dimensions, forgetting and the scaling intervention. One
// seed, as in the original protocol: every comparative check says so.
import { evidence } from "../checks";
import { definePaper } from "../registry";
import { loraFigures } from "./figures";
import { base, LoraVsFullFtConfig, LoraVsFullFtResult, Row, runLoraVsFullFt } from "./run";

export type { LoraVsFullFtConfig, LoraVsFullFtResult } from "./run";

const n = (r: Row, key: string) => r[key] as number;
const CMP_EPS = ["06", "07", "08"];

function picks(r: LoraVsFullFtResult, cfg: LoraVsFullFtConfig) {
  const full = r.results[0];
  const lora1 = r.results.find((x) => x.method === `LoRA r=${cfg.ranks[0]} α=${2 * cfg.ranks[0]}`) ?? r.results[1];
  return { full, lora1 };
}

export const loraVsFullFt = definePaper<LoraVsFullFtConfig, LoraVsFullFtResult>({
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
    "LoRA fine-tuning creates intruder dimensions (top singular vectors nearly orthogonal to the base's) that full fine-tuning does not, and forgets the pre-training task less.",
  presets: {
    smoke: { ...base, finetuneExamples: 1000, finetuneEpochs: 1, testExamples: 500, epsilons: [0.3, 0.5, 0.7, 0.9] },
    default: base,
    full: {
      ...base,
      pretrainExamples: 20000,
      finetuneExamples: 20000,
      finetuneEpochs: 5,
      testExamples: 5000,
      ranks: [1, 4, 8, 16, 64],
    },
  },
  run: runLoraVsFullFt,
  checks(r, cfg) {
    const { full, lora1 } = picks(r, cfg);
    const geq = CMP_EPS.every((e) => n(lora1, `intrudersAt${e}`) >= n(full, `intrudersAt${e}`));
    const gt = CMP_EPS.some((e) => n(lora1, `intrudersAt${e}`) > n(full, `intrudersAt${e}`));
    return [
      evidence(
        `Full fine-tuning has no intruder dimensions at ε = 0.5 (summed over both hidden matrices, k = ${cfg.k}; 1 seed)`,
        n(full, "intrudersAt05"),
        "= 0",
        n(full, "intrudersAt05") === 0,
        { figure: "lora-vs-full-ft-intruders" },
      ),
      evidence(
        `${lora1.method} has at least as many intruders as full FT at ε ∈ {0.6, 0.7, 0.8}, strictly more at one (1 seed)`,
        CMP_EPS.map((e) => `${n(lora1, `intrudersAt${e}`)} vs ${n(full, `intrudersAt${e}`)}`).join(", "),
        "LoRA ≥ full at each ε, > at one",
        geq && gt,
        { figure: "lora-vs-full-ft-intruders" },
      ),
      evidence(
        `${lora1.method} forgets task A less than full FT (task-A accuracy through head A; 1 seed)`,
        `${n(lora1, "accA").toFixed(3)} vs ${n(full, "accA").toFixed(3)}`,
        "LoRA > full FT",
        n(lora1, "accA") > n(full, "accA"),
        { figure: "lora-vs-full-ft-forgetting" },
      ),
    ];
  },
  figures: loraFigures,
  summary(r, cfg) {
    const out: Record<string, number | string> = {
      seed: cfg.seeds[0],
      baseAccA: r.baseAccA,
      baseFromCheckpoint: r.cached ? "yes" : "no (trained)",
    };
    for (const x of r.results) {
      out[`${x.method}: accA`] = n(x, "accA");
      out[`${x.method}: accB`] = n(x, "accB");
      out[`${x.method}: forgetting`] = Number(n(x, "forgetting").toFixed(4));
      for (const e of ["05", "06", "07", "08"]) out[`${x.method}: intruders ε=0.${e[1]}`] = n(x, `intrudersAt${e}`);
      out[`${x.method}: ‖ΔW1‖/‖W1‖`] = Number(n(x, "relChangeW1").toFixed(3));
      out[`${x.method}: effective rank of ΔW1`] = Number(n(x, "effRankDeltaW1").toFixed(2));
    }
    for (const s of r.scaling) {
      out[`${s.method}: λ=${s.lambda} accA`] = Number((s.accA as number).toFixed(3));
      out[`${s.method}: λ=${s.lambda} accB`] = Number((s.accB as number).toFixed(3));
    }
    return out;
  },
});
