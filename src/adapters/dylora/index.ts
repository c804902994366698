// The "dylora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { DyLoraAdapter, DyLoraConfig } from "./adapter";
import { bench } from "./bench";

export { DyLoraAdapter } from "./adapter";
export type { DyLoraConfig } from "./adapter";
export { accuracyPerRank, dyloraAccKey, dyloraIds, rankCurveRows } from "./bench";

registerAdapter("dylora", (base, config) => new DyLoraAdapter(base, config as DyLoraConfig));
registerBenchEntry(bench);
