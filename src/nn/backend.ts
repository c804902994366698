// Compute backend: tfjs-node-gpu, else tfjs-node, else wasm, else cpu, whichever loads
// first. The node bindings are optional (their install downloads libtensorflow).
import * as tf from "@tensorflow/tfjs";
import { registerNativeKernels } from "./native-kernels";
import { registerWasmKernels } from "./wasm-kernels";

export type BackendName = "tensorflow" | "wasm" | "cpu";

let readyPromise: Promise<BackendName> | null = null;

function tryRequire(name: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: optional, or only when the bench needs it
    require(name);
    return true;
  } catch {
    return false;
  }
}

async function select(): Promise<BackendName> {
  const forced = process.env.INITLAB_BACKEND;
  if (forced && !["tensorflow", "wasm", "cpu"].includes(forced)) {
    throw new Error(`INITLAB_BACKEND: unknown backend "${forced}" (known: tensorflow, wasm, cpu)`);
  }
  if (!forced || forced === "tensorflow") {
    if (tryRequire("@tensorflow/tfjs-node-gpu") || tryRequire("@tensorflow/tfjs-node")) {
      if (await tf.setBackend("tensorflow")) return "tensorflow";
    }
    if (forced === "tensorflow")
      throw new Error("INITLAB_BACKEND=tensorflow but @tensorflow/tfjs-node could not be loaded");
  }
  if (!forced || forced === "wasm") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: optional, or only when the bench needs it
    require("@tensorflow/tfjs-backend-wasm");
    if (await tf.setBackend("wasm")) {
      registerWasmKernels(); // missing gradients, fast transposed matmul
      registerNativeKernels(); // OpenBLAS under the matmuls, unless INITLAB_KERNELS=wasm
      return "wasm";
    }
  }
  await tf.setBackend("cpu");
  return "cpu";
}

/** Resolves once the backend is chosen and initialised; safe to await many times. */
export function backendReady(): Promise<BackendName> {
  if (!readyPromise) {
    readyPromise = select().then(async (b) => {
      await tf.ready();
      return b;
    });
  }
  return readyPromise;
}

/** The active tfjs backend's name (call after `await backendReady()`). */
export function activeBackend(): string {
  return tf.getBackend();
}

// Start selection on import so notebooks only need to await it.
void backendReady().catch(() => undefined);
