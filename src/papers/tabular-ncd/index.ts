// Practical novel class discovery in tabular data (Troisemaine et al., DMKD 2024): a simple PBN
// tuned by hidden-class cross-validation and a silhouette estimate of the number of novel classes
// discovers new classes without any knowledge of them.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { NcdConfig, NcdResult, NcdSeedRun, runNcdSeed } from "./run";

const base: NcdConfig = {
  seeds: [0, 1, 2],
  knownClasses: [0, 1, 2, 3, 4, 5],
  novelClasses: [6, 7, 8, 9],
  perClass: 250,
  encoder: [128, 32],
  ws: [0.3, 0.5, 0.7, 0.9],
  folds: [
    [0, 1],
    [2, 3],
    [4, 5],
  ],
  epochs: 8,
  batchSize: 128,
  lr: 1e-3,
  ks: [2, 3, 4, 5, 6, 7, 8],
};

const col = (r: NcdResult, f: (x: NcdSeedRun) => number) => r.runs.map(f);

export const tabularNcd = definePaper<NcdConfig, NcdResult, NcdSeedRun>({
  id: "tabular-ncd",
  citation: {
    authors: [
      "Colin Troisemaine",
      "Alexandre Reiffers-Masson",
      "Stéphane Gosselin",
      "Vincent Lemaire",
      "Sandrine Vaton",
    ],
    title: "A practical approach to novel class discovery in tabular data",
    venue: "Data Mining and Knowledge Discovery",
    year: 2024,
    arxiv: "2311.05440",
    code: "https://github.com/ColinTr/PracticalNCD",
  },
  claim:
    "Novel class discovery can be tuned and solved without any knowledge of the novel classes: hidden-class cross-validation picks the hyperparameters and a cluster-validity index estimates how many novel classes there are.",
  presets: {
    smoke: { ...base, seeds: [0], perClass: 40, epochs: 1, ws: [0.5, 0.9], ks: [2, 3, 4] },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], perClass: 1000, encoder: [256, 64], epochs: 20 },
  },
  runSeed: runNcdSeed,
  combine: (runs) => ({ runs }),
  checks(r, c) {
    const truthK = c.novelClasses.length;
    const within = r.runs.filter((x) => Math.abs(x.kEstimate - truthK) <= 1).length;
    return [
      pairedCheck(
        "PBN (w by hidden-class CV) clusters the novel classes better than k-means on raw features: accuracy difference paired by seed",
        col(r, (x) => x.accPbn),
        col(r, (x) => x.accKmeansRaw),
        "greater",
        { margin: 0.1, figure: "tabular-ncd-accuracy", what: "accuracy points" },
      ),
      evidence(
        `The number of novel classes (${truthK}) is estimated within ±1 by the silhouette in PBN's latent space (every seed)`,
        r.runs.map((x) => `seed ${x.seed}: k̂ = ${x.kEstimate}`).join("; "),
        "within ±1 on every seed",
        within === r.runs.length,
        { seeds: r.runs.length, figure: "tabular-ncd-silhouette" },
      ),
      pairedCheck(
        "The known classes' labels help: PBN beats the same network trained on reconstruction alone (w = 0), paired by seed",
        col(r, (x) => x.accPbn),
        col(r, (x) => x.accAutoencoder),
        "greater",
        { figure: "tabular-ncd-accuracy", what: "accuracy points" },
      ),
      sanity(
        "Hidden-class CV scores every candidate w on every seed (finite scores in [0, 1])",
        r.runs.map((x) => `seed ${x.seed}: w = ${x.cv.best}`).join("; "),
        "all scores finite in [0, 1]",
        r.runs.every((x) => x.cv.scores.every((v) => v >= 0 && v <= 1)),
        { seeds: r.runs.length, figure: "tabular-ncd-cv" },
      ),
    ];
  },
  figures(r, c) {
    const bar = (label: string, f: (x: NcdSeedRun) => number) => {
      const v = tInterval(col(r, f));
      return { method: label, accuracy: v.mean, err: Number.isFinite(v.hi) ? v.hi - v.mean : 0 };
    };
    return [
      {
        name: "tabular-ncd-accuracy",
        spec: barChart(
          [
            bar("k-means on raw pixels", (x) => x.accKmeansRaw),
            bar("autoencoder (w = 0)", (x) => x.accAutoencoder),
            bar("PBN, true k", (x) => x.accPbn),
            bar("PBN, estimated k", (x) => x.accPbnEstimatedK),
          ],
          {
            x: "method",
            y: "accuracy",
            error: "err",
            title: "Novel-class clustering accuracy (Hungarian), mean over seeds",
          },
        ),
      },
      {
        name: "tabular-ncd-silhouette",
        spec: lineChart(
          r.runs.flatMap((x) => c.ks.map((k, i) => ({ k, silhouette: x.silhouettes[i], seed: `seed ${x.seed}` }))),
          {
            x: "k",
            y: "silhouette",
            color: "seed",
            title: "Silhouette of k-means on PBN's codes of the unlabelled rows",
          },
        ),
      },
      {
        name: "tabular-ncd-cv",
        spec: lineChart(
          r.runs.flatMap((x) => x.cv.ws.map((w, i) => ({ w, score: x.cv.scores[i], seed: `seed ${x.seed}` }))),
          {
            x: "w",
            y: "score",
            color: "seed",
            title: "Hidden-class CV: clustering accuracy of the hidden known classes",
            xTitle: "w (cross-entropy weight)",
          },
        ),
      },
    ];
  },
  summary(r) {
    const m = (f: (x: NcdSeedRun) => number) => tInterval(col(r, f)).mean;
    return {
      seeds: r.runs.length,
      "accuracy PBN true k (mean)": m((x) => x.accPbn),
      "accuracy PBN estimated k (mean)": m((x) => x.accPbnEstimatedK),
      "accuracy k-means raw (mean)": m((x) => x.accKmeansRaw),
      "accuracy autoencoder w=0 (mean)": m((x) => x.accAutoencoder),
      "estimated k per seed": r.runs.map((x) => x.kEstimate).join(", "),
      "w chosen per seed": r.runs.map((x) => x.cv.best).join(", "),
    };
  },
});
