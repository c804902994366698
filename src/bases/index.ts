export * from "./fashion-mlp";
export * from "./char-lm";
export * from "./char-compress";
