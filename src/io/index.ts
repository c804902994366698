export * from "./safetensors";
export * from "./npy";
export type { Dtype, TensorData, Int64Mode } from "./dtypes";
export { f16ToNumber, numberToF16, bf16ToNumber, numberToBf16 } from "./dtypes";
export { projectRoot, figuresDir, resultsDir, cacheDir } from "./paths";
export { toJson, fromJson, writeFileAtomic } from "./json";
export * from "./safetensors-file";
export * from "./checkpoint";
export * from "./peft";
