// The line every notebook prints first: size preset, tfjs backend, linear-algebra path.
import { backendReady } from "../nn/backend";
import { Size, sizeFromEnv } from "../core/types";
import { linalgPath } from "../linalg/lapack";

/** Waits for the backend, then describes the run: "size=default backend=wasm linalg=lapack". */
export async function setupLine(size: Size = sizeFromEnv()): Promise<string> {
  const backend = await backendReady();
  return `size=${size} backend=${backend} linalg=${linalgPath()} node=${process.versions.node}`;
}
