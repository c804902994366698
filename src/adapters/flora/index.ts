// The "flora" method: the linear adapter (registered, in the benchmark), the conv-kernel
// form and its reshape-LoRA baseline (library pieces), and the Tucker products.
import { registerBenchEntry } from "../benchmark";
import { registerAdapter } from "../registry";
import { FloraAdapter, FloraConfig } from "./adapter";
import { bench } from "./bench";

export { FloraAdapter, floraFactor } from "./adapter";
export type { FloraConfig } from "./adapter";
export { FloraConv2d, ReshapeLoraConv2d, floraConvParamCount } from "./conv";
export type { ConvKernelAdapter, ConvOptions, FloraConvConfig, ReshapeLoraConvConfig } from "./conv";
export { modeProduct, tuckerProduct } from "./tucker";

registerAdapter("flora", (base, config) => new FloraAdapter(base, config as FloraConfig));
registerBenchEntry(bench);
