// LoLDU in the shared benchmark: the full LDU diagonal of each hidden matrix plus one scale
// (tiny tier: min(hidden) + 1 parameters per matrix), in the "diag" lr family.
import { AdapterBenchEntry } from "../benchmark";

export const bench: AdapterBenchEntry = {
  method: "loldu",
  color: "#bcbd22",
  variants: (s) => [{ id: "LoLDU (all r)", tier: "tiny", config: { r: Math.min(...s.hidden) }, family: "diag" }],
};
