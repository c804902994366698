// MiSS in the shared benchmark: the default tiled form at the block size whose r·out per matrix
// comes closest to the mid budget (LoRA r = midRank on every hidden matrix), and r = 1 in the
// tiny tier. D starts at zero like LoRA's B, so LoRA's lr family. On the Fashion-MNIST MLP
// (784→256→256) the mid budget is 6,208 and r = 12 gives 12·(256 + 256) = 6,144; 784 and 256
// are not multiples of 12, so the last chunk of each input is zero-padded as the reference does.
import { AdapterBenchEntry, BenchScale } from "../benchmark";

/** The benchmark MLP's input width (28×28 Fashion-MNIST images). */
export const BENCH_INPUT_DIM = 784;

/** Adapted matrices' [in, out] at a benchmark scale (the MLP's hidden matrices). */
export function benchShapes(s: BenchScale): Array<[number, number]> {
  const ins = [BENCH_INPUT_DIM, ...s.hidden.slice(0, -1)];
  return s.hidden.map((o, l) => [ins[l], o]);
}

/** LoRA r = midRank's parameter count on the adapted matrices: the mid budget. */
export function midBudget(s: BenchScale): number {
  return benchShapes(s).reduce((acc, [i, o]) => acc + s.midRank * (i + o), 0);
}

/** MiSS's mid-tier r: r·Σout closest to the mid budget. */
export function missMidRank(s: BenchScale): number {
  const outs = benchShapes(s).reduce((acc, [, o]) => acc + o, 0);
  return Math.max(1, Math.round(midBudget(s) / outs));
}

export const bench: AdapterBenchEntry = {
  method: "miss",
  color: "#9467bd",
  variants: (s) => [
    { id: `MiSS r=${missMidRank(s)}`, tier: "mid", config: { r: missMidRank(s) }, family: "lora" },
    { id: "MiSS r=1", tier: "tiny", config: { r: 1 }, family: "lora" },
  ],
};
