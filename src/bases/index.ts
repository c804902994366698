export * from "./fashion-mlp";
