export * from "./losses";
export * from "./mlp";
export * from "./init";
export * from "./rnn";
export * from "./vicreg";
export { registerWasmKernels, setFastMatMul, wasmKernelTuning } from "./wasm-kernels";
export { backendReady, activeBackend } from "./backend";
export {
  registerNativeKernels,
  setKernelPath,
  kernelPath,
  kernelTag,
  plannedKernelTag,
  kernelDescription,
  setBlasThreads,
  setKernelTiming,
  kernelTiming,
} from "./native-kernels";
export type { KernelPath } from "./native-kernels";
export * from "./conv-net";
export * from "./transformer";
export * from "./gbnn";
export * from "./mcr2";
export * from "./prototypes";
export * from "./growth";
export * from "./template-mlp";
export * from "./staged-residual-mlp";
export * from "./hypernet";
export * from "./ssm-init";
export * from "./ssm-layer";
export * from "./ssm-model";
export * from "./seq-encoder";
export * from "./ibp";
export * from "./ghost-bn";
export * from "./residual-mlp";
export * from "./poincare-ops";
export * from "./poincare";
export * from "./poincare-rows";
export * from "./poincare-resnet";
export * from "./tiny-vit";
export * from "./kan";
export * from "./sltrain";
export * from "./sst";
export * from "./init-registry";
export * from "./growth-registry";
