export * from "../core/types";
export * from "../core/progress";
export * from "./report";
export { quickstart } from "./quickstart/run";
export type { QuickstartConfig } from "./quickstart/run";
