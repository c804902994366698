export * from "./types";
export * from "./progress";
export * from "./report";
export { quickstart } from "./quickstart";
export type { QuickstartConfig } from "./quickstart";
