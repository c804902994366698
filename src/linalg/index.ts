export * from "./convert";
export * from "./decompose";
export { linalgPath, linalgPathReason, setLinalgPath } from "./lapack";
export type { LinalgPath } from "./lapack";
export * from "./randomized";
export * from "./lu";
export * from "./complex";
export * from "./hippo";
export * from "./poincare";
