// The "intrinsic" method (intrinsic-dimension training, dense or Fastfood projection, SAID):
// its adapter class and shared subspace, its registration and its benchmark entry.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { IntrinsicAdapter, IntrinsicConfig } from "./adapter";
import { bench } from "./bench";

export { IntrinsicAdapter } from "./adapter";
export type { IntrinsicConfig } from "./adapter";
export { IntrinsicSpace, PROJECTION_KINDS } from "./space";
export type { IntrinsicSpaceOptions, ProjectionKind } from "./space";
export {
  INTRINSIC_DENSE_D,
  INTRINSIC_FAMILY,
  INTRINSIC_MID_D,
  INTRINSIC_SWEEP_D,
  INTRINSIC_TINY_D,
  intrinsicDenseId,
  intrinsicMidId,
  intrinsicSweepId,
  intrinsicTinyId,
  thetaDim,
} from "./bench";

registerAdapter("intrinsic", (base, config) => new IntrinsicAdapter(base, config as IntrinsicConfig));
registerBenchEntry(bench);
