// The "increlora" method: its adapter class, its shared growth allocator, its registration and
// its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { IncreloraAdapter, IncreloraConfig } from "./adapter";
import { bench } from "./bench";

export { IncreloraAdapter } from "./adapter";
export type { IncreloraConfig } from "./adapter";
export { IncreloraAllocator } from "./allocator";
export type { IncreloraGrowthRecord, IncreloraSchedule } from "./allocator";

registerAdapter("increlora", (base, config) => new IncreloraAdapter(base, config as IncreloraConfig));
registerBenchEntry(bench);
