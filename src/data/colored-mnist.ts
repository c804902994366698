// ColoredMNIST (Arjovsky et al., IRM; the "025" variant of Zhang et al.'s RFC): 14×14 digits in
// two colour channels. Label = (digit ≥ 5), flipped with probability labelNoise; colour =
// label, flipped with the environment's probability. The colour predicts the label better than
// the shape in training environments (flip 0.1, 0.2) and worse in the test one (0.9).
import { Rng } from "../core/random";
import { assertInRange, fail } from "../core/validate";
import { Dataset, makeDataset } from "./dataset";

export interface ColoredEnv {
  data: Dataset;
  /** The colour channel of each example (0 red, 1 green). */
  color: Int32Array;
  colorFlip: number;
}

/** 2×2 mean pooling of 28×28 images into 14×14. */
function pool(x: Float32Array, i: number, out: Float32Array, off: number): void {
  for (let r = 0; r < 14; r++)
    for (let c = 0; c < 14; c++) {
      const b = i * 784 + 2 * r * 28 + 2 * c;
      out[off + r * 14 + c] = (x[b] + x[b + 1] + x[b + 28] + x[b + 29]) / 4;
    }
}

/**
 * Builds one environment from the given MNIST examples (28×28, labels 0–9): binary labels with
 * `labelNoise` flips, colour flipped with `colorFlip`, images [2, 14, 14] (the other channel zero).
 */
export function coloredMnistEnv(
  mnist: Dataset,
  indices: ArrayLike<number>,
  colorFlip: number,
  labelNoise: number,
  seedValue: number,
  name = "colored-mnist",
): ColoredEnv {
  if (mnist.dim !== 784) fail("mnist", `must hold 28×28 images (dim 784), got dim ${mnist.dim}`);
  assertInRange("colorFlip", colorFlip, 0, 1);
  assertInRange("labelNoise", labelNoise, 0, 1);
  if (indices.length === 0) fail("indices", "is empty");
  const rng = new Rng(seedValue);
  const n = indices.length;
  const x = new Float32Array(n * 392);
  const y = new Int32Array(n);
  const color = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= mnist.n) fail("indices", `entry ${k} is ${i}; expected [0, ${mnist.n})`);
    let label = mnist.y[i] >= 5 ? 1 : 0;
    if (rng.next() < labelNoise) label = 1 - label;
    let c = label;
    if (rng.next() < colorFlip) c = 1 - c;
    y[k] = label;
    color[k] = c;
    pool(mnist.x, i, x, k * 392 + c * 196);
  }
  return { data: makeDataset(name, x, y, [2, 14, 14], 2), color, colorFlip };
}
