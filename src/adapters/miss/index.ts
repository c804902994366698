// The "miss" method (MiSS's default tiled form): its adapter class, its registration and its
// benchmark entry. Bone's block-affine form ("bone") shares adapter.ts and registers in ../bone.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { MissAdapter, MissConfig } from "./adapter";
import { bench } from "./bench";

export { boneDelta, BoneAdapter, missTiling, MissAdapter } from "./adapter";
export type { BoneConfig, MissConfig } from "./adapter";

registerAdapter("miss", (base, config) => new MissAdapter(base, config as MissConfig));
registerBenchEntry(bench);
