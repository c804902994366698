// The "adalora" method: its adapter class, its shared rank allocator, the budget schedule
// (public contract adaloraBudget), its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { AdaloraAdapter, AdaloraConfig } from "./adapter";
import { bench } from "./bench";

export { AdaloraAdapter } from "./adapter";
export type { AdaloraConfig } from "./adapter";
export { AdaloraAllocator } from "./allocator";
export type { AdaloraBudgetRecord, AdaloraSchedule } from "./allocator";
export { adaloraBudget } from "./budget";
export type { AdaloraBudgetOptions } from "./budget";

registerAdapter("adalora", (base, config) => new AdaloraAdapter(base, config as AdaloraConfig));
registerBenchEntry(bench);
