// TEEN, one seed: an MLP embedding with a cosine classifier (temperature 16) trained on six
// Fashion-MNIST base classes; two incremental sessions add two new classes each from 5 shots.
// New classes get prototypes (mean embedding of their shots), either plain or calibrated by TEEN
// toward similar base prototypes. α is chosen on a pseudo-incremental split of the base classes.
import * as tf from "@tensorflow/tfjs";
import { Rng, seed } from "../../core/random";
import { Dataset, subset } from "../../data/dataset";
import { loadFashionMnist } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { classPrototypes, cosinePredict, l2normalize, teenCalibrate } from "../../nn/prototypes";
import { train } from "../../train/loop";
import { PaperConfig, PaperContext } from "../types";

export interface TeenConfig extends PaperConfig {
  baseClasses: number[];
  sessions: number[][];
  /** Base classes held out as pseudo-new for choosing α (never the real new classes). */
  pseudoNew: number[];
  perClass: number;
  hidden: number[];
  temperature: number;
  epochs: number;
  batchSize: number;
  lr: number;
  shots: number;
  draws: number;
  alphas: number[];
  tau: number;
}

export interface Accs {
  base: number;
  novel: number;
  hm: number;
}

export interface TeenSeedRun {
  seed: number;
  baseOnlyAcc: number;
  alpha: number;
  selection: { alphas: number[]; scores: number[] };
  plain: Accs;
  teen: Accs;
  /** Mean over draws after each session (plain, TEEN): accuracy on every class seen so far. */
  sessions: Array<{ session: number; plain: number; teen: number }>;
}

export interface TeenResult {
  runs: TeenSeedRun[];
}

const hm = (a: number, b: number) => (a + b > 0 ? (2 * a * b) / (a + b) : 0);

function byClasses(ds: Dataset, classes: number[], perClass: number, rng: Rng): Dataset {
  const count = new Map(classes.map((c) => [c, 0]));
  const idx: number[] = [];
  for (const i of rng.permutation(ds.n)) {
    const k = count.get(ds.y[i]);
    if (k === undefined || k >= perClass) continue;
    count.set(ds.y[i], k + 1);
    idx.push(i);
  }
  return subset(ds, idx);
}

/** Trains an MLP embedding with a cosine head over `classes`; returns an embedding function. */
async function trainEmbedding(
  ds: Dataset,
  classes: number[],
  cfg: TeenConfig,
  s: number,
  ctx: PaperContext,
  label: string,
) {
  const remap = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(ds.y, (c) => remap.get(c) as number);
  const net = new MLP({ sizes: [784, ...cfg.hidden], activation: "relu", init: "he" });
  const d = cfg.hidden[cfg.hidden.length - 1];
  const W = tf.variable(tf.randomNormal([d, classes.length], 0, 1, "float32", s + 7), true);
  const X = tf.tensor2d(ds.x, [ds.n, 784]);
  const Y = tf.tensor1d(y, "int32");
  await train(
    { variables: () => [...net.variables(), W] },
    {
      n: ds.n,
      make: (idx) => ({
        x: tf.gather(X, idx as number[]) as tf.Tensor2D,
        y: tf.gather(Y, idx as number[]) as tf.Tensor1D,
      }),
    },
    {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      seed: s,
      lr: cfg.lr,
      objective: (b) => {
        const e = tf.div(net.forward(b.x), tf.add(tf.norm(net.forward(b.x), 2, 1, true), 1e-8));
        const w = tf.div(W, tf.add(tf.norm(W, 2, 0, true), 1e-8));
        const logits = tf.mul(tf.matMul(e, w), cfg.temperature);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(b.y, classes.length), logits) as tf.Scalar;
      },
      onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}: ${label}` }),
    },
  );
  X.dispose();
  Y.dispose();
  W.dispose();
  const embed = (x: Dataset): number[][] =>
    tf.tidy(() => net.forward(tf.tensor2d(x.x, [x.n, 784]))).arraySync() as number[][];
  return { embed, dispose: () => net.dispose() };
}

/** Accuracy split into rows whose class is in `baseIds` and the rest. */
function accs(pred: number[], truth: number[], baseIds: Set<number>): Accs {
  let bh = 0;
  let bn = 0;
  let nh = 0;
  let nn = 0;
  truth.forEach((t, i) => {
    if (baseIds.has(t)) {
      bn++;
      if (pred[i] === t) bh++;
    } else {
      nn++;
      if (pred[i] === t) nh++;
    }
  });
  const base = bn ? bh / bn : 0;
  const novel = nn ? nh / nn : 0;
  return { base, novel, hm: hm(base, novel) };
}

/** One episode: plain and TEEN prototypes for the new classes given their shots' embeddings. */
function episode(
  baseProtos: number[][],
  shotEmb: number[][][],
  testEmb: number[][],
  testY: number[],
  baseCount: number,
  alpha: number,
  tau: number,
) {
  const plainNew = shotEmb.map((e) => l2normalize(classPrototypes(e, new Array(e.length).fill(0), 1)[0]));
  const teenNew = teenCalibrate(plainNew, baseProtos, { alpha, tau });
  const ids = new Set(Array.from({ length: baseCount }, (_, i) => i));
  return {
    plain: accs(cosinePredict(testEmb, [...baseProtos, ...plainNew]), testY, ids),
    teen: accs(cosinePredict(testEmb, [...baseProtos, ...teenNew]), testY, ids),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanAccs = (xs: Accs[]): Accs => ({
  base: mean(xs.map((x) => x.base)),
  novel: mean(xs.map((x) => x.novel)),
  hm: mean(xs.map((x) => x.hm)),
});

export async function runTeenSeed(cfg: TeenConfig, s: number, ctx: PaperContext): Promise<TeenSeedRun> {
  seed(s);
  const rng = new Rng(1000 + s);
  const trainAll = loadFashionMnist({ split: "train" });
  const testAll = loadFashionMnist({ split: "test" });
  const newClasses = cfg.sessions.flat();
  // One seeded split of the training rows per class: the first perClass rows train, the next 200
  // validate (α is chosen on them), shots for the pseudo-new classes come from their training rows.
  // The test split is used only for the final numbers.
  const rowsOf = new Map<number, number[]>();
  for (const i of rng.permutation(trainAll.n)) {
    const c = trainAll.y[i];
    if (!rowsOf.has(c)) rowsOf.set(c, []);
    (rowsOf.get(c) as number[]).push(i);
  }
  const trainRows = (classes: number[]) => classes.flatMap((c) => (rowsOf.get(c) as number[]).slice(0, cfg.perClass));
  const valRows = (classes: number[]) =>
    classes.flatMap((c) => (rowsOf.get(c) as number[]).slice(cfg.perClass, cfg.perClass + 200));
  const pBase = cfg.baseClasses.filter((c) => !cfg.pseudoNew.includes(c));
  const pTrain = subset(trainAll, trainRows(pBase));
  const pModel = await trainEmbedding(pTrain, pBase, cfg, s, ctx, "pseudo-incremental base");
  const pProtos = classPrototypes(
    pModel.embed(pTrain),
    Array.from(pTrain.y, (c) => pBase.indexOf(c)),
    pBase.length,
  ).map(l2normalize);
  const order = [...pBase, ...cfg.pseudoNew];
  const val = subset(trainAll, valRows(order));
  const valY = Array.from(val.y, (c) => order.indexOf(c));
  const valEmb = pModel.embed(val);
  const shotsFrom = (classes: number[], pools: (c: number) => number[], r: Rng) =>
    classes.map((c) => {
      const pool = pools(c);
      return subset(
        trainAll,
        r
          .permutation(pool.length)
          .slice(0, cfg.shots)
          .map((j) => pool[j]),
      );
    });
  const scores = cfg.alphas.map(() => 0);
  for (let dr = 0; dr < cfg.draws; dr++) {
    const shots = shotsFrom(cfg.pseudoNew, (c) => trainRows([c]), new Rng(3000 + 31 * s + dr)).map((d) =>
      pModel.embed(d),
    );
    cfg.alphas.forEach((a, i) => {
      scores[i] += episode(pProtos, shots, valEmb, valY, pBase.length, a, cfg.tau).teen.hm / cfg.draws;
    });
  }
  pModel.dispose();
  const alpha = cfg.alphas[scores.indexOf(Math.max(...scores))];
  // The real run: base model on all base classes, then the sessions.
  const bTrain = subset(trainAll, trainRows(cfg.baseClasses));
  const model = await trainEmbedding(bTrain, cfg.baseClasses, cfg, s, ctx, "base training");
  const baseProtos = classPrototypes(
    model.embed(bTrain),
    Array.from(bTrain.y, (c) => cfg.baseClasses.indexOf(c)),
    cfg.baseClasses.length,
  ).map(l2normalize);
  const classOrder = [...cfg.baseClasses, ...newClasses];
  const test = byClasses(testAll, classOrder, 1000, new Rng(5));
  const testY = Array.from(test.y, (c) => classOrder.indexOf(c));
  const testEmb = model.embed(test);
  const baseRows = testY.flatMap((y, i) => (y < cfg.baseClasses.length ? [i] : []));
  const baseOnlyAcc = mean(
    cosinePredict(
      baseRows.map((i) => testEmb[i]),
      baseProtos,
    ).map((p, j) => (p === testY[baseRows[j]] ? 1 : 0)),
  );
  const finals: Array<{ plain: Accs; teen: Accs }> = [];
  const sessionAcc = cfg.sessions.map(() => ({ plain: 0, teen: 0 }));
  for (let dr = 0; dr < cfg.draws; dr++) {
    const shots = shotsFrom(newClasses, (c) => rowsOf.get(c) as number[], new Rng(4000 + 31 * s + dr)).map((d) =>
      model.embed(d),
    );
    for (let t = 1; t <= cfg.sessions.length; t++) {
      const seen = cfg.baseClasses.length + cfg.sessions.slice(0, t).flat().length;
      const rows = testY.flatMap((y, i) => (y < seen ? [i] : []));
      const ep = episode(
        baseProtos,
        shots.slice(0, seen - cfg.baseClasses.length),
        rows.map((i) => testEmb[i]),
        rows.map((i) => testY[i]),
        cfg.baseClasses.length,
        alpha,
        cfg.tau,
      );
      const all = (a: Accs) => {
        const nb = rows.filter((i) => testY[i] < cfg.baseClasses.length).length;
        return (a.base * nb + a.novel * (rows.length - nb)) / rows.length;
      };
      sessionAcc[t - 1].plain += all(ep.plain) / cfg.draws;
      sessionAcc[t - 1].teen += all(ep.teen) / cfg.draws;
      if (t === cfg.sessions.length) finals.push(ep);
    }
  }
  model.dispose();
  return {
    seed: s,
    baseOnlyAcc,
    alpha,
    selection: { alphas: cfg.alphas, scores },
    plain: meanAccs(finals.map((f) => f.plain)),
    teen: meanAccs(finals.map((f) => f.teen)),
    sessions: sessionAcc.map((a, i) => ({ session: i + 1, ...a })),
  };
}
