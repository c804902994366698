// The "sorsa" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { SorsaAdapter, SorsaConfig } from "./adapter";
import { bench } from "./bench";

export { SorsaAdapter } from "./adapter";
export type { SorsaConfig } from "./adapter";

registerAdapter("sorsa", (base, config) => new SorsaAdapter(base, config as SorsaConfig));
registerBenchEntry(bench);
