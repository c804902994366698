export * from "./specs";
export * from "./render";
export { colorFor, METHOD_COLORS } from "./theme";
export { inNotebook } from "../core/display";
