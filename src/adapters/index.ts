// il.adapters: the adapter interface and registry, every registered method's class, the
// adapted MLP (wrapModel, calibrate, merge/unload) and the benchmark-entry registry.
import "./all";
export * from "./types";
export * from "./registry";
export * from "./benchmark";
export * from "./bench-report";
export * from "./mlp";
export { adapterTrainHooks } from "./adapted-model";
export type { AdaptedModel, CalibrationBatch } from "./adapted-model";
export * from "./transformer";
export { AdapterBase, ResidualLoraBase, W0KeepingAdapter } from "./common";
export * from "./lora";
export * from "./rslora";
export * from "./pissa";
export * from "./lora-ga";
export * from "./lora-xs";
export * from "./lora-sb";
export * from "./svfit";
export * from "./sorsa";
export * from "./eva";
export * from "./loldu";
export * from "./dora";
