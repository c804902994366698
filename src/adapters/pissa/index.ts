// The "pissa" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { PissaAdapter, PissaConfig } from "./adapter";
import { bench } from "./bench";

export { PissaAdapter } from "./adapter";
export type { PissaConfig } from "./adapter";

registerAdapter("pissa", (base, config) => new PissaAdapter(base, config as PissaConfig));
registerBenchEntry(bench);
