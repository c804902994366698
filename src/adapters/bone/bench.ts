// Bone (MiSS's block-affine "bat" form) in the shared benchmark: r must divide every adapted
// matrix's in and out, so r is the largest such divisor whose out·r per matrix stays within
// the mid budget. On the Fashion-MNIST MLP (784→256→256; common divisors 1, 2, 4, 8, 16) that
// is r = 8: 8·(256 + 256) = 4,096 parameters against LoRA r = 4's 6,208 (r = 16 would be 8,192).
// Zero-initialised blocks, LoRA's lr family.
import { AdapterBenchEntry, BenchScale } from "../benchmark";
import { benchShapes, midBudget } from "../miss/bench";

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Bone's mid-tier r: the largest common divisor of all in/out widths with r·Σout ≤ the mid budget (at least 1). */
export function boneMidRank(s: BenchScale): number {
  const shapes = benchShapes(s);
  const g = shapes.flat().reduce(gcd);
  const outs = shapes.reduce((acc, [, o]) => acc + o, 0);
  let best = 1;
  for (let r = 1; r <= g; r++) if (g % r === 0 && r * outs <= midBudget(s)) best = r;
  return best;
}

export const bench: AdapterBenchEntry = {
  method: "bone",
  color: "#c5b0d5",
  variants: (s) => [{ id: `Bone r=${boneMidRank(s)}`, tier: "mid", config: { r: boneMidRank(s) }, family: "lora" }],
};
