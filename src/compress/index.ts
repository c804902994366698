export * from "./fp-quant";
export * from "./lorc";
export * from "./welore";
export * from "./factorize";
