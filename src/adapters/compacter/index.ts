// The "compacter" method: its adapter class and shared slow weights, its registration and its
// benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { CompacterAdapter, CompacterConfig } from "./adapter";
import { bench } from "./bench";

export { CompacterAdapter, CompacterShared, phmWeight } from "./adapter";
export type { CompacterActivation, CompacterConfig } from "./adapter";

registerAdapter("compacter", (base, config) => new CompacterAdapter(base, config as CompacterConfig));
registerBenchEntry(bench);
