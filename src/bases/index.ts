export * from "./fashion-mlp";
export * from "./char-lm";
