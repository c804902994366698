// The "sora" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { SoraAdapter, SoraConfig } from "./adapter";
import { bench } from "./bench";

export { SoraAdapter, soraProximal, soraToLora, soraXiAt } from "./adapter";
export type { SoraConfig } from "./adapter";
export { SORA_BENCH_STAGES, SORA_BENCH_XI, soraExtras, soraId } from "./bench";

registerAdapter("sora", (base, config) => new SoraAdapter(base, config as SoraConfig));
registerBenchEntry(bench);
