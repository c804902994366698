// Boopathy et al. (IJCAI'24): inductive bias = −ln P(test error ≤ ε) for hypotheses drawn from
// those that fit the training data, estimated from sampled errors by a fitted non-central χ²
// tail; higher-dimensional tasks need more of it. Kernel (RBF GP) hypothesis space only.
import { pairedDifference, tInterval } from "../../metrics/intervals";
import { lineChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { InductiveBiasConfig, InductiveBiasResult, InductiveBiasSeedRun, runInductiveBiasSeed } from "./run";

const base: InductiveBiasConfig = {
  seeds: [0, 1, 2, 3],
  pcaPool: 2000,
  train: 100,
  test: 100,
  dims: [4, 8, 16, 64],
  samples: 4000,
  epsilon: 0.05,
  nugget: 1e-2,
};

const natsAt = (run: InductiveBiasSeedRun, d: number) =>
  (run.dims.find((x) => x.d === d) as InductiveBiasSeedRun["dims"][0]).nats;
const increasing = (run: InductiveBiasSeedRun) => run.dims.every((x, i) => i === 0 || x.nats > run.dims[i - 1].nats);

export const inductiveBiasPaper = definePaper<InductiveBiasConfig, InductiveBiasResult, InductiveBiasSeedRun>({
  id: "inductive-bias",
  citation: {
    authors: ["Akhilan Boopathy", "William Yue", "Jaedong Hwang", "Abhiram Iyer", "Ila Fiete"],
    title: "Towards Exact Computation of Inductive Bias",
    venue: "IJCAI",
    year: 2024,
    arxiv: "2406.15941",
    code: "https://github.com/FieteLab/Exact-Inductive-Bias",
  },
  claim:
    "The inductive bias a task needs, −ln P(test error ≤ ε) over hypotheses that fit the training data, can be estimated by fitting the sampled test errors with a non-central χ² and extrapolating its tail; tasks of higher input dimension need more of it.",
  presets: {
    smoke: { ...base, seeds: [0], pcaPool: 300, train: 30, test: 30, dims: [4, 16], samples: 200 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4, 5, 6, 7], samples: 10000 },
  },
  runSeed: runInductiveBiasSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const lo = cfg.dims[0];
    const hi = cfg.dims[cfg.dims.length - 1];
    const gap = pairedDifference(
      r.runs.map((x) => natsAt(x, hi)),
      r.runs.map((x) => natsAt(x, lo)),
    );
    const mono = r.runs.filter(increasing).length;
    const needed = Math.ceil((3 / 4) * r.runs.length);
    const ks = Math.max(...r.runs.flatMap((x) => x.dims.map((d) => d.ks)));
    return [
      evidence(
        `The bias rises with d: seeds whose bias is strictly increasing over d = ${cfg.dims.join(", ")}`,
        `${mono} of ${r.runs.length}`,
        `at least ${needed} of ${r.runs.length} (the card's 3 of 4)`,
        mono >= needed,
        { seeds: r.runs.length, figure: "inductive-bias-vs-dimension" },
      ),
      evidence(
        `More bias at d = ${hi} than at d = ${lo}: paired difference of bias (nats)`,
        gap,
        "95% interval above 0",
        above(gap, 0),
        { figure: "inductive-bias-vs-dimension" },
      ),
      sanity(
        "The scaled non-central χ² fits the sampled errors: largest KS statistic over seeds and d",
        ks,
        "below 0.05",
        ks < 0.05,
        { seeds: r.runs.length, figure: "inductive-bias-error-samples" },
      ),
    ];
  },
  figures(r, cfg) {
    const rows = r.runs.flatMap((x) => x.dims.map((d) => ({ d: d.d, seed: `seed ${x.seed}`, bits: d.bits })));
    const err = cfg.dims.flatMap((d) => [
      {
        d,
        series: "mean sampled test MSE",
        mse: tInterval(r.runs.map((x) => (x.dims.find((y) => y.d === d) as InductiveBiasSeedRun["dims"][0]).meanError))
          .mean,
      },
      {
        d,
        series: "posterior-mean test MSE",
        mse: tInterval(
          r.runs.map((x) => (x.dims.find((y) => y.d === d) as InductiveBiasSeedRun["dims"][0]).meanPredictorError),
        ).mean,
      },
      { d, series: "ε", mse: cfg.epsilon },
    ]);
    return [
      {
        name: "inductive-bias-vs-dimension",
        spec: lineChart(rows, {
          x: "d",
          y: "bits",
          color: "seed",
          logX: true,
          title: `Inductive bias −log₂ P(test MSE ≤ ${cfg.epsilon}) of the RBF kernel class vs PCA dimension`,
          xTitle: "PCA dimension d",
          yTitle: "inductive bias (bits)",
        }),
      },
      {
        name: "inductive-bias-error-samples",
        spec: lineChart(err, {
          x: "d",
          y: "mse",
          color: "series",
          logX: true,
          title: "Test MSE of sampled hypotheses, of the kernel interpolant, and the target ε (mean over seeds)",
          xTitle: "PCA dimension d",
          yTitle: "test MSE per entry (one-hot targets)",
        }),
      },
    ];
  },
  summary(r, cfg) {
    const out: Record<string, number | string> = { seeds: r.runs.length };
    for (const d of cfg.dims) {
      const at = r.runs.map((x) => x.dims.find((y) => y.d === d) as InductiveBiasSeedRun["dims"][0]);
      out[`bias at d=${d} (bits, mean)`] = tInterval(at.map((x) => x.bits)).mean;
      out[`bias at d=${d} (nats, mean)`] = tInterval(at.map((x) => x.nats)).mean;
      out[`mean sampled test MSE at d=${d}`] = tInterval(at.map((x) => x.meanError)).mean;
      out[`lowest sampled test MSE at d=${d}`] = Math.min(...at.map((x) => x.minError));
      out[`posterior-mean test MSE at d=${d}`] = tInterval(at.map((x) => x.meanPredictorError)).mean;
    }
    out["every sampled error above epsilon (estimates are tail extrapolations)"] = r.runs.every((x) =>
      x.dims.every((d) => d.minError > cfg.epsilon),
    )
      ? "yes"
      : "no";
    out["bias per seed, nats (d ascending)"] = r.runs
      .map((x) => x.dims.map((d) => d.nats.toFixed(1)).join(" / "))
      .join("; ");
    return out;
  },
});
