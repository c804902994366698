// SVFit in the shared benchmark: all singular values of each hidden matrix trained (tiny
// tier: min(hidden) parameters per matrix), in the "diag" lr family.
import { AdapterBenchEntry } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "svfit",
  color: "#bab0ac",
  variants: (s) => [{ id: "SVFit (all σ)", tier: "tiny", config: { r: Math.min(...s.hidden) }, family: "diag" }],
};
