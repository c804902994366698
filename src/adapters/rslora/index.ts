// The "rslora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { RsLoraAdapter, RsLoraConfig } from "./adapter";
import { bench } from "./bench";

export * from "./adapter";

registerAdapter("rslora", (base, config) => new RsLoraAdapter(base, config as RsLoraConfig));
registerBenchEntry(bench);
