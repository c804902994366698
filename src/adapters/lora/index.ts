// The "lora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { LoraAdapter, LoraConfig } from "./adapter";
import { bench } from "./bench";

export { loraScale, LoraAdapter } from "./adapter";
export type { LoraConfig } from "./adapter";

registerAdapter("lora", (base, config) => new LoraAdapter(base, config as LoraConfig));
registerBenchEntry(bench);
