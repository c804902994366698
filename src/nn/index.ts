export * from "./losses";
export * from "./mlp";
export * from "../train/classifier";
