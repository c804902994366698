// The "svfit" method: its adapter class, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { SvfitAdapter, SvfitConfig } from "./adapter";
import { bench } from "./bench";

export { SvfitAdapter } from "./adapter";
export type { SvfitConfig } from "./adapter";

registerAdapter("svfit", (base, config) => new SvfitAdapter(base, config as SvfitConfig));
registerBenchEntry(bench);
