// initlab's public surface: one namespace per concern, plus a few top-level conveniences
// and the metric/linalg/io names earlier versions made contracts. Nothing is renamed on
// export and no internals are exported; test/unit/surface.test.ts snapshots this surface.
import * as tf from "@tensorflow/tfjs";
import * as papersNs from "./papers";
export { tf };

export * as linalg from "./linalg";
export * as metrics from "./metrics";
export * as nn from "./nn";
export * as optim from "./optim";
export * as train from "./train";
export * as adapters from "./adapters";
export * as bases from "./bases";
export * as data from "./data";
export * as io from "./io";
export * as plot from "./plot";
export * as cluster from "./cluster";
export * as prune from "./prune";
export * as compress from "./compress";

/** `il.papers()` lists the registry; `il.papers.runPaper`, `il.papers.definePaper`, ... are the contract. */
export const papers = Object.assign(() => papersNs.list(), papersNs);

// Top-level conveniences.
export { seed, Rng } from "./core/random";
export { sizeFromEnv } from "./core/types";
export type { Size, ProgressEvent } from "./core/types";
export { backendReady, activeBackend } from "./nn/backend";
export { progress } from "./core/progress";
export { show } from "./plot/render";
export { runPaper } from "./papers/run";
export { showChecks, showFigures, showSummary } from "./papers/report";
export { setupLine } from "./papers/setup";

// Names earlier issues made contracts, callable at the top level with the same signatures.
export { rankMe, effectiveRank, stableRank, spectrum } from "./metrics/spectral";
export { intruderDimensions, intruderCurve } from "./metrics/intruders";
export { relativeWeightChange } from "./metrics/spectral";
export { kernelAlignment, representationAlignment } from "./metrics/alignment";
export { el2nScores, grandScores, pruneByScore } from "./metrics/data-diet";
export { stablemax, stablemaxCrossEntropy, softmaxCollapse, nlmCosine } from "./metrics/stablemax";
export { orthogonalGradient } from "./optim/orthograd";
export { svd, eigh } from "./linalg/decompose";
export { readSafetensors, writeSafetensors } from "./io/safetensors";
export { readNpy, writeNpy } from "./io/npy";

// Contract names of the paper families (issues #18, #21, #22, #24, #25).
export { kMedoids, codingRate } from "./cluster";
export { erkDensities, magnitudeMask } from "./prune";
export { hippoLegS } from "./linalg/hippo";
export { s4dInit } from "./nn/ssm-init";
export { mobiusAdd, expMap0, logMap0, poincareDistance } from "./linalg/poincare";
export { adaloraBudget } from "./adapters/adalora";
