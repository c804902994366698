export * from "./convert";
export * from "./decompose";
