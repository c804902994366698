// The "lora-xs" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { LoraXsAdapter, LoraXsConfig } from "./adapter";
import { bench } from "./bench";

export { LatentAdapterBase, LoraXsAdapter } from "./adapter";
export type { LoraXsConfig } from "./adapter";

registerAdapter("lora-xs", (base, config) => new LoraXsAdapter(base, config as LoraXsConfig));
registerBenchEntry(bench);
