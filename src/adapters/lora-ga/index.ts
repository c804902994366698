// The "lora-ga" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { LoraGaAdapter, LoraGaConfig } from "./adapter";
import { bench } from "./bench";

export { loraGaDirections, LoraGaAdapter } from "./adapter";
export type { LoraGaDirection, LoraGaScale, LoraGaConfig } from "./adapter";

registerAdapter("lora-ga", (base, config) => new LoraGaAdapter(base, config as LoraGaConfig));
registerBenchEntry(bench);
