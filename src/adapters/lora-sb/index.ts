// The "lora-sb" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { LoraSbAdapter, LoraSbConfig } from "./adapter";
import { bench } from "./bench";

export { LoraSbAdapter } from "./adapter";
export type { LoraSbConfig } from "./adapter";

registerAdapter("lora-sb", (base, config) => new LoraSbAdapter(base, config as LoraSbConfig));
registerBenchEntry(bench);
