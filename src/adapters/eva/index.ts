// The "eva" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { EvaAdapter, EvaConfig } from "./adapter";
import { bench } from "./bench";

export { evaPca, evaRankAllocation, EvaAdapter } from "./adapter";
export type { EvaConfig, EvaPcaResult, EvaAllocation } from "./adapter";

registerAdapter("eva", (base, config) => new EvaAdapter(base, config as EvaConfig));
registerBenchEntry(bench);
