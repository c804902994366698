export * from "./orthograd";
export { FastAdam } from "./fast-adam";
export type { FastAdamOptions } from "./fast-adam";
export * from "./schedules";
export * from "./subgradient";
export * from "./bo-rep";
export * from "./galore";
export * from "./fira";
export * from "./q-galore";
