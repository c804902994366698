export * from "./types";
export * from "./registry";
export * from "./lora";
export * from "./mlp";
