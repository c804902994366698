// Linear probe by ridge regression onto one-hot labels, solved in closed form in float64
// (ml-matrix): W = (XᵀX + λI)⁻¹ XᵀY with an unpenalised bias; predict the arg-max.
import { CholeskyDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { Matrix, toMl } from "../linalg/convert";
import { assertKnownOptions, assertLabels, fail } from "../core/validate";

export interface RidgeProbeOptions {
  /** Ridge penalty λ on the weights (not the bias); default 1e-2 (the RankMe protocol). */
  lambda?: number;
  /** Number of classes (default: max label + 1 over train and test). */
  numClasses?: number;
}

export interface RidgeProbeResult {
  /** Test accuracy. */
  accuracy: number;
  trainAccuracy: number;
  /** (features + 1) × classes; the last row is the bias. */
  weights: number[][];
}

/** Fits a ridge probe on (trainX, trainY) and scores it on (testX, testY). */
export function ridgeProbe(
  trainX: Matrix,
  trainY: ArrayLike<number>,
  testX: Matrix,
  testY: ArrayLike<number>,
  opts: RidgeProbeOptions = {},
): RidgeProbeResult {
  assertKnownOptions("opts", opts, ["lambda", "numClasses"]);
  const lambda = opts.lambda ?? 1e-2;
  if (typeof lambda !== "number" || !Number.isFinite(lambda) || lambda < 0)
    fail("opts.lambda", `must be a finite number >= 0, got ${lambda}`);
  const xtr = toMl(trainX, "trainX");
  const xte = toMl(testX, "testX");
  if (xte.columns !== xtr.columns) fail("testX", `has ${xte.columns} columns; trainX has ${xtr.columns}`);
  let c = opts.numClasses;
  if (c === undefined) {
    c = 0;
    for (const ys of [trainY, testY])
      for (let i = 0; i < (ys?.length ?? 0); i++) c = Math.max(c, Math.floor(ys[i]) + 1);
  }
  if (!Number.isInteger(c) || c < 2) fail("opts.numClasses", `must be an integer >= 2, got ${c}`);
  assertLabels("trainY", trainY, c, xtr.rows);
  assertLabels("testY", testY, c, xte.rows);
  const d = xtr.columns + 1;
  const a = withBias(xtr);
  const y = new MlMatrix(xtr.rows, c);
  for (let i = 0; i < xtr.rows; i++) y.set(i, trainY[i], 1);
  const gram = a.transpose().mmul(a);
  for (let j = 0; j < d - 1; j++) gram.set(j, j, gram.get(j, j) + lambda);
  // A tiny jitter keeps Cholesky defined when λ = 0 and features are collinear.
  const jitter = 1e-10 * Math.max(1e-300, gram.trace() / d);
  for (let j = 0; j < d; j++) gram.set(j, j, gram.get(j, j) + jitter);
  const chol = new CholeskyDecomposition(gram);
  if (!chol.isPositiveDefinite()) fail("trainX", "gives a singular normal matrix; use lambda > 0");
  const w = chol.solve(a.transpose().mmul(y));
  return { accuracy: acc(withBias(xte).mmul(w), testY), trainAccuracy: acc(a.mmul(w), trainY), weights: w.to2DArray() };
}

function withBias(x: MlMatrix): MlMatrix {
  const out = new MlMatrix(x.rows, x.columns + 1);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.columns; j++) out.set(i, j, x.get(i, j));
    out.set(i, x.columns, 1);
  }
  return out;
}

function acc(scores: MlMatrix, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < scores.rows; i++) {
    let best = 0;
    for (let j = 1; j < scores.columns; j++) if (scores.get(i, j) > scores.get(i, best)) best = j;
    if (best === labels[i]) correct++;
  }
  return correct / scores.rows;
}
