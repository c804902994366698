// Shared by the budget-allocator adapter tests (AdaLoRA, IncreLoRA), not a test file itself:
// a seeded MLP 6-8-8-3 and a small 3-class toy task for the train()-driven schedule tests.
import { Dataset, makeDataset } from "../../src/data/dataset";
import { MLP } from "../../src/nn/mlp";
import { Rng, seed } from "../../src/core/random";

/** The MLP (global seed 3, He init) and 96 Gaussian examples labelled by a fixed rule (Rng 9). */
export function toyMlpTask(): { mlp: MLP; data: Dataset } {
  seed(3);
  const mlp = new MLP({ sizes: [6, 8, 8, 3], init: "he" });
  const rng = new Rng(9);
  const n = 96;
  const x = Float32Array.from({ length: n * 6 }, () => rng.normal());
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * 6] + x[i * 6 + 1] > 0 ? 1 : x[i * 6 + 2] > 0 ? 2 : 0));
  return { mlp, data: makeDataset("toy", x, y, [6], 3) };
}
