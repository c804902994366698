// initlab: diagnostics and methods for research on initialization and low-rank structure.
import * as tf from "@tensorflow/tfjs";
export { tf };
export * from "./backend";
export * from "./random";
export * from "./validate";
export * from "./linalg";
export * from "./data";
export * from "./nn";
export * from "./plot";
export * from "./experiments";
export * from "./metrics/spectral";
export { projectRoot, figuresDir, resultsDir } from "./io/paths";
export * from "./metrics/stats";
export * from "./metrics/data-diet";
export * from "./metrics/forgetting";
export * from "./data/label-noise";
