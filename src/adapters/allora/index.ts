// The "allora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { AlloraAdapter, AlloraConfig } from "./adapter";
import { bench } from "./bench";

export { ALLORA_DEFAULT_ETA, AlloraAdapter, alloraRowCoefficients } from "./adapter";
export type { AlloraConfig, AlloraTracePoint } from "./adapter";
export { ALLORA_TRACE_EVERY } from "./bench";

registerAdapter("allora", (base, config) => new AlloraAdapter(base, config as AlloraConfig));
registerBenchEntry(bench);
