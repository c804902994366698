// The "rslora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { RsLoraAdapter, RsLoraConfig } from "./adapter";
import { bench } from "./bench";

export { RsLoraAdapter } from "./adapter";
export type { RsLoraConfig } from "./adapter";

registerAdapter("rslora", (base, config) => new RsLoraAdapter(base, config as RsLoraConfig));
registerBenchEntry(bench);
