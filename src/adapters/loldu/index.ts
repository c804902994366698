// The "loldu" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { LolduAdapter, LolduConfig } from "./adapter";
import { bench } from "./bench";

export { LolduAdapter } from "./adapter";
export type { LolduConfig } from "./adapter";

registerAdapter("loldu", (base, config) => new LolduAdapter(base, config as LolduConfig));
registerBenchEntry(bench);
