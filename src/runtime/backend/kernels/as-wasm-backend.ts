import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** Kernels receive the backend untyped; these are the parts our kernels use. */
export function asWasmBackend(backend: unknown): BackendWasm {
  const candidate = backend as Partial<BackendWasm> | null;
  if (
    candidate == null ||
    typeof candidate.makeOutput !== "function" ||
    typeof candidate.typedArrayFromHeap !== "function" ||
    typeof candidate.disposeData !== "function"
  ) {
    throw new Error("Expected the tfjs wasm backend; this kernel is registered for 'wasm' only");
  }
  return candidate as BackendWasm;
}
