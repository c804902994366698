// Data Diet (Paul, Ganguli & Dziugaite, NeurIPS 2021) with Kirsch's reproduction caveat
// (arXiv 2303.14753), registered as a paper: presets naming their seeds, run → cached result,
// checks, figures and summary. See README.md for the toy setting and every pass rule.
import { definePaper } from "../registry";
import { dataDietChecks, dataDietSummary } from "./checks";
import { dataDietFigures } from "./figures";
import { DataDietConfig, DataDietResult, DataDietSeedRun, runDataDietSeedJob } from "./run";

const base: DataDietConfig = {
  seeds: [0, 1, 2, 3, 4], // five: "offset beats random" is within one standard deviation at three
  trainExamples: 5000,
  valExamples: 500,
  testExamples: 2000,
  hidden: 128,
  k: 3,
  scoreFraction: 0.1,
  forgetEpochs: 3,
  scoreLr: 1e-3,
  retrainEpochs: 8,
  retrainSeeds: 2,
  lrs: [3e-4, 1e-3, 3e-3],
  keeps: [0.3, 0.5, 0.7],
  headlineKeep: 0.5,
  noise: 0.2,
  offsets: [0.2],
  batchSize: 128,
  conv: {
    trainExamples: 3000,
    testExamples: 2000,
    k: 2,
    scoreEpoch: 2,
    grandExamples: 3000,
    retrainEpochs: 8,
    keep: 0.5,
    batchSize: 64,
    lr: 1e-3,
    seedOffset: 100,
  },
};

export const dataDiet = definePaper<DataDietConfig, DataDietResult, DataDietSeedRun>({
  id: "data-diet",
  citation: {
    authors: ["Mansheej Paul", "Surya Ganguli", "Gintare Karolina Dziugaite"],
    title: "Deep Learning on a Data Diet: Finding Important Examples Early in Training",
    venue: "NeurIPS",
    year: 2021,
    arxiv: "2107.07075",
    code: "https://github.com/mansheej/data_diet",
  },
  claim:
    "Examples with high EL2N early in training are the important ones: keeping them prunes much of the data at little cost, beating random pruning, while top scores under label noise are mostly mislabelled and should be skipped (and, per Kirsch 2023, GraNd at initialisation only tracks the input norm).",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      trainExamples: 600,
      valExamples: 100,
      testExamples: 600,
      hidden: 64,
      k: 2,
      forgetEpochs: 1,
      retrainEpochs: 3,
      retrainSeeds: 1,
      lrs: [1e-3],
      keeps: [0.5],
      offsets: [0.2],
      conv: null,
    },
    // The conv part runs at full size only: three protocol seeds of it do not fit the default budget.
    default: { ...base, conv: null },
    full: {
      ...base,
      trainExamples: 10000,
      valExamples: 1000,
      testExamples: 10000,
      hidden: 256,
      k: 5,
      forgetEpochs: 6,
      retrainEpochs: 12,
      keeps: [0.3, 0.5, 0.7, 0.9],
      offsets: [0.1, 0.2],
      conv: { ...base.conv!, trainExamples: 10000, testExamples: 10000, k: 3, grandExamples: 10000, retrainEpochs: 12 },
    },
  },
  runSeed: runDataDietSeedJob,
  combine: (runs) => ({ runs }),
  checks: dataDietChecks,
  figures: dataDietFigures,
  summary: dataDietSummary,
});
