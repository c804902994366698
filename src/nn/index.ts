export * from "./losses";
export * from "./mlp";
export * from "./init";
export * from "./rnn";
export * from "./vicreg";
export { registerWasmKernels, setFastMatMul, wasmKernelTuning } from "./wasm-kernels";
export { backendReady, activeBackend } from "./backend";
export * from "./conv-net";
export * from "./transformer";
