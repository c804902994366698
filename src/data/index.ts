export * from "./dataset";
export * from "./images";
export * from "./modular";
