// The "bone" method (MiSS's block-affine form, first published as Bone): registration and
// benchmark entry. The class lives with MiSS's in ../miss/adapter.ts (one place for both forms).
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { BoneAdapter, BoneConfig } from "../miss/adapter";
import { bench } from "./bench";

export { boneMidRank } from "./bench";

registerAdapter("bone", (base, config) => new BoneAdapter(base, config as BoneConfig));
registerBenchEntry(bench);
