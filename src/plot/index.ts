export * from "./specs";
export { toSVG, svgToPNG, svgToPDF, save, show } from "./render";
export type { SavedFigure } from "./render";
export { colorFor, METHOD_COLORS } from "./theme";
export { inNotebook } from "../core/display";
export { setMethodColor } from "./theme";
