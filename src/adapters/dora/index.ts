// The "dora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { DoraAdapter, DoraConfig } from "./adapter";
import { bench } from "./bench";

export { DoraAdapter } from "./adapter";
export type { DoraConfig } from "./adapter";

registerAdapter("dora", (base, config) => new DoraAdapter(base, config as DoraConfig));
registerBenchEntry(bench);
