export * from "./dataset";
export * from "./images";
export * from "./modular";
export * from "./neuro-tasks";
export * from "./label-noise";
export * from "./abilities";
export * from "./colored-mnist";
