// The "pissa" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { PissaAdapter, PissaConfig } from "./adapter";
import { bench } from "./bench";

export * from "./adapter";

registerAdapter("pissa", (base, config) => new PissaAdapter(base, config as PissaConfig));
registerBenchEntry(bench);
