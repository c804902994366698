// The line every notebook prints first: size preset, tfjs backend and its kernels, linear-algebra path.
import { backendReady } from "../nn/backend";
import { Size, sizeFromEnv } from "../core/types";
import { linalgPath } from "../linalg/lapack";
import { kernelTag } from "../nn/native-kernels";

/** Waits for the backend, then describes the run: "size=default backend=wasm kernels=native/1t linalg=native". */
export async function setupLine(size: Size = sizeFromEnv()): Promise<string> {
  const backend = await backendReady();
  return `size=${size} backend=${backend} kernels=${kernelTag()} linalg=${linalgPath()} node=${process.versions.node}`;
}
