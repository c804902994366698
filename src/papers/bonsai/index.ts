// Zhang, Lopez-Paz & Bottou, "Rich Feature Construction for the Optimization-Generalization
// Dilemma" (ICML'22): RFC ("Bonsai") initialisation before an OoD penalty on ColoredMNIST.
import { tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { BonsaiConfig, BonsaiResult, Method, METHODS, runBonsai } from "./run";

const base: BonsaiConfig = {
  seeds: [0, 1, 2],
  perEnv: 2000,
  testExamples: 2000,
  trainFlips: [0.1, 0.2],
  testFlip: 0.9,
  labelNoise: 0.25,
  hidden: 64,
  lr: 5e-4,
  l2: 0.0011,
  penalty: 1e4,
  ermSteps: 500,
  shortAnneal: 50,
  longAnneal: 400,
  irmSteps: 450,
  disc0Steps: 51,
  discSteps: 400,
  synthSteps: 400,
};

const acc = (r: BonsaiResult, m: Method) => r.seeds.map((s) => s.test[m]);

export const bonsai = definePaper<BonsaiConfig, BonsaiResult>({
  id: "bonsai",
  citation: {
    authors: ["Jianyu Zhang", "David Lopez-Paz", "Léon Bottou"],
    title: "Rich Feature Construction for the Optimization-Generalization Dilemma",
    venue: "ICML",
    year: 2022,
    arxiv: "2203.15516",
    code: "https://github.com/TjuJianyu/RFC",
  },
  claim:
    "OoD penalties such as IRMv1 depend on how long ERM pretrains the representation; starting them from a rich representation built by discovery (robust objectives on right/wrong groups) and synthesis episodes brings them near the oracle on ColoredMNIST.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      perEnv: 200,
      testExamples: 200,
      hidden: 16,
      ermSteps: 10,
      shortAnneal: 3,
      longAnneal: 6,
      irmSteps: 5,
      disc0Steps: 5,
      discSteps: 5,
      synthSteps: 5,
    },
    default: base,
    full: {
      ...base,
      seeds: [0, 1, 2, 3, 4],
      perEnv: 4000,
      hidden: 390,
      ermSteps: 1001,
      irmSteps: 1001,
      discSteps: 501,
      synthSteps: 501,
    },
  },
  run: runBonsai,
  checks(r) {
    const ermGap = r.seeds.map((s) => s.train.erm - s.test.erm);
    const gap = tInterval(ermGap);
    return [
      pairedCheck(
        "RFC + IRM beats ERM on the test environment (colour flipped 90%) by at least 20 points",
        acc(r, "rfc+irm"),
        acc(r, "erm"),
        "greater",
        { margin: 0.2, figure: "bonsai-accuracy", what: "test-env accuracy, RFC+IRM − ERM" },
      ),
      pairedCheck(
        "RFC + IRM beats IRM after a long ERM pretraining on the test environment",
        acc(r, "rfc+irm"),
        acc(r, "irm-long"),
        "greater",
        { figure: "bonsai-accuracy", what: "test-env accuracy, RFC+IRM − long-pretrain IRM" },
      ),
      sanity(
        "ERM takes the colour shortcut: its training accuracy exceeds its test-environment accuracy by over 0.3",
        gap,
        "95% interval of train − test accuracy above 0.3 (mean for one seed)",
        gap.n < 2 ? gap.mean > 0.3 : gap.lo > 0.3,
      ),
    ];
  },
  figures(r) {
    const rows = METHODS.flatMap((m) =>
      (["train", "test"] as const).map((k) => {
        const iv = tInterval(r.seeds.map((s) => s[k][m]));
        return {
          run: `${m} ${k === "test" ? "test env" : "train envs"}`,
          accuracy: iv.mean,
          ci: r.seeds.length > 1 ? (iv.hi - iv.lo) / 2 : 0,
        };
      }),
    );
    return [
      {
        name: "bonsai-accuracy",
        spec: barChart(rows, { x: "run", y: "accuracy", error: "ci", title: "ColoredMNIST accuracy, mean ± 95% CI" }),
      },
    ];
  },
  summary(r) {
    const out: Record<string, number | string> = { seeds: r.seeds.length };
    for (const m of METHODS) {
      out[`test-env accuracy ${m} (mean)`] = tInterval(acc(r, m)).mean;
      out[`train accuracy ${m} (mean)`] = tInterval(r.seeds.map((s) => s.train[m])).mean;
    }
    out["round 0 training accuracy (mean)"] = tInterval(r.seeds.map((s) => s.round0Acc)).mean;
    return out;
  },
});
